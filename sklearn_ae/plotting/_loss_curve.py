"""Training and validation loss per epoch: :class:`LossCurveDisplay`."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ._utils import axes_and_figure, check_fitted, style

#: Curves of at most this many epochs have their points marked.
MARKED_EPOCHS = 10


def trained_model(estimator):
    """The fitted model inside ``estimator`` that has a ``loss_curve_``.

    The estimator itself, the model of a detector (``estimator_``), the best model of a
    search (``best_estimator_``), or the last step of a Pipeline that has one.
    """
    check_fitted(estimator)
    candidates = [estimator]
    for attribute in ("estimator_", "best_estimator_"):
        if hasattr(estimator, attribute):
            candidates.append(getattr(estimator, attribute))
    if hasattr(estimator, "steps"):
        candidates.extend(step for _, step in reversed(estimator.steps))
    for candidate in candidates:
        if hasattr(candidate, "loss_curve_"):
            return candidate
    raise ValueError(
        f"{type(estimator).__name__} has no loss_curve_: a loss curve needs a model trained "
        "by gradient descent, such as the autoencoders of sklearn_ae (or a detector, search "
        "or Pipeline holding one)."
    )


class LossCurveDisplay:
    """Training and validation loss per epoch of a fitted autoencoder.

    The curve shows whether training converged (a flat tail), stopped early, or was cut
    short while the loss was still falling (raise ``max_iter``), and, with
    ``early_stopping=True``, whether the network overfits (the validation loss rises while
    the training loss falls).

    The points of a curve of at most 10 epochs are marked, so that a fit of one or two
    epochs still shows.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`LossCurveDisplay`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <plotting>`.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss at the end of each epoch, as in ``loss_curve_``.

    validation_loss : array-like of shape (n_epochs,), default=None
        Loss on the validation split at each epoch: ``-validation_scores_`` of an
        autoencoder fit with ``early_stopping=True``. None draws no validation curve.

    name : str, default=None
        Name of the model, in the legend. None writes only "training" and "validation".

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss.

    validation_line_ : matplotlib Line2D or None
        The validation loss; None without ``validation_loss``.

    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    ReconstructionDisplay : What the trained model makes of some samples.
    sklearn.neural_network.MLPRegressor : Records ``loss_curve_`` the same way.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import LossCurveDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(max_iter=3, early_stopping=True, random_state=0)
    >>> display = LossCurveDisplay.from_estimator(ae.fit(X / 16))
    >>> display.line_.get_xdata().tolist()
    [1, 2, 3]
    >>> plt.close("all")
    """

    def __init__(self, loss_curve, *, validation_loss=None, name=None):
        self.loss_curve = loss_curve
        self.validation_loss = validation_loss
        self.name = name

    def plot(self, ax=None, *, name=None, line_kw=None, validation_line_kw=None):
        """Plot the loss curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes. Plot several displays on
            the same axes to compare models.

        name : str, default=None
            Name of the model in the legend; None uses the display's ``name``.

        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the training
            loss.

        validation_line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            validation loss.

        Returns
        -------
        display : :class:`LossCurveDisplay`
            The display, with ``line_``, ``validation_line_``, ``ax_`` and ``figure_``.
        """
        self.ax_, self.figure_ = axes_and_figure(f"{type(self).__name__}.plot", ax)
        name = self.name if name is None else name
        prefix = "" if name is None else f"{name}, "
        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        # A line through one or two points is invisible or looks like a trend; the points
        # of a short curve are marked (a user's marker=None turns them off).
        marker = {"marker": "o"} if len(loss) <= MARKED_EPOCHS else {}
        (self.line_,) = self.ax_.plot(
            epochs, loss, **style({"label": f"{prefix}training", **marker}, line_kw)
        )
        self.validation_line_ = None
        if self.validation_loss is not None:
            validation = np.asarray(self.validation_loss, dtype=float)
            if validation.shape != loss.shape:
                raise ValueError(
                    f"validation_loss has {len(validation)} values but loss_curve has "
                    f"{len(loss)}; both hold one value per epoch."
                )
            default = {"label": f"{prefix}validation", "linestyle": "--",
                       "color": self.line_.get_color(), **marker}
            (self.validation_line_,) = self.ax_.plot(
                epochs, validation, **style(default, validation_line_kw)
            )
        self.ax_.set(xlabel="epoch", ylabel="loss")
        self.ax_.legend()
        return self

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, line_kw=None,
                       validation_line_kw=None):
        """Plot the loss curves of a fitted autoencoder.

        Parameters
        ----------
        estimator : estimator instance
            A fitted model with ``loss_curve_``: an autoencoder of sklearn_ae, or a
            :class:`~sklearn_ae.ReconstructionOutlierDetector`,
            :class:`~sklearn.model_selection.GridSearchCV` or
            :class:`~sklearn.pipeline.Pipeline` holding one. The validation curve is drawn
            from ``validation_scores_`` (the negative validation loss) when the
            autoencoder was fit with ``early_stopping=True``. Other models with a
            ``loss_curve_`` (e.g. :class:`~sklearn.neural_network.MLPRegressor`, whose
            validation scores are R², not losses) get the training curve only.

        name : str, default=None
            Name of the model in the legend; None uses its class name.

        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the training
            loss.

        validation_line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            validation loss.

        Returns
        -------
        display : :class:`LossCurveDisplay`
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        model = trained_model(estimator)
        scores = getattr(model, "validation_scores_", None)
        validation = None
        # A model trained by skorch (its fitted net_) scores validation by the negative loss;
        # scikit-learn's MLP scores it by R², which is no loss to draw.
        if scores is not None and hasattr(model, "net_"):
            validation = -np.asarray(scores, dtype=float)
        display = cls(
            model.loss_curve_, validation_loss=validation,
            name=type(model).__name__ if name is None else name,
        )
        return display.plot(ax=ax, line_kw=line_kw, validation_line_kw=validation_line_kw)
