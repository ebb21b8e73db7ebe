"""What the estimators and the meta-estimators share in their lifecycle.

Seeds drawn as scikit-learn draws them, the seeding of a wrapped estimator, fits that leave
nothing half-done when they fail, and the reconstruction of any model (an autoencoder of
the package, PCA, a Pipeline) through its public methods.
"""

import contextlib

import numpy as np
from sklearn.utils import check_random_state


def draw_seed(random_state):
    """An int seed from ``random_state``, as scikit-learn reads it.

    ``None`` is numpy's global generator (:func:`~sklearn.utils.check_random_state`), as in
    every scikit-learn estimator: ``np.random.seed(0)`` before a fit makes it reproducible.
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def seed_unset_random_states(estimator, random_state):
    """Seed an estimator of a meta-estimator from the meta-estimator's ``random_state``.

    Every ``random_state`` parameter of ``estimator`` that is None, nested ones included,
    is set to a seed drawn from ``random_state``, so that an int gives reproducible fits;
    seeds set on the estimator itself are kept. With ``random_state=None`` the estimator is
    left as it is. Returns ``estimator``.
    """
    if random_state is not None:
        rng = check_random_state(random_state)
        unset = sorted(
            key
            for key, value in estimator.get_params(deep=True).items()
            if (key == "random_state" or key.endswith("__random_state")) and value is None
        )
        estimator.set_params(**{key: draw_seed(rng) for key in unset})
    return estimator


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Put the fitted attributes of ``estimator`` back as they were if the block raises.

    A fit that fails (bad data, a diverging loss) then leaves no half-fitted estimator: a
    first fit leaves it unfitted (``check_is_fitted`` raises ``NotFittedError``, not an
    ``AttributeError`` later), a refit leaves the previous fit whole (``n_features_in_``
    included, which validation sets before training starts).
    """
    fitted = {key: value for key, value in vars(estimator).items() if key.endswith("_")}
    try:
        yield
    except BaseException:
        for key in [key for key in vars(estimator) if key.endswith("_")]:
            delattr(estimator, key)
        vars(estimator).update(fitted)
        raise


def reconstruct_with(estimator, X):
    """The reconstruction of `X` by a fitted model, as a numpy array.

    ``estimator.reconstruct(X)`` where the model has it (every autoencoder of sklearn_ae),
    else ``inverse_transform(transform(X))`` (PCA, a Pipeline, ...).
    """
    if hasattr(estimator, "reconstruct"):
        return np.asarray(estimator.reconstruct(X))
    if hasattr(estimator, "transform") and hasattr(estimator, "inverse_transform"):
        return np.asarray(estimator.inverse_transform(estimator.transform(X)))
    raise TypeError(
        f"{type(estimator).__name__} cannot reconstruct its input: a reconstruction model "
        "needs a 'reconstruct' method, or 'transform' and 'inverse_transform'."
    )


def reconstruction_errors(estimator, X_scaled, metric, what="X"):
    """Per-feature errors (float64) of a fitted model's reconstruction of `X_scaled`.

    Absolute (``metric='mae'``) or squared (``'mse'``) differences, NaN where `X_scaled` is
    missing; a clear error where the reconstruction has another shape, is not finite, or
    where the errors overflow. ``what`` names the rows in the messages (``'X'``, ``'the
    windows of X'``). Used by the outlier detectors, tabular and time series.
    """
    name = type(estimator).__name__
    X_rec = reconstruct_with(estimator, X_scaled)
    if X_rec.shape != X_scaled.shape:
        raise ValueError(
            f"The estimator {name} rebuilt {what} of shape {X_scaled.shape} as an array of "
            f"shape {X_rec.shape}; a reconstruction must have the shape of its input. Check "
            "that its inverse_transform undoes its transform."
        )
    X_rec = np.asarray(X_rec, dtype=np.float64)
    if not np.isfinite(X_rec).all():
        raise ValueError(
            f"The reconstruction of {what} by {name} contains NaN or infinity. Check the "
            "estimator, or scale X first (scale='robust')."
        )
    diff = X_rec - X_scaled  # NaN where X_scaled is missing
    with np.errstate(over="ignore"):
        errors = diff**2 if metric == "mse" else np.abs(diff)
    if np.isinf(errors).any():
        raise ValueError(
            f"The reconstruction errors of X overflowed float64: X holds values (up to "
            f"{np.nanmax(np.abs(X_scaled)):.3g} in absolute value, after scaling) too large "
            f"to measure with metric={metric!r}. Clip or rescale those values, or use "
            "metric='mae'."
        )
    return errors
