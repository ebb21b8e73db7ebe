"""What a fit or a prediction that went wrong says: the warnings and errors that explain it.

Each message names what happened, the parameter or the data behind it, and a fix. The
estimators call these functions; the divergence check of :mod:`sklearn_ae._net` shares the
advice of :func:`lower_learning_rate`.
"""

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

#: A fit whose last epoch's training loss is over this many times the lowest of the fit (an
#: epoch's, or its first batch's) warns that the optimizer overshot: a too large step can
#: leave a bounded but useless network, e.g. a saturated sigmoid output.
OVERSHOOT = 2.0


def lower_learning_rate(learning_rate_init):
    """The advice of the errors and warnings of a fit that a too large step spoiled."""
    return (
        f"Lower learning_rate_init (got {learning_rate_init}), for example to "
        f"{learning_rate_init / 10:g}"
    )


def warn_if_sigmoid_clips(estimator, X, output_activation):
    """Warn when more data for a fitted net fall outside the range of its sigmoid output.

    ``'auto'`` chose the sigmoid from the first data, in [0, 1]; a later batch (of
    :meth:`partial_fit` or a warm-start fit) outside that range would be clipped in
    every reconstruction, silently.
    """
    if estimator.output_activation != "auto" or output_activation != "sigmoid":
        return
    lo, hi = float(X.min()), float(X.max())
    if lo < 0 or hi > 1:
        warnings.warn(
            f"{type(estimator).__name__}: X holds values in [{lo:.4g}, {hi:.4g}], but the "
            "fitted network's output is a sigmoid, which output_activation='auto' chose "
            "because the first training data lay in [0, 1]: reconstructions stay in "
            "[0, 1], so the values outside are clipped. Scale every batch the same way "
            "(e.g. with one fitted MinMaxScaler), or train a new network with "
            "output_activation='identity'.",
            UserWarning,
        )


def warn_if_not_converged(estimator, net, epochs_run):
    """Warn, after a fit, that the optimizer overshot or that ``max_iter`` ran out.

    An overshoot (the last epoch's loss over :data:`OVERSHOOT` times the lowest of the fit)
    is the louder problem and the only one reported; otherwise a fit that used up an int
    ``max_iter`` before the stopping rule fired raises scikit-learn's ConvergenceWarning
    (not with ``tol=None``, which has no stopping rule).
    """
    losses = estimator.loss_curve_[len(estimator.loss_curve_) - epochs_run:]
    if net.train_split is None and losses:  # (a validation split keeps the best epoch)
        # The lowest loss of this fit: an epoch's, or its first batch's (which the
        # starting weights gave; a new network starts at the data's mean).
        first_batch = net.history[len(net.history) - epochs_run]["batches"][0]["train_loss"]
        best = int(np.argmin(losses))
        lowest, when = min((losses[best], f"epoch {best + 1}"), (first_batch, "first batch"))
        if losses[-1] > OVERSHOOT * lowest:
            warnings.warn(
                f"{type(estimator).__name__}: the training loss ended at {losses[-1]:.4g}, over "
                f"{OVERSHOOT:g} times its lowest value in this fit ({lowest:.4g}, {when}): "
                "the optimizer overshot and the network got worse. "
                f"{lower_learning_rate(estimator.learning_rate_init)}, or set "
                "early_stopping=True to keep the best epoch's weights.",
                ConvergenceWarning,
            )
            return
    if estimator.tol is None:  # no stopping rule: max_iter epochs were asked for
        return
    stopper = dict(net.callbacks_)["early_stopping"]
    converged = stopper.misses_ >= stopper.patience
    if epochs_run >= estimator.max_iter_ and not converged and estimator.max_iter != "auto":
        monitored = "validation" if net.train_split is not None else "training"
        advice = (
            f"Increase max_iter: the {monitored} loss still improved by more than "
            f"tol={estimator.tol:g} within the last n_iter_no_change={estimator.n_iter_no_change} "
            "epochs. (max_iter='auto' picks the budget itself and does not warn.)"
        )
        warnings.warn(
            f"{type(estimator).__name__}: Maximum iterations ({estimator.max_iter_}) reached and "
            f"the optimization hasn't converged yet. {advice}",
            ConvergenceWarning,
        )


def non_finite_output_message(estimator, X):
    """Why the network returned NaN or infinity for `X`, and what to do, as text."""
    name = type(estimator).__name__
    weights = list(estimator.net_.module_.parameters())
    if not all(bool(torch.isfinite(w).all()) for w in weights):
        return (
            f"{name}: the network's weights are NaN or infinite, so every output is: "
            "its training diverged before the divergence check could stop it (e.g. it "
            "was interrupted). Refit with a lower learning_rate_init, or scale X first "
            "(e.g. with StandardScaler)."
        )
    dtype = weights[0].dtype
    largest = max(abs(float(X.max())), abs(float(X.min())))
    return (
        f"{name}: the network returned NaN or infinity for X that is finite. X holds values "
        f"up to {largest:.3g} in absolute value, and the network computes in {dtype} (whose "
        f"largest value is {torch.finfo(dtype).max:.3g}): values this far from the "
        "training data overflow its arithmetic. Scale X as the training data were scaled "
        "(e.g. with the same StandardScaler, in a Pipeline), or clip it."
    )
