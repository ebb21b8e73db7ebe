"""Originals next to their reconstructions: :class:`ReconstructionDisplay`."""

import math

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_array

from .._shapes import complete_image_shape
from ._utils import axes_and_figure, check_fitted, first_rows, is_detector, reconstruct, style

#: Colours of the reconstructions drawn over a signal, in order; the original is blue and
#: the first reconstruction red, as in TensorFlow's ECG5000 tutorial.
RECONSTRUCTION_COLORS = ("tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")


def resolve_image_shape(image_shape, n_features):
    """The shape one row is shown in: ``(height, width)``, or ``(height, width, channels)``.

    ``image_shape`` is ``(height, width)`` or ``(channels, height, width)`` as in
    :class:`~sklearn_ae.ConvAutoencoder` (rows flattened in C order), with at most one -1.
    """
    shape = complete_image_shape(image_shape, n_features)
    if shape is None or math.prod(shape) != n_features:
        side = math.isqrt(n_features)
        hint = f"({side}, {side})" if side * side == n_features else f"(1, {n_features})"
        raise ValueError(
            f"image_shape={tuple(image_shape)!r} does not fit samples of {n_features} "
            "features. Pass the shape of one image, (height, width) or (channels, height, "
            f"width), whose product is {n_features}, e.g. {hint}; or image_shape=None to "
            "plot the samples as 1-D signals."
        )
    if shape[0] == 1:
        return shape[1:]
    if shape[0] not in (3, 4):
        raise ValueError(
            f"image_shape={tuple(image_shape)!r} has {shape[0]} channels; an image can be "
            "shown with 1 (grey), 3 (RGB) or 4 (RGBA) channels."
        )
    return (shape[1], shape[2], shape[0])


def _as_image(row, shape):
    if len(shape) == 2:
        return row.reshape(shape)
    height, width, channels = shape
    return row.reshape(channels, height, width).transpose(1, 2, 0)


class ReconstructionDisplay:
    """Originals next to their reconstructions, as images or as 1-D signals.

    With ``image_shape``, each sample is an image: the originals fill the top row and each
    reconstruction a row below them. Without it, each sample is a signal (a heartbeat, a
    spectrum) drawn in its own panel, the reconstruction over the original and the
    difference between them shaded: the plot of TensorFlow's ECG5000 tutorial.

    It is recommended to use :meth:`from_estimator` or :meth:`from_predictions` to create
    a :class:`ReconstructionDisplay`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <plotting>`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The original samples, one per column of images or per panel.

    X_reconstructed : ndarray of shape (n_samples, n_features), or list of such arrays
        Their reconstruction, or several (e.g. by PCA and by an autoencoder), each drawn
        as a row of images or a line over the signal.

    image_shape : tuple of int, default=None
        Shape of one image: ``(height, width)`` or ``(channels, height, width)`` with 1, 3
        or 4 channels, rows flattened in C order as in
        :class:`~sklearn_ae.ConvAutoencoder`; one entry may be -1. None plots each sample
        as a 1-D signal.

    name : str or list of str, default=None
        Name of each reconstruction, for the row labels or the legend. None gives
        ``'reconstruction'`` (numbered when there are several).

    errors : ndarray of shape (n_samples,), default=None
        Reconstruction error of each sample, written above it. None writes nothing.

    threshold : float, default=None
        Error above which a sample is an outlier; samples over it are marked. Used only
        with ``errors``.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        The panels: of shape (1 + n_reconstructions, n_samples) for images, one row of
        originals then one per reconstruction; of shape (n_samples,) for signals.

    images_ : ndarray of matplotlib AxesImage or None
        For images, the image artists, shaped like ``axes_``; None for signals.

    lines_ : ndarray of matplotlib Line2D or None
        For signals, of shape (n_samples, 1 + n_reconstructions): the original, then each
        reconstruction; None for images.

    error_bands_ : ndarray of matplotlib PolyCollection or None
        For signals, of shape (n_samples, n_reconstructions): the shaded differences
        between the original and each reconstruction; None for images.

    ax_ : matplotlib Axes
        The axes whose area holds the grid of panels (turned off).

    figure_ : matplotlib Figure
        The figure holding the panels.

    See Also
    --------
    LossCurveDisplay : The training and validation loss per epoch.
    ReconstructionErrorDisplay : The distribution of the reconstruction errors.
    sklearn.decomposition.PCA : Its ``inverse_transform(transform(X))`` is a reconstruction
        too, to show next to an autoencoder's with :meth:`from_predictions`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import ReconstructionDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, max_iter=2, random_state=0).fit(X / 16)
    >>> display = ReconstructionDisplay.from_estimator(ae, X / 16, image_shape=(8, 8))
    >>> display.axes_.shape
    (2, 8)
    >>> plt.close("all")
    """

    def __init__(
        self, X, X_reconstructed, *, image_shape=None, name=None, errors=None, threshold=None
    ):
        self.X = X
        self.X_reconstructed = X_reconstructed
        self.image_shape = image_shape
        self.name = name
        self.errors = errors
        self.threshold = threshold

    def _validated(self):
        """``(X, reconstructions, names, errors)`` checked against each other."""
        X = check_array(self.X, dtype=None, input_name="X")
        reconstructions = [
            check_array(rec, dtype=None, input_name="X_reconstructed")
            for rec in (
                self.X_reconstructed
                if isinstance(self.X_reconstructed, (list, tuple))
                else [self.X_reconstructed]
            )
        ]
        for rec in reconstructions:
            if rec.shape != X.shape:
                raise ValueError(
                    f"A reconstruction has shape {rec.shape} but X has shape {X.shape}; "
                    "each reconstruction must have one row per sample of X and its features."
                )
        names = self.name if isinstance(self.name, (list, tuple)) else [self.name]
        if self.name is None:
            names = (
                ["reconstruction"]
                if len(reconstructions) == 1
                else [f"reconstruction {i + 1}" for i in range(len(reconstructions))]
            )
        if len(names) != len(reconstructions):
            raise ValueError(
                f"Got {len(names)} names for {len(reconstructions)} reconstructions; pass "
                "one name per reconstruction."
            )
        errors = None if self.errors is None else np.asarray(self.errors, dtype=float)
        if errors is not None and errors.shape != (len(X),):
            raise ValueError(
                f"errors has shape {errors.shape}; it must hold one error per sample, "
                f"shape ({len(X)},)."
            )
        return X, reconstructions, names, errors

    def _error_title(self, error):
        flagged = self.threshold is not None and error > self.threshold
        return f"error {error:.3g}" + (" > threshold" if flagged else ""), flagged

    def plot(
        self, ax=None, *, n_cols=None, cmap="gray", imshow_kw=None, line_kw=None, band_kw=None
    ):
        """Plot the originals and their reconstructions.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes (made by ``subplots`` or ``add_subplot``) whose area is divided into the
            grid of panels. If None, a new figure and axes are created, sized for the grid.

        n_cols : int, default=None
            For signals, the number of panels per row; None puts up to 4 per row. Images
            always take one column per sample.

        cmap : str or matplotlib Colormap, default='gray'
            Colormap of single-channel images.

        imshow_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`; by default
            every image shares the value range of all of them, so that they compare.

        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the original
            signals.

        band_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.fill_between` for the
            shaded differences.

        Returns
        -------
        display : :class:`ReconstructionDisplay`
            The display, with its artists in ``axes_``, ``images_``, ``lines_`` and
            ``error_bands_``.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        X, reconstructions, names, errors = self._validated()
        shape = None
        if self.image_shape is not None:
            shape = resolve_image_shape(self.image_shape, X.shape[1])
        n_samples = len(X)
        new_figure = ax is None
        if shape is not None:
            n_rows, n_cols = 1 + len(reconstructions), n_samples
            # Room on the left for the longest row label, in inches.
            label_width = 0.09 * max(len(label) for label in ["original", *names]) + 0.3
            figsize = (1.1 * n_cols + label_width + 0.2, 1.15 * n_rows + 0.5)
        else:
            n_cols = min(n_samples, 4) if n_cols is None else int(n_cols)
            n_rows = math.ceil(n_samples / n_cols)
            figsize = (3.2 * n_cols, 2.4 * n_rows + 0.3)
        ax, figure = axes_and_figure(f"{type(self).__name__}.plot", ax, figsize)
        if new_figure and shape is not None:
            figure.subplots_adjust(left=label_width / figsize[0], right=0.98)
        # (matplotlib < 3.7 has get_subplotspec only on the axes of a grid)
        spec = getattr(ax, "get_subplotspec", lambda: None)()
        if spec is None:
            raise ValueError(
                "ax must be an axes of a grid (made by plt.subplots or figure.add_subplot), "
                "whose area is divided into the panels."
            )
        from matplotlib.gridspec import GridSpecFromSubplotSpec

        ax.set_axis_off()
        grid = GridSpecFromSubplotSpec(n_rows, n_cols, subplot_spec=spec, wspace=0.1,
                                       hspace=0.35 if shape is not None else 0.5)
        self.ax_, self.figure_ = ax, figure
        if shape is not None:
            self._plot_images(X, reconstructions, names, errors, shape, grid, cmap, imshow_kw)
        else:
            self._plot_signals(X, reconstructions, names, errors, grid, n_cols, line_kw, band_kw)
        return self

    def _plot_images(self, X, reconstructions, names, errors, shape, grid, cmap, imshow_kw):
        rows = [X, *reconstructions]
        vmin = min(float(np.min(r)) for r in rows)
        vmax = max(float(np.max(r)) for r in rows)
        kwargs = style({"cmap": cmap, "vmin": vmin, "vmax": vmax}, imshow_kw)
        self.axes_ = np.empty((len(rows), len(X)), dtype=object)
        self.images_ = np.empty_like(self.axes_)
        for i, (label, row) in enumerate(zip(["original", *names], rows)):
            for j, sample in enumerate(row):
                panel = self.figure_.add_subplot(grid[i, j])
                self.images_[i, j] = panel.imshow(_as_image(sample, shape), **kwargs)
                panel.set_xticks([])
                panel.set_yticks([])
                self.axes_[i, j] = panel
            self.axes_[i, 0].set_ylabel(label, rotation=0, ha="right", va="center")
        if errors is not None:
            for panel, error in zip(self.axes_[0], errors):
                title, flagged = self._error_title(error)
                panel.set_title(title.replace(" > ", "\n> "), fontsize="small",
                                color="tab:red" if flagged else "black")
        self.lines_ = self.error_bands_ = None

    def _plot_signals(self, X, reconstructions, names, errors, grid, n_cols, line_kw, band_kw):
        n_samples = len(X)
        self.axes_ = np.empty(n_samples, dtype=object)
        self.lines_ = np.empty((n_samples, 1 + len(reconstructions)), dtype=object)
        self.error_bands_ = np.empty((n_samples, len(reconstructions)), dtype=object)
        t = np.arange(X.shape[1])
        for i, original in enumerate(X):
            panel = self.figure_.add_subplot(
                grid[i // n_cols, i % n_cols],
                sharex=self.axes_[0], sharey=self.axes_[0],
            )
            self.axes_[i] = panel
            self.lines_[i, 0] = panel.plot(
                t, original, **style({"color": "tab:blue", "label": "original"}, line_kw)
            )[0]
            for k, (label, rec) in enumerate(zip(names, reconstructions)):
                color = RECONSTRUCTION_COLORS[k % len(RECONSTRUCTION_COLORS)]
                self.lines_[i, 1 + k] = panel.plot(t, rec[i], color=color, label=label)[0]
                self.error_bands_[i, k] = panel.fill_between(
                    t, original, rec[i],
                    **style({"color": color, "alpha": 0.25, "linewidth": 0,
                             "label": "error" if len(names) == 1 else f"error of {label}"},
                            band_kw),
                )
            if errors is not None:
                title, flagged = self._error_title(errors[i])
                panel.set_title(title, fontsize="small", color="tab:red" if flagged else "black")
        self.axes_[0].legend(fontsize="small")
        self.images_ = None

    @classmethod
    def from_estimator(
        cls, estimator, X, *, n_samples=8, image_shape=None, name=None, ax=None,
        n_cols=None, cmap="gray", imshow_kw=None, line_kw=None, band_kw=None,
    ):
        """Reconstruct samples with a fitted model and plot them next to the originals.

        Parameters
        ----------
        estimator : estimator instance
            A fitted reconstruction model: an autoencoder of sklearn_ae, any transformer
            with ``transform`` and ``inverse_transform`` (e.g.
            :class:`~sklearn.decomposition.PCA`), or a
            :class:`~sklearn_ae.ReconstructionOutlierDetector`. A detector's
            reconstructions are mapped back to the units of `X` through its scaler, and
            each sample is titled with its anomaly score (``-score_samples``: the
            reconstruction error for a single model), marked when above the detector's
            threshold. For an ensemble, the reconstruction drawn is its first model's.

        X : array-like of shape (n_samples, n_features)
            The samples; the first ``n_samples`` are plotted.

        n_samples : int or None, default=8
            Number of samples to plot, from the start of `X`; None plots all of them.

        image_shape : tuple of int, default=None
            Shape of one image, see :class:`ReconstructionDisplay`. None takes the
            estimator's ``image_shape_`` where it has one (a
            :class:`~sklearn_ae.ConvAutoencoder`), and else plots 1-D signals.

        name : str, default=None
            Name of the reconstruction, for the row label or the legend; None gives
            ``'reconstruction'``.

        ax : matplotlib Axes, default=None
            Axes whose area holds the panels; None creates a new figure.

        n_cols : int, default=None
            For signals, the number of panels per row; None puts up to 4 per row.

        cmap : str or matplotlib Colormap, default='gray'
            Colormap of single-channel images.

        imshow_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`.

        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the originals.

        band_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.fill_between`.

        Returns
        -------
        display : :class:`ReconstructionDisplay`
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_fitted(estimator)
        X = first_rows(X, n_samples)
        X_reconstructed = reconstruct(estimator, X)
        errors = threshold = None
        if is_detector(estimator):
            errors = -estimator.score_samples(X)
            threshold = -estimator.offset_
        if image_shape is None:
            model = estimator.estimator_ if is_detector(estimator) else estimator
            image_shape = getattr(model, "image_shape_", None)
        display = cls(
            np.asarray(X), X_reconstructed, image_shape=image_shape,
            name=name, errors=errors, threshold=threshold,
        )
        return display.plot(ax=ax, n_cols=n_cols, cmap=cmap, imshow_kw=imshow_kw,
                            line_kw=line_kw, band_kw=band_kw)

    @classmethod
    def from_predictions(
        cls, X, X_reconstructed, *, n_samples=8, image_shape=None, name=None, errors=None,
        threshold=None, ax=None, n_cols=None, cmap="gray", imshow_kw=None, line_kw=None,
        band_kw=None,
    ):
        """Plot given reconstructions next to the originals.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The original samples; the first ``n_samples`` are plotted.

        X_reconstructed : array-like of shape (n_samples, n_features), or list of such
            Their reconstruction, or several to compare (e.g. PCA's and an
            autoencoder's).

        n_samples : int or None, default=8
            Number of samples to plot, from the start; None plots all of them.

        image_shape : tuple of int, default=None
            Shape of one image, see :class:`ReconstructionDisplay`; None plots 1-D signals.

        name : str or list of str, default=None
            Name of each reconstruction.

        errors : array-like of shape (n_samples,), default=None
            Reconstruction error of each sample of `X`, written above it.

        threshold : float, default=None
            Error above which a sample is marked as an outlier.

        ax : matplotlib Axes, default=None
            Axes whose area holds the panels; None creates a new figure.

        n_cols : int, default=None
            For signals, the number of panels per row; None puts up to 4 per row.

        cmap : str or matplotlib Colormap, default='gray'
            Colormap of single-channel images.

        imshow_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`.

        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the originals.

        band_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.fill_between`.

        Returns
        -------
        display : :class:`ReconstructionDisplay`
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        several = isinstance(X_reconstructed, (list, tuple))
        reconstructions = [
            np.asarray(first_rows(rec, n_samples))
            for rec in (X_reconstructed if several else [X_reconstructed])
        ]
        if errors is not None:
            errors = np.asarray(errors)[: len(reconstructions[0])]
        display = cls(
            np.asarray(first_rows(X, n_samples)),
            reconstructions if several else reconstructions[0],
            image_shape=image_shape, name=name, errors=errors, threshold=threshold,
        )
        return display.plot(ax=ax, n_cols=n_cols, cmap=cmap, imshow_kw=imshow_kw,
                            line_kw=line_kw, band_kw=band_kw)
