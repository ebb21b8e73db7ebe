"""What the tests share: fast settings per estimator, a factory, and the data they fit.

Test modules import from here (``pytest``'s ``pythonpath`` holds ``tests/``), never from
each other.
"""

import functools

import numpy as np

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._base import BaseAutoencoder
from sklearn_ae.utils import all_estimators

#: Every public estimator by name, as discovery finds it.
ESTIMATORS = dict(all_estimators())
NAMES = sorted(ESTIMATORS)
#: The autoencoder families: the estimators built on BaseAutoencoder.
AUTOENCODERS = [name for name in NAMES if issubclass(ESTIMATORS[name], BaseAutoencoder)]

#: Small, fast settings for each estimator under the checks; every other parameter is default.
FAST_PARAMS = {
    "AutoencoderImputer": dict(hidden_layer_sizes=(8,), max_iter=5, n_estimators=2),
    "AutoencoderTransformer": dict(hidden_layer_sizes=(8,), max_iter=5),
    # Also more than speed: the outlier checks want both labels among the training rows of
    # make_blobs, and the default estimator rebuilds those 2-D blobs so well that
    # contamination='auto' (median + 3 robust standard deviations) may flag none of them
    # (0 to 12 by seed), as designed for clean data (the contamination docstring says so).
    # The short budget leaves errors that it flags a few of.
    "ReconstructionOutlierDetector": dict(
        estimator=AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5)
    ),
    # The checks' rows are not images (widths 1 to 10, mostly not squares): each row is
    # declared a one-pixel-high image, with the width inferred, as a user would do for
    # 1-D signals. image_shape=None would rightly refuse the widths that are not squares.
    "ConvAutoencoder": dict(image_shape=(1, -1), channels=(4, 2), max_iter=5),
    "DeepEmbeddedClustering": dict(
        estimator=AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5), max_iter=3
    ),
    "DenoisingAutoencoder": dict(hidden_layer_sizes=(8,), max_iter=5),
    "SequenceAutoencoder": dict(hidden_layer_sizes=(4,), max_iter=5),
    # Windows of 4 rows: the checks fit series of 10 to 300 rows.
    "TimeSeriesOutlierDetector": dict(
        estimator=AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5), window_size=4
    ),
    "VariationalAutoencoder": dict(hidden_layer_sizes=(8,), max_iter=5),
}


def make(name, **params):
    """The estimator ``name`` with its ``FAST_PARAMS``, ``random_state=0`` and ``params``."""
    return ESTIMATORS[name](**{**FAST_PARAMS[name], "random_state": 0, **params})


# ------------------------------------------------------------------------------ data makers


def low_rank(n=120, n_features=6, noise=0.05, seed=0, dtype=np.float64):
    """Points near a 2-D plane embedded in ``n_features`` dimensions (on it if noise=0)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, n_features))
    if noise:
        X = X + noise * rng.normal(size=(n, n_features))
    return X.astype(dtype)


def unit_data(n=60, n_features=8, seed=0):
    """Values in [0, 1] with structure: a 2-D latent pushed through a sigmoid."""
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n, 2))
    return 1 / (1 + np.exp(-latent @ rng.normal(size=(2, n_features))))


def images(n, shape, seed=0):
    """Smooth random images in [0, 1] of ``shape`` (channels, height, width), flattened."""
    rng = np.random.RandomState(seed)
    c, h, w = shape
    yy, xx = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    freq = rng.uniform(1, 3, size=(n, c, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, c, 1, 1))
    X = 0.5 + 0.5 * np.sin(freq * 3 * (xx + yy) + phase)
    return X.reshape(n, -1).astype(np.float32)


def sinusoids(n, n_timesteps=24, seed=0):
    """Noisy sines of 1, 2 or 4 periods per window with random phases; rows and frequencies."""
    rng = np.random.RandomState(seed)
    label = rng.randint(3, size=n)
    periods = np.array([1, 2, 4])[label][:, None]
    t = np.arange(n_timesteps) / n_timesteps
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    X = np.sin(2 * np.pi * periods * t + phase) + 0.05 * rng.normal(size=(n, n_timesteps))
    return X.astype(np.float32), label


def mixture(n, seed=0):
    """Three round clusters in 2-D (the data are on the scale of a standardised set)."""
    rng = np.random.RandomState(seed)
    centres = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    return centres[rng.randint(3, size=n)] + 0.3 * rng.normal(size=(n, 2))


@functools.lru_cache(maxsize=1)
def _load_digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def scaled_digits(n=None, dtype=np.float64):
    """The first ``n`` of scikit-learn's bundled 8x8 digits scaled to [0, 1], and labels."""
    X, y = _load_digits()
    return (X[:n] / 16.0).astype(dtype), y[:n].copy()


# ----------------------------------------------------------------------- one case per family

#: For each estimator, the options its family adds (over FAST_PARAMS) and data of the kind
#: it is made for: the tests of shared behaviour fit these, so that what each family adds
#: (image shapes, corruption, steps, a stochastic code) is part of what they check.
CASES = {
    "ConvAutoencoder": (dict(image_shape=(3, 5, 7), noise="gaussian", clip=(0, 1)),
                        lambda: images(30, (3, 5, 7))),
    "DenoisingAutoencoder": (dict(noise="salt_and_pepper", clip=(0, 1)), unit_data),
    "SequenceAutoencoder": (dict(n_timesteps=4, cell="gru"),
                            lambda: sinusoids(30, n_timesteps=8)[0]),
    "VariationalAutoencoder": (dict(), lambda: mixture(100)),
}


def case(name, **params):
    """``make(name)`` with its family's options and ``params``, and data to fit it on."""
    options, data = CASES.get(name, (dict(), lambda: low_rank(80, noise=0)))
    return make(name, **{**options, **params}), data()
