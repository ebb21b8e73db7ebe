"""What the Displays share: finding the fitted model, reconstructing, making axes."""

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted

from .._meta import reconstruct_with


def is_detector(estimator):
    """Whether ``estimator`` is a fitted :class:`~sklearn_ae.ReconstructionOutlierDetector`.

    Duck-typed on what the Displays use of it: the scaler it applies before its model, the
    model, and the offset of its threshold.
    """
    return all(hasattr(estimator, name) for name in ("scaler_", "estimator_", "offset_"))


def check_fitted(estimator):
    """``check_is_fitted`` with scikit-learn's message, before any work is done."""
    check_is_fitted(estimator)
    return estimator


def first_rows(X, n_samples):
    """The first ``n_samples`` rows of `X` (array, DataFrame or list), as given."""
    if n_samples is None:
        return X
    n = min(int(n_samples), len(X))
    return _safe_indexing(X, np.arange(n))


def _scaled(detector, X):
    """`X` as a detector's model sees it: through the detector's scaler, if any."""
    scaler = detector.scaler_
    return np.asarray(X, dtype=np.float64) if scaler is None else scaler.transform(X)


def encode(estimator, X):
    """The codes of `X` by a fitted transformer, or by the model of a detector."""
    if is_detector(estimator):
        return estimator.estimator_.transform(_scaled(estimator, X))
    return estimator.transform(X)


def reconstruct(estimator, X):
    """The reconstruction of `X` by a fitted model, in the units of `X`.

    A detector rebuilds `X` on its own scale: the result is mapped back through its scaler.
    Any other model uses its ``reconstruct`` method where it has one, else
    ``inverse_transform(transform(X))``.
    """
    if is_detector(estimator):
        rebuilt = reconstruct(estimator.estimator_, _scaled(estimator, X))
        scaler = estimator.scaler_
        return rebuilt if scaler is None else scaler.inverse_transform(rebuilt)
    return reconstruct_with(estimator, X)


def axes_and_figure(caller, ax, figsize=None):
    """``(ax, figure)``: the axes given, or a new figure with one axes."""
    check_matplotlib_support(caller)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax, ax.figure


def style(defaults, overrides):
    """Matplotlib keyword arguments: ``defaults`` updated by the user's ``overrides``.

    scikit-learn's rule, so that a user's ``c`` replaces a default ``color`` instead of
    clashing with it.
    """
    return _validate_style_kwargs(defaults, overrides or {})
