"""A 2-D view of the codes: :class:`LatentSpaceDisplay`."""

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_array

from ._utils import axes_and_figure, check_fitted, encode, style

#: Up to this many distinct labels get a colour each and a legend entry; more numeric
#: labels are shown on a continuous colormap with a colorbar.
MAX_CATEGORIES = 20


class LatentSpaceDisplay:
    """A 2-D scatter plot of the codes, coloured by labels.

    Codes of two values are drawn as they are; wider codes are projected on their first
    two principal components (:class:`~sklearn.decomposition.PCA`, a linear view that
    keeps distances as far as two axes can). Labels that the model never saw, such as the
    classes of the samples, show whether the code space separates them.

    It is recommended to use :meth:`from_estimator` or :meth:`from_codes` to create a
    :class:`LatentSpaceDisplay`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <plotting>`.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
        The 2-D points: the codes, or their projection on two principal components.

    labels : array-like of shape (n_samples,), default=None
        Label of each sample, for the colours. Up to 20 distinct values get a colour each
        and a legend; more numeric values a continuous colormap and a colorbar. None draws
        every point in one colour.

    explained_variance_ratio : ndarray of shape (2,), default=None
        Share of the codes' variance on each axis, when ``embedding`` is a PCA
        projection; written on the axes. None when the codes are drawn as they are.

    name : str, default=None
        Name of the model, in the title.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The points.

    legend_ : matplotlib Legend or None
        The legend of the label colours; None without labels or with continuous ones.

    colorbar_ : matplotlib Colorbar or None
        The colorbar of continuous labels; None otherwise.

    ax_ : matplotlib Axes
        Axes with the scatter plot.

    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    sklearn.decomposition.PCA : The projection used for codes wider than two.
    sklearn.manifold.TSNE : A nonlinear 2-D view; pass its output to the constructor.
    ReconstructionDisplay : What the decoder makes of the codes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=2, max_iter=2, random_state=0).fit(X / 16)
    >>> display = LatentSpaceDisplay.from_estimator(ae, X / 16, y)
    >>> display.embedding.shape
    (1797, 2)
    >>> plt.close("all")
    """

    def __init__(self, embedding, *, labels=None, explained_variance_ratio=None, name=None):
        self.embedding = embedding
        self.labels = labels
        self.explained_variance_ratio = explained_variance_ratio
        self.name = name

    def plot(self, ax=None, *, cmap=None, scatter_kw=None, legend=True):
        """Plot the codes.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        cmap : str or matplotlib Colormap, default=None
            Colormap of the labels. None uses ``'tab10'`` for up to 10 labels,
            ``'tab20'`` for up to 20, and ``'viridis'`` for continuous ones.

        scatter_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.scatter`.

        legend : bool, default=True
            Whether to draw the legend (or colorbar) of the labels.

        Returns
        -------
        display : :class:`LatentSpaceDisplay`
            The display, with ``scatter_``, ``legend_``, ``colorbar_``, ``ax_`` and
            ``figure_``.
        """
        self.ax_, self.figure_ = axes_and_figure(f"{type(self).__name__}.plot", ax)
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D

        embedding = check_array(self.embedding, input_name="embedding")
        if embedding.shape[1] != 2:
            raise ValueError(
                f"embedding has {embedding.shape[1]} columns; it must be 2-D points. Use "
                "LatentSpaceDisplay.from_codes to project wider codes with PCA."
            )
        defaults = {"s": 8, "alpha": 0.8, "linewidths": 0}
        self.legend_ = self.colorbar_ = None
        labels = None if self.labels is None else np.asarray(self.labels)
        if labels is not None and len(labels) != len(embedding):
            raise ValueError(
                f"labels has {len(labels)} values for {len(embedding)} points; pass one "
                "label per sample."
            )
        classes = None if labels is None else np.unique(labels)
        continuous = (
            classes is not None
            and len(classes) > MAX_CATEGORIES
            and np.issubdtype(labels.dtype, np.number)
        )
        if classes is None:
            self.scatter_ = self.ax_.scatter(*embedding.T, **style(defaults, scatter_kw))
        elif continuous:
            defaults["cmap"] = cmap or "viridis"
            self.scatter_ = self.ax_.scatter(*embedding.T, c=labels,
                                             **style(defaults, scatter_kw))
            if legend:
                self.colorbar_ = self.figure_.colorbar(self.scatter_, ax=self.ax_)
        else:
            colormap = plt.get_cmap(cmap or ("tab10" if len(classes) <= 10 else "tab20"))
            palette = [colormap(i % colormap.N) for i in range(len(classes))]
            index = np.searchsorted(classes, labels)
            self.scatter_ = self.ax_.scatter(
                *embedding.T, c=np.asarray(palette)[index], **style(defaults, scatter_kw)
            )
            if legend:
                handles = [
                    Line2D([], [], marker="o", linestyle="", color=color, label=str(label))
                    for label, color in zip(classes, palette)
                ]
                self.legend_ = self.ax_.legend(handles=handles, fontsize="small",
                                               markerscale=0.8, loc="best")
        if self.explained_variance_ratio is None:
            self.ax_.set(xlabel="code 1", ylabel="code 2")
        else:
            ratio = np.asarray(self.explained_variance_ratio)
            self.ax_.set(xlabel=f"PC 1 of the codes ({ratio[0]:.0%} of the variance)",
                         ylabel=f"PC 2 of the codes ({ratio[1]:.0%} of the variance)")
        if self.name is not None:
            self.ax_.set_title(f"Codes of {self.name}")
        return self

    @classmethod
    def from_codes(cls, codes, y=None, *, name=None, ax=None, cmap=None, scatter_kw=None,
                   legend=True):
        """Plot codes, projected on two principal components when wider than two.

        Parameters
        ----------
        codes : array-like of shape (n_samples, n_components)
            The codes, e.g. the output of ``transform``; at least two per sample.

        y : array-like of shape (n_samples,), default=None
            Label of each sample, for the colours.

        name : str, default=None
            Name of the model, in the title.

        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        cmap : str or matplotlib Colormap, default=None
            Colormap of the labels, see :meth:`plot`.

        scatter_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.scatter`.

        legend : bool, default=True
            Whether to draw the legend (or colorbar) of the labels.

        Returns
        -------
        display : :class:`LatentSpaceDisplay`
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_codes")
        codes = check_array(codes, input_name="codes")
        if codes.shape[1] < 2:
            raise ValueError(
                f"The codes have {codes.shape[1]} value per sample; a 2-D view needs at "
                "least 2. Plot a 1-D code as a histogram, or fit a wider code."
            )
        ratio = None
        if codes.shape[1] > 2:
            pca = PCA(n_components=2, random_state=0).fit(codes)
            codes, ratio = pca.transform(codes), pca.explained_variance_ratio_
        display = cls(codes, labels=y, explained_variance_ratio=ratio, name=name)
        return display.plot(ax=ax, cmap=cmap, scatter_kw=scatter_kw, legend=legend)

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, name=None, ax=None, cmap=None,
                       scatter_kw=None, legend=True):
        """Encode samples with a fitted model and plot their codes.

        Parameters
        ----------
        estimator : estimator instance
            A fitted transformer, e.g. an autoencoder of sklearn_ae, PCA, or a Pipeline
            ending in one; or a :class:`~sklearn_ae.ReconstructionOutlierDetector`,
            whose model encodes the samples after its scaler.

        X : array-like of shape (n_samples, n_features)
            The samples to encode.

        y : array-like of shape (n_samples,), default=None
            Label of each sample, for the colours.

        name : str, default=None
            Name of the model, in the title; None uses its class name.

        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        cmap : str or matplotlib Colormap, default=None
            Colormap of the labels, see :meth:`plot`.

        scatter_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.scatter`.

        legend : bool, default=True
            Whether to draw the legend (or colorbar) of the labels.

        Returns
        -------
        display : :class:`LatentSpaceDisplay`
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_fitted(estimator)
        return cls.from_codes(
            encode(estimator, X), y, name=type(estimator).__name__ if name is None else name, ax=ax,
            cmap=cmap, scatter_kw=scatter_kw, legend=legend,
        )
