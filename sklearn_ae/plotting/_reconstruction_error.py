"""The distribution of reconstruction errors: :class:`ReconstructionErrorDisplay`."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_array

from ._utils import axes_and_figure, check_fitted, is_detector, reconstruct, style

METRICS = {
    "mse": lambda diff: np.mean(diff**2, axis=1),
    "mae": lambda diff: np.mean(np.abs(diff), axis=1),
}


class ReconstructionErrorDisplay:
    """Histogram of the reconstruction errors, with the detector's threshold.

    An outlier detector by reconstruction flags the samples whose error lies above a
    threshold. The histogram shows where the threshold falls in the distribution of the
    errors and, given labels, how well it separates the groups: one histogram per label,
    on the same bins.

    It is recommended to use :meth:`from_estimator` or :meth:`from_predictions` to create
    a :class:`ReconstructionErrorDisplay`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <plotting>`.

    Parameters
    ----------
    errors : array-like of shape (n_samples,)
        The reconstruction error of each sample (``-score_samples``).

    threshold : float, default=None
        The error above which a sample is an outlier (``-offset_`` of a detector), drawn
        as a vertical line. None draws no line.

    labels : array-like of shape (n_samples,), default=None
        Label of each sample; each label gets its own histogram, on shared bins. None
        draws one histogram.

    name : str, default=None
        Name of the model, in the title.

    Attributes
    ----------
    bin_edges_ : ndarray of shape (n_bins + 1,)
        Edges of the bins, shared by every histogram.

    counts_ : list of ndarray of shape (n_bins,)
        Number of samples in each bin, one array per label (in sorted order of the
        labels), or a single array without labels.

    bars_ : list of matplotlib BarContainer
        The bars of each histogram, in the order of ``counts_``.

    threshold_line_ : matplotlib Line2D or None
        The vertical line at the threshold; None without ``threshold``.

    ax_ : matplotlib Axes
        Axes with the histograms.

    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    sklearn_ae.ReconstructionOutlierDetector : Whose errors and threshold are drawn.
    ReconstructionDisplay : The samples next to their reconstructions.
    sklearn.metrics.RocCurveDisplay : How well the errors rank outliers, whatever the
        threshold.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae import ReconstructionOutlierDetector
    >>> from sklearn_ae.plotting import ReconstructionErrorDisplay
    >>> rng = np.random.RandomState(0)
    >>> z = rng.normal(size=(300, 1))
    >>> X = np.hstack([z, 2 * z, -z]) + 0.1 * rng.normal(size=(300, 3))
    >>> detector = ReconstructionOutlierDetector(PCA(n_components=1)).fit(X)
    >>> display = ReconstructionErrorDisplay.from_estimator(detector, X)
    >>> bool(display.threshold_line_.get_xdata()[0] == -detector.offset_)
    True
    >>> plt.close("all")
    """

    def __init__(self, errors, *, threshold=None, labels=None, name=None):
        self.errors = errors
        self.threshold = threshold
        self.labels = labels
        self.name = name

    def plot(self, ax=None, *, bins=50, log_scale=False, hist_kw=None, threshold_kw=None):
        """Plot the histogram of the errors and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        bins : int or array-like, default=50
            Number of bins, or their edges, shared by the histograms of all labels.

        log_scale : bool, default=False
            Whether to use a logarithmic error axis, with bins of equal width on it:
            errors often span orders of magnitude. Needs positive errors.

        hist_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.hist`.

        threshold_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.axvline` for the
            threshold.

        Returns
        -------
        display : :class:`ReconstructionErrorDisplay`
            The display, with ``bin_edges_``, ``counts_``, ``bars_``,
            ``threshold_line_``, ``ax_`` and ``figure_``.
        """
        self.ax_, self.figure_ = axes_and_figure(f"{type(self).__name__}.plot", ax)
        errors = check_array(self.errors, ensure_2d=False, input_name="errors").ravel()
        if log_scale and errors.min() <= 0:
            raise ValueError(
                f"log_scale=True needs positive errors; the smallest is {errors.min():g}. "
                "Use log_scale=False."
            )
        if np.ndim(bins) == 0:
            lo, hi = errors.min(), errors.max()
            if self.threshold is not None:
                lo, hi = min(lo, self.threshold), max(hi, self.threshold)
            if log_scale:
                bins = np.geomspace(lo, hi if hi > lo else lo * 1.01, int(bins) + 1)
            else:
                bins = np.histogram_bin_edges(errors, bins=int(bins), range=(lo, hi))
        self.bin_edges_ = np.asarray(bins, dtype=float)
        if self.labels is None:
            groups = [(None, errors)]
        else:
            labels = np.asarray(self.labels)
            if len(labels) != len(errors):
                raise ValueError(
                    f"labels has {len(labels)} values for {len(errors)} errors; pass one "
                    "label per sample."
                )
            groups = [(label, errors[labels == label]) for label in np.unique(labels)]
        self.counts_, self.bars_ = [], []
        alpha = 1.0 if len(groups) == 1 else 0.55
        for label, values in groups:
            counts, _, bars = self.ax_.hist(
                values, bins=self.bin_edges_,
                **style({"alpha": alpha, "label": None if label is None else str(label)},
                        hist_kw),
            )
            self.counts_.append(counts)
            self.bars_.append(bars)
        self.threshold_line_ = None
        if self.threshold is not None:
            self.threshold_line_ = self.ax_.axvline(
                self.threshold,
                **style({"color": "black", "linestyle": "--",
                         "label": f"threshold {self.threshold:.3g}"}, threshold_kw),
            )
        if log_scale:
            from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

            # Plain numbers at 1, 2 and 5 times the powers of ten: the default labels of
            # the minor ticks overlap on the short ranges that errors span.
            self.ax_.set_xscale("log")
            self.ax_.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            self.ax_.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
            self.ax_.xaxis.set_minor_formatter(NullFormatter())
        self.ax_.set(xlabel="reconstruction error", ylabel="samples")
        if self.name is not None:
            self.ax_.set_title(f"Reconstruction errors of {self.name}")
        if self.labels is not None or self.threshold is not None:
            self.ax_.legend()
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, name=None, ax=None, bins=50,
                       log_scale=False, hist_kw=None, threshold_kw=None):
        """Plot the reconstruction errors of a fitted model on `X`.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~sklearn_ae.ReconstructionOutlierDetector`, whose anomaly
            scores ``-score_samples`` and threshold (``-offset_``) are drawn: for a single
            model without the code-space term, its reconstruction errors (in its own
            metric and scaled units); for an ensemble (the default detector), its scores in
            robust standard deviations, which can be negative (use ``log_scale=False``).
            Or a fitted reconstruction model without a threshold:
            an autoencoder of sklearn_ae (errors ``-score_samples``: the mean squared
            error, or for a :class:`~sklearn_ae.VariationalAutoencoder` its negative ELBO
            per feature) or a transformer with ``inverse_transform`` such as
            :class:`~sklearn.decomposition.PCA` (the mean squared error of
            ``inverse_transform(transform(X))``).

        X : array-like of shape (n_samples, n_features)
            The samples.

        y : array-like of shape (n_samples,), default=None
            Label of each sample, e.g. normal or abnormal; each label gets a histogram.

        name : str, default=None
            Name of the model, in the title; None uses its class name.

        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        bins : int or array-like, default=50
            Number of bins, or their edges.

        log_scale : bool, default=False
            Whether to use a logarithmic error axis.

        hist_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.hist`.

        threshold_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.axvline`.

        Returns
        -------
        display : :class:`ReconstructionErrorDisplay`
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_fitted(estimator)
        threshold = None
        if is_detector(estimator):
            # What the threshold applies to: the reconstruction error of a single model,
            # the standardised score of an ensemble.
            errors = -estimator.score_samples(X)
            threshold = -estimator.offset_
        elif hasattr(estimator, "reconstruct") and hasattr(estimator, "score_samples"):
            # An autoencoder's own score: its reconstruction error (a VAE's negative ELBO).
            errors = -estimator.score_samples(X)
        else:
            X_array = check_array(X, dtype="numeric")
            errors = METRICS["mse"](reconstruct(estimator, X) - X_array)
        display = cls(errors, threshold=threshold, labels=y,
                      name=type(estimator).__name__ if name is None else name)
        return display.plot(ax=ax, bins=bins, log_scale=log_scale, hist_kw=hist_kw,
                            threshold_kw=threshold_kw)

    @classmethod
    def from_predictions(cls, X, X_reconstructed, y=None, *, threshold=None, metric="mse",
                         name=None, ax=None, bins=50, log_scale=False, hist_kw=None,
                         threshold_kw=None):
        """Plot the errors of given reconstructions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples.

        X_reconstructed : array-like of shape (n_samples, n_features)
            Their reconstructions.

        y : array-like of shape (n_samples,), default=None
            Label of each sample; each label gets a histogram.

        threshold : float, default=None
            Error above which a sample is an outlier, drawn as a vertical line.

        metric : {'mse', 'mae'}, default='mse'
            The error of a sample: the mean over features of the squared or absolute
            differences.

        name : str, default=None
            Name of the model, in the title.

        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        bins : int or array-like, default=50
            Number of bins, or their edges.

        log_scale : bool, default=False
            Whether to use a logarithmic error axis.

        hist_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.hist`.

        threshold_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.axvline`.

        Returns
        -------
        display : :class:`ReconstructionErrorDisplay`
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        if metric not in METRICS:
            raise ValueError(f"metric must be 'mse' or 'mae', got {metric!r}.")
        X = check_array(X, dtype="numeric", input_name="X")
        X_reconstructed = check_array(X_reconstructed, dtype="numeric",
                                      input_name="X_reconstructed")
        if X.shape != X_reconstructed.shape:
            raise ValueError(
                f"X_reconstructed has shape {X_reconstructed.shape} but X has shape "
                f"{X.shape}; a reconstruction has the shape of its input."
            )
        errors = METRICS[metric](X_reconstructed.astype(float) - X)
        display = cls(errors, threshold=threshold, labels=y, name=name)
        return display.plot(ax=ax, bins=bins, log_scale=log_scale, hist_kw=hist_kw,
                            threshold_kw=threshold_kw)
