"""Denoising as a capability: :class:`CorruptionMixin` and the :class:`Corruption` it draws.

A family becomes a denoising autoencoder by mixing :class:`CorruptionMixin` in on the left
and declaring ``noise``, ``noise_level`` and ``clip`` in its ``__init__``: the mixin brings
their constraints, their documentation (``{corruption_parameters}``), their checks, and the
:class:`Corruption` that the training loop applies to every training batch. Only training
sees corrupted rows; the target stays the clean rows, and validation and prediction see
clean rows.
"""

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

#: The kinds of corruption :class:`Corruption` draws.
NOISES = ("gaussian", "masking", "salt_and_pepper")


class Corruption:
    """Corrupt a batch of rows, drawing fresh noise from torch's global generator at each call.

    The estimators seed that generator inside ``torch.random.fork_rng``, so the noise is
    reproducible from ``random_state`` and differs from batch to batch and epoch to epoch.

    Parameters
    ----------
    noise : {'gaussian', 'masking', 'salt_and_pepper'}
        ``'gaussian'`` adds ``noise_level`` times standard normal noise; ``'masking'`` sets
        each value to 0 with probability ``noise_level`` (no rescaling, unlike dropout);
        ``'salt_and_pepper'`` sets each value with probability ``noise_level`` to ``low`` or
        ``high``, with equal chances.
    noise_level : float
        Standard deviation of the Gaussian noise, or the probability that a value is
        corrupted.
    clip : tuple of (float, float) or None
        Range the corrupted rows are clipped to.
    salt_and_pepper_values : tuple of (float, float) or None
        ``(low, high)``, needed for ``'salt_and_pepper'``.
    """

    def __init__(self, noise, noise_level, clip=None, salt_and_pepper_values=None):
        if noise not in NOISES:
            raise ValueError(f"noise must be one of {NOISES}, got {noise!r}.")
        if noise == "salt_and_pepper" and salt_and_pepper_values is None:
            raise ValueError("noise='salt_and_pepper' needs salt_and_pepper_values=(low, high).")
        self.noise = noise
        self.noise_level = noise_level
        self.clip = clip
        self.salt_and_pepper_values = salt_and_pepper_values

    def __call__(self, x):
        level = self.noise_level
        if self.noise == "gaussian":
            x = x + level * torch.randn_like(x)
        elif self.noise == "masking":
            x = x * (torch.rand_like(x) >= level).to(x.dtype)
        else:
            low, high = self.salt_and_pepper_values
            draw = torch.rand_like(x)
            x = torch.where(draw < level / 2, low, torch.where(draw < level, high, x))
        if self.clip is not None:
            x = x.clamp(*self.clip)
        return x

    def __repr__(self):
        return (f"Corruption(noise={self.noise!r}, noise_level={self.noise_level!r}, "
                f"clip={self.clip!r}, salt_and_pepper_values={self.salt_and_pepper_values!r})")


#: The documentation of the parameters (``{corruption_parameters}``); the defaults in braces
#: are the signature's.
CORRUPTION_PARAMETERS_DOC = """\
noise : {{'gaussian', 'masking', 'salt_and_pepper'}} or None, default={noise!r}
        Corruption of the training inputs, which makes a denoising autoencoder: the network
        is trained to rebuild the clean rows from corrupted ones. ``'gaussian'`` adds
        Gaussian noise of standard deviation ``noise_level``; ``'masking'`` sets each value
        to 0 with probability ``noise_level`` (dropout of input features, without
        rescaling); ``'salt_and_pepper'`` sets each value with probability ``noise_level``
        to the low or the high end of ``clip`` (without ``clip``: the minimum or maximum of
        the training data), with equal chances. None trains on clean inputs. Fresh noise is
        drawn for every batch, from ``random_state``, and only while training:
        :meth:`transform`, :meth:`inverse_transform`, :meth:`reconstruct` and :meth:`score`
        see the inputs as given, and the validation loss of ``early_stopping`` is measured
        on clean inputs.

    noise_level : float, default={noise_level!r}
        Strength of the corruption: the standard deviation of the Gaussian noise (in the
        units of `X`), or for ``'masking'`` and ``'salt_and_pepper'`` the probability that a
        value is corrupted, in [0, 1]. Ignored when ``noise=None``.

    clip : tuple of (float, float) or None, default={clip!r}
        ``(low, high)`` range the corrupted inputs are clipped to, e.g. ``(0, 1)`` for pixel
        intensities, so that noise does not push them out of the range of the data.
        Ignored when ``noise=None``."""


class CorruptionMixin:
    """Train on corrupted inputs: the ``noise``, ``noise_level`` and ``clip`` parameters.

    Mixed in on the left of an autoencoder family, whose ``__init__`` declares the three
    parameters (with the defaults that suit the family) and whose constraints add
    :attr:`_parameter_constraints`. The base's hook :meth:`_corruption` then returns the
    corruption of the training batches instead of None.
    """

    _parameter_constraints: dict = {
        "noise": [StrOptions(set(NOISES)), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "clip": ["array-like", None],
    }

    _doc_fragments = {"corruption_parameters": CORRUPTION_PARAMETERS_DOC}

    def _check_data_dependent_params(self, X):
        super()._check_data_dependent_params(X)
        if self.noise is None:
            return
        if self.noise in ("masking", "salt_and_pepper") and self.noise_level > 1:
            raise ValueError(
                f"noise={self.noise!r} corrupts each value with probability noise_level, which "
                f"must be in [0, 1]; got noise_level={self.noise_level}. Pass e.g. "
                "noise_level=0.25."
            )
        clip = self.clip
        valid = (
            clip is None
            or (
                len(clip) == 2
                and all(isinstance(v, Real) and np.isfinite(v) for v in clip)
                and clip[0] < clip[1]
            )
        )
        if not valid:
            raise ValueError(
                f"clip must be a pair (low, high) of finite numbers with low < high, got "
                f"{clip!r}. Pass e.g. clip=(0, 1) for pixel intensities, or clip=None."
            )

    def _corruption(self, X):
        """The :class:`Corruption` of the training inputs, or None for ``noise=None``."""
        if self.noise is None:
            return None
        clip = None if self.clip is None else (float(self.clip[0]), float(self.clip[1]))
        values = None
        if self.noise == "salt_and_pepper":
            values = clip if clip is not None else (float(X.min()), float(X.max()))
        return Corruption(self.noise, float(self.noise_level), clip, values)
