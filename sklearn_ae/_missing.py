"""Missing values as a capability: :class:`MissingValuesMixin` and the helpers it shares.

A family that mixes :class:`MissingValuesMixin` in on the left accepts `X` with missing
values (NaN; infinity is still refused): its tags say ``allow_nan``, a missing input enters
the network as the training mean of its feature (``fill_values_``, a buffer of the dense
module that ``encode`` applies), the loss is measured over the observed entries only
(:data:`~sklearn_ae._training.MASKED_LOSSES`), and ``score_samples`` is the error over the
observed entries of each row. Data without NaN train and predict exactly as before.
"""

import dataclasses

import numpy as np
import torch

from ._training import MASKED_LOSSES


def value_range(X):
    """``(min, max)`` of `X` over its observed values (NaN where there are none), as floats.

    ``fmin``/``fmax`` skip NaN without copying `X` (a memmap is read, not copied).
    """
    return float(np.fmin.reduce(X, axis=None)), float(np.fmax.reduce(X, axis=None))


def has_missing(X):
    """Whether `X` (finite or NaN, never infinite) holds a NaN, without a copy in the usual case."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(X, dtype=np.float64)
    return not np.isfinite(total) and bool(np.isnan(X).any())


def observed_means(X):
    """The mean of each column over its observed values; 0 for a column without any."""
    observed = ~np.isnan(X)
    counts = observed.sum(axis=0)
    sums = np.where(observed, X, 0).sum(axis=0, dtype=np.float64)
    return sums / np.maximum(counts, 1)


def rows_without_observed(X):
    """Indices of the rows of `X` whose every value is missing."""
    return np.flatnonzero(np.isnan(X).all(axis=1))


def check_rows_observed(estimator, X, method):
    """Raise a clear error if a row of `X` has no observed value, for ``method``."""
    empty = rows_without_observed(X)
    if len(empty):
        shown = ", ".join(str(i) for i in empty[:10]) + (", ..." if len(empty) > 10 else "")
        raise ValueError(
            f"{type(estimator).__name__}.{method}: {len(empty)} row(s) of X have no observed "
            f"value (every entry is NaN): rows [{shown}]. Their reconstruction error is "
            "measured over observed entries, so it is undefined. Drop those rows (e.g. "
            "X[~np.isnan(X).all(axis=1)]) or impute them first (AutoencoderImputer)."
        )


#: ``{missing_values_notes}``: the paragraph of the Notes of a NaN-aware family.
MISSING_VALUES_NOTES_DOC = """\
**Missing values.** `X` may hold missing values (NaN) in :meth:`fit`, :meth:`transform`,
    :meth:`reconstruct`, :meth:`score_samples` and :meth:`score` (infinity is refused). A
    missing input enters the network as the training mean of its feature
    (``fill_values_``); the training loss is averaged over the observed entries only, so
    a missing value neither pulls the network nor counts in ``loss_curve_``; and
    :meth:`score_samples` is minus the squared error averaged over each row's observed
    entries. A training row without any observed value takes no part in the loss; at
    :meth:`transform` and :meth:`reconstruct` it is encoded as the row of means, and
    :meth:`score_samples` refuses it with a clear error. Data without NaN train and predict
    exactly as they would without this support. To fill the holes, use
    :class:`AutoencoderImputer`."""

#: ``{missing_values_attributes}``: the fitted attribute of a NaN-aware family.
MISSING_VALUES_ATTRIBUTES_DOC = """\
fill_values_ : ndarray of shape (n_features,)
        The value that stands in for a missing input of each feature: its mean over the
        observed values of the data the network was built on (0 where there were none).
        Not set with a network of your own (``encoder``, ``decoder``), which refuses NaN."""


class MissingValuesMixin:
    """Accept missing values (NaN) in `X`: fill the inputs, mask the loss and the scores.

    Mixed in on the left of a family whose module has a ``fill_values`` buffer (the dense
    one). See the module's docstring for what it changes.
    """

    @property
    def _allow_nan(self):
        # The built-in dense module fills the holes; a network of the user's own receives
        # X as given, so NaN are refused there (sklearn's clear error) and tagged so.
        return not self._own_network

    _doc_fragments = {
        "missing_values_notes": MISSING_VALUES_NOTES_DOC,
        "missing_values_attributes": MISSING_VALUES_ATTRIBUTES_DOC,
    }

    def _check_data_dependent_params(self, X):
        super()._check_data_dependent_params(X)
        if np.isnan(value_range(X)[0]):
            raise ValueError(
                f"{type(self).__name__}: every value of X is missing (NaN), so there is "
                "nothing to learn from. Pass data with observed values."
            )

    def _training_config(self, X, *args, **kwargs):
        config = super()._training_config(X, *args, **kwargs)
        if has_missing(X):
            config = dataclasses.replace(config, criterion=MASKED_LOSSES[self.loss])
        return config

    def _initialize_net(self, net, X, X_tensor, device):
        code_width = super()._initialize_net(net, X, X_tensor, device)
        # np.mean reads a memmap without a copy; only data with holes need more.
        means = np.mean(X, axis=0, dtype=np.float64)
        if np.isnan(means).any():
            means = observed_means(X)
        if not self._own_network:  # a user's network receives no NaN (refused above)
            net.module_.fill_values = torch.as_tensor(means, dtype=X_tensor.dtype).to(device)
        return code_width

    def _store_module_attributes(self, module):
        super()._store_module_attributes(module)
        fill = getattr(module, "fill_values", None)  # the built-in dense module's only
        if fill is not None:
            self.fill_values_ = fill.detach().cpu().numpy().astype(np.float64)

    def _score_samples(self, X):
        if not has_missing(X):
            return super()._score_samples(X)
        check_rows_observed(self, X, "score_samples")
        module = self.net_.module_

        def squared_error(xb):
            # Over the observed entries: NaN marks the others, in the error too.
            return (module(xb) - xb).double().square_().flatten(1).nanmean(dim=1)

        return -self._predict(X, squared_error, np.float64)
