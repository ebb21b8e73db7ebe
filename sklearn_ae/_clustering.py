"""Clustering on the code of an autoencoder: :class:`DeepEmbeddedClustering`.

The estimator wraps any deterministic autoencoder of the package: it trains it, starts
cluster centres with k-means on its codes, then trains the encoder and the centres
together, through its own skorch net (:class:`ClusteringNet`), on the reconstruction loss
plus DEC's clustering loss.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback
from skorch.utils import to_tensor

from ._augmentation import AUGMENTATIONS, ImageAugmentation
from ._base import BaseAutoencoder
from ._dense import AutoencoderTransformer
from ._meta import draw_seed, seed_unset_random_states, unchanged_on_error
from ._modules import (
    ClusteringModule,
    sharpened_target,
    soft_assignments,
    squared_distances,
    student_t_assignments,
)
from ._net import AutoencoderNet
from ._shapes import complete_image_shape
from ._torch_utils import as_tensor, seeded_torch
from ._training import (
    TrainingConfig,
    augmented_training,
    configure,
    interrupt_scope,
    make_net,
    report_interrupt,
    train,
)


class ClusteringNet(AutoencoderNet):
    """The skorch net of :class:`DeepEmbeddedClustering`: reconstruction plus clustering loss.

    Private. The module (:class:`~sklearn_ae._modules.ClusteringModule`) gives the
    reconstruction and the soft assignments ``q`` of the codes. The loss is the
    reconstruction loss of the criterion plus ``clustering_weight`` times the KL divergence
    of ``q`` from its sharpened target (:func:`~sklearn_ae._modules.sharpened_target`),
    averaged over the rows of the batch: the loss of IDEC (Guo et al., "Improved Deep
    Embedded Clustering with Local Structure Preservation", IJCAI 2017). Each epoch records
    the means of both terms (``train_reconstruction``, ``train_clustering``).

    The target is computed from the batch's own assignments, held fixed for the step,
    where DEC computes it over all the training data every few hundred steps: measured on
    MNIST (a conv autoencoder with a 98-value code, 6 epochs), both gave the same
    clustering (NMI 0.687 and 0.686), and this needs no pass over the data.

    With an ``augmentation`` (DEC-DA), the batch is augmented (the reconstruction term
    rebuilds the augmented rows) and the target comes from the assignments of the clean
    rows, computed without gradient: the clustering term pulls the assignments of an
    augmented image towards the sharpened assignments of the image itself.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`~sklearn_ae._net.AutoencoderNet`.
    clustering_weight : float, default=1.0
        Weight of the clustering term.
    """

    loss_terms = ("reconstruction", "clustering")

    def __init__(self, *args, clustering_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.clustering_weight = clustering_weight

    def train_step_single(self, batch, **fit_params):
        self._clean_target = None
        if self.augmentation is not None:
            # In eval mode, as DEC-DA predicts its target: a user's module with dropout or
            # batch normalisation gets the same target whatever mode the last call left.
            self._set_training(False)
            module = self.module_
            with torch.no_grad():
                codes = module.encode(to_tensor(batch[0], device=self.device))
                q = soft_assignments(codes, module.cluster_centers)
            self._clean_target = sharpened_target(q)
        return super().train_step_single(batch, **fit_params)  # back in training mode

    def get_loss(self, y_pred, y_true, X=None, training=False):
        rebuilt, q = y_pred
        reconstruction = super().get_loss(rebuilt, y_true, X=X, training=training)
        clean_target = getattr(self, "_clean_target", None) if training else None
        p = sharpened_target(q.detach()) if clean_target is None else clean_target
        # KL(p || q); xlogy makes 0 * log 0 = 0 where an assignment underflows.
        clustering = (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=1).mean()
        self.record_loss_terms(training, reconstruction=reconstruction, clustering=clustering)
        return reconstruction + self.clustering_weight * clustering


class LabelChangeStopping(Callback):
    """Stop training once at most ``tol`` of the training rows change cluster in an epoch.

    DEC's stopping rule, checked at the end of each epoch (at most rather than fewer than,
    so that ``tol=0`` stops once no row changes). The fraction of rows whose
    cluster changed is recorded in the history as ``label_change``.

    Parameters
    ----------
    tol : float or None
        Training stops when the fraction is at most this; None never stops it.
    labels_of : callable
        Returns the current cluster of every training row.
    labels : ndarray of shape (n_samples,)
        The clusters before training (k-means').
    """

    def __init__(self, tol, labels_of, labels):
        self.tol = tol
        self.labels_of = labels_of
        self.labels = labels

    def on_train_begin(self, net, **kwargs):
        self.stop_ = False

    def on_epoch_begin(self, net, **kwargs):
        # Stopped here rather than at the end of the epoch that met the rule, so that the log
        # (printed at the end of an epoch, after every other callback) shows that epoch. The
        # history's row of this epoch, begun and empty, is dropped by the estimator.
        if self.stop_:
            raise KeyboardInterrupt  # how skorch's EarlyStopping stops a fit

    def on_epoch_end(self, net, **kwargs):
        labels = self.labels_of()
        change = float(np.mean(labels != self.labels))
        self.labels = labels
        net.history.record("label_change", change)
        self.stop_ = self.tol is not None and change <= self.tol
        if self.stop_ and net.verbose:
            print(f"Stopping since {change:.2%} of the samples changed cluster in the last "
                  f"epoch, at most tol={self.tol:g}.")


#: Rows of codes per block when measuring their distances to the centres: memory grows as
#: this times ``n_clusters`` times the code width, not with the data.
DISTANCE_BLOCK = 1024


def center_distances(codes, centers):
    """``(n, k)`` squared distances from the rows of ``codes`` to ``centers``, in float64.

    The torch kernel that fine-tuning trains with
    (:func:`~sklearn_ae._modules.squared_distances`), on blocks of rows. A distance too large
    for float64 is infinite, without a warning.
    """
    centers = torch.as_tensor(centers, dtype=torch.float64)
    out = np.empty((len(codes), len(centers)))
    with torch.inference_mode():
        for start in range(0, len(codes), DISTANCE_BLOCK):
            block = torch.as_tensor(codes[start : start + DISTANCE_BLOCK], dtype=torch.float64)
            out[start : start + len(block)] = squared_distances(block, centers).numpy()
    return out


def _nearest(codes, centers):
    """Index of the nearest of ``centers`` to each row of ``codes``, as int64."""
    return center_distances(codes, centers).argmin(axis=1).astype(np.int64)


class DeepEmbeddedClustering(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Clustering on an autoencoder's code, trained for clustering (DEC / IDEC).

    k-means on the codes of an autoencoder groups what the autoencoder found worth
    reconstructing, which is not always what tells the groups apart: a wide code keeps the
    position and the thickness of a stroke as faithfully as the shape of the digit. This
    estimator trains the encoder further so that the codes fall into clusters, in three
    steps:

    1. the autoencoder ``estimator`` is fit on `X` (pretraining);
    2. k-means on its codes gives ``n_clusters`` centres in the code space;
    3. the encoder, the decoder and the centres are trained together for up to
       ``max_iter`` epochs, on the reconstruction loss plus ``clustering_weight`` times a
       clustering loss: each code is softly assigned to the centres (a Student's t kernel),
       and the assignments are pulled towards a sharpened copy of themselves, which
       tightens the clusters around the confident assignments (DEC). The reconstruction
       term keeps the code faithful to the data (IDEC).

    With ``augmentation`` (DEC-DA, for images), steps 1 and 3 train on randomly shifted
    (and rotated) copies of the training images, drawn afresh for every batch: the
    autoencoder rebuilds the shifted image, and the assignments of a shifted image are
    pulled towards the sharpened assignments of the image itself, so that the clusters
    cannot depend on where in the frame a digit sits.

    :meth:`predict` gives each sample the cluster of the nearest centre, :meth:`transform`
    the autoencoder's code (so that another clusterer may follow in a
    :class:`~sklearn.pipeline.Pipeline`), :meth:`predict_proba` the soft assignments.

    Read more in the :ref:`User Guide <clustering>`.

    Parameters
    ----------
    estimator : autoencoder of this package or None, default=None
        The autoencoder to pretrain and fine-tune: :class:`AutoencoderTransformer`,
        :class:`DenoisingAutoencoder`, :class:`ConvAutoencoder` or
        :class:`SequenceAutoencoder`, with its own parameters (code width, network,
        pretraining budget, device). It is cloned: the object passed is never fitted or
        changed. None uses ``AutoencoderTransformer(n_components=10)``. For a code of many
        values, ``n_linear_code_layers=4`` made it cluster better (see the User Guide).
        Fine-tuning trains on clean inputs, also for a denoising autoencoder.

    n_clusters : int, default=8
        The number of clusters.

    clustering_weight : float, default=1.0
        Weight of the clustering loss next to the reconstruction loss (IDEC's gamma).
        Larger values tighten the clusters faster and let the code drift further from
        what reconstructs the data; 0 trains the autoencoder further, on reconstruction
        only (the centres then stay where k-means put them).

    n_init : int, default=10
        Number of k-means runs, with different centroid seeds, that start the centres;
        the run with the lowest inertia is kept.

    batch_size : int, default=256
        Size of the minibatches of fine-tuning (at most the number of samples).

    learning_rate_init : float, default=1e-3
        Learning rate of the Adam optimizer of fine-tuning, IDEC's. On MNIST (see the User
        Guide) it clustered better than 1e-4 (NMI 0.735 against 0.724 after 8 epochs, one
        seed) and kept a lower reconstruction error.

    max_iter : int, default=30
        Maximum number of epochs of fine-tuning. 0 skips it: the estimator is then k-means
        on the pretrained codes.

    tol : float or None, default=1e-3
        Fine-tuning stops when at most this fraction of the training samples changed
        cluster in an epoch (DEC's rule and default, 0.1%); 0 stops only once no sample
        changes cluster. None trains for ``max_iter`` epochs (and never warns that they
        ran out), as ``tol=None`` does in :class:`~sklearn.linear_model.SGDClassifier`.

    random_state : int, RandomState instance or None, default=None
        Seeds the k-means runs, the shuffling of fine-tuning and, where the autoencoder's
        own ``random_state`` is None, the autoencoder (its weights and pretraining). Pass
        an int for reproducible results.

    augmentation : {'shift', 'shift_rotate'}, callable or None, default=None
        Data augmentation of the training images during pretraining and fine-tuning
        (DEC-DA): ``'shift'`` moves each image by up to 10% of its width and height in
        each direction, ``'shift_rotate'`` also rotates it by up to 10 degrees either way
        (DEC-DA's set, Keras' ``ImageDataGenerator(width_shift_range=0.1,
        height_shift_range=0.1, rotation_range=10)``); the pixels that come in from
        outside copy the nearest border pixel. A callable takes a batch of rows as a
        torch tensor of shape ``(batch_size, n_features)`` and returns the augmented
        batch, a tensor of the same shape and dtype; it should draw its randomness from
        torch's global generator, which ``random_state`` seeds. None trains on the rows as
        given. Only training sees augmented rows: the k-means start, the label changes of
        ``tol``, :meth:`predict` and :meth:`transform` use them as given.

    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)`` of the images that the rows
        of `X` flatten (in C order), for ``augmentation='shift'`` or ``'shift_rotate'``;
        one entry may be -1 and is inferred. None takes the ``image_shape`` of a
        :class:`ConvAutoencoder` estimator, and otherwise square single-channel images.
        Ignored without a built-in augmentation.

    verbose : int, default=0
        ``0`` is silent; ``1`` or more prints one line per epoch of fine-tuning (loss, its
        two terms, the fraction of samples that changed cluster).

    Attributes
    ----------
    estimator_ : autoencoder
        The pretrained and fine-tuned clone of ``estimator``. Its ``n_iter_`` and
        ``loss_curve_`` are those of pretraining.

    cluster_centers_ : ndarray of shape (n_clusters, n_components)
        The centres of the clusters in the code space of ``estimator_``.

    labels_ : ndarray of shape (n_samples,)
        The cluster of each training sample, ``predict(X)`` of the training data.

    n_iter_ : int
        Number of epochs of fine-tuning.

    loss_curve_ : list of float
        Fine-tuning loss at the end of each epoch.

    label_changes_ : list of float
        Fraction of the training samples that changed cluster in each epoch of
        fine-tuning; it falls as the clusters settle.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has feature names
        that are all strings.

    See Also
    --------
    sklearn.cluster.KMeans : k-means on the data themselves, or after any transformer.
    sklearn.mixture.GaussianMixture : Soft clustering with a probabilistic model.
    AutoencoderTransformer : The default autoencoder; ``make_pipeline(AutoencoderTransformer(),
        KMeans())`` clusters codes that were not trained for it.
    ConvAutoencoder : The autoencoder for images.

    Notes
    -----
    DEC: Xie, Girshick and Farhadi, "Unsupervised Deep Embedding for Clustering Analysis",
    ICML 2016. IDEC (the reconstruction term): Guo, Gao, Liu and Yin, "Improved Deep
    Embedded Clustering with Local Structure Preservation", IJCAI 2017. DEC-DA
    (``augmentation``): Guo, Zhu, Liu and Yin, "Deep Embedded Clustering with Data
    Augmentation", ACML 2018. Here the target distribution is computed batch by batch
    (see the User Guide).

    Like every self-training method, fine-tuning sharpens the clusters that k-means found
    on the pretrained codes: it improves a good start and cannot repair a bad one. The
    pretraining budget (the autoencoder's ``max_iter``) matters: the codes that cluster
    best may come before the reconstruction error stops falling.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn_ae import AutoencoderTransformer, DeepEmbeddedClustering
    >>> X, y = make_blobs(n_samples=300, centers=3, n_features=8, random_state=0)
    >>> dec = DeepEmbeddedClustering(
    ...     AutoencoderTransformer(n_components=3, max_iter=20), n_clusters=3,
    ...     max_iter=5, random_state=0).fit(X)
    >>> dec.labels_.shape, dec.cluster_centers_.shape
    ((300,), (3, 3))
    >>> dec.transform(X).shape
    (300, 3)
    >>> dec.predict_proba(X[:1]).sum().round(6)
    np.float64(1.0)
    """

    _parameter_constraints: dict = {
        "estimator": [BaseAutoencoder, None],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "clustering_weight": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "random_state": ["random_state"],
        "augmentation": [StrOptions(set(AUGMENTATIONS)), callable, None],
        "image_shape": ["array-like", None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_clusters=8,
        clustering_weight=1.0,
        n_init=10,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=30,
        tol=1e-3,
        random_state=None,
        augmentation=None,
        image_shape=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_clusters = n_clusters
        self.clustering_weight = clustering_weight
        self.n_init = n_init
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.augmentation = augmentation
        self.image_shape = image_shape
        self.verbose = verbose

    @property
    def _n_features_out(self):
        """Width of the code, known once fitted."""
        return self.cluster_centers_.shape[1]

    # ------------------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Pretrain the autoencoder on `X`, start the centres with k-means, fine-tune both.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, in the form the autoencoder takes (e.g. flattened images for
            :class:`ConvAutoencoder`).

        y : None
            Ignored. Present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with unchanged_on_error(self):
            # k-means jumps where the codes tie: the last-bit differences that another
            # memory order of X gives the codes could pick another of equally good k-means
            # runs. A C-ordered X (a copy only where it is not) gives every order the same fit.
            X = self._validate(X, reset=True)
            if not X.flags.c_contiguous:
                X = np.ascontiguousarray(X)
            if X.shape[0] < self.n_clusters:
                raise ValueError(
                    f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}: "
                    "each cluster needs a sample to start from. Pass more samples or a "
                    "smaller n_clusters."
                )
            rng = check_random_state(self.random_state)
            estimator = self._make_estimator(rng)
            augmentation = self._augmentation(estimator, X)
            # One Ctrl-C ends the whole fit: an interrupted pretraining keeps what it trained
            # and fine-tuning is skipped; the interruption is reported once, below.
            with interrupt_scope() as pretraining, augmented_training(augmentation):
                estimator.fit(X)
            codes = estimator._transform(X)  # the base's hook: X is validated
            kmeans = KMeans(self.n_clusters, n_init=self.n_init, random_state=draw_seed(rng))
            kmeans.fit(codes)
            centers = kmeans.cluster_centers_.astype(codes.dtype)
            seed = draw_seed(rng)
            net, fine_tuning_interrupted = (None, False) if pretraining.interrupted else (
                self._fine_tune(estimator, X, centers, kmeans.labels_, seed, augmentation)
            )
            if net is not None:
                centers = net.module_.cluster_centers.detach().cpu().numpy()
            self.estimator_ = estimator
            self.cluster_centers_ = centers
            self.labels_ = _nearest(estimator._transform(X), centers)
            history = [] if net is None else net.history
            self.n_iter_ = len(history)
            self.loss_curve_ = [float(row["train_loss"]) for row in history]
            self.label_changes_ = [float(row["label_change"]) for row in history]
        if pretraining.interrupted or fine_tuning_interrupted:
            kept = (
                "Pretraining was cut short: the centres come from k-means on the codes "
                "trained so far, and fine-tuning was skipped." if pretraining.interrupted else
                f"Fine-tuning keeps its {self.n_iter_} completed epochs (n_iter_)."
            )
            report_interrupt(self, kept)
            return self
        if (
            self.tol is not None and self.n_iter_ == self.max_iter > 0
            and self.label_changes_[-1] > self.tol
        ):
            warnings.warn(
                f"{type(self).__name__}: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet. Increase max_iter: "
                f"{self.label_changes_[-1]:.2%} of the training samples changed cluster in "
                f"the last epoch, more than tol={self.tol:g}.",
                ConvergenceWarning,
            )
        return self

    def fit_predict(self, X, y=None):
        """Fit on `X` and return the cluster of each of its samples.

        Equal to ``fit(X).labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : None
            Ignored. Present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each sample.
        """
        return self.fit(X).labels_

    def _validate(self, X, reset):
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) > 2:
            raise ValueError(
                f"{type(self).__name__} takes 2-D X of shape (n_samples, n_features), one "
                f"flattened sample per row; got an array of shape {tuple(shape)}. Flatten "
                "each sample (X.reshape(len(X), -1)) and give the autoencoder the shape of "
                "one sample, e.g. ConvAutoencoder(image_shape=...) or "
                "SequenceAutoencoder(n_timesteps=...)."
            )
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)

    def _make_estimator(self, rng):
        """An unfitted clone of the autoencoder, with its unset seed drawn from ``rng``."""
        if self.estimator is not None and self.estimator._stochastic_code:
            raise ValueError(
                f"{type(self).__name__} fine-tunes a deterministic code, but "
                f"{type(self.estimator).__name__}'s code is a distribution, whose KL term "
                "fine-tuning would drop. Use AutoencoderTransformer (or ConvAutoencoder, "
                "SequenceAutoencoder) as the estimator."
            )
        estimator = (
            AutoencoderTransformer(n_components=10) if self.estimator is None
            else clone(self.estimator)
        )
        return seed_unset_random_states(estimator, rng)

    def _augmentation(self, estimator, X):
        """The augmentation of the training batches (a callable), or None.

        A user's callable is tried on two rows of `X` first (without touching torch's
        random state), so that a wrong one fails here, with its name, not in training.
        """
        augmentation = self.augmentation
        if augmentation is None:
            return None
        if isinstance(augmentation, str):
            shift, rotation = AUGMENTATIONS[augmentation]
            return ImageAugmentation(self._image_shape(estimator, X.shape[1]), shift, rotation)
        probe = torch.as_tensor(X[:2])
        with torch.random.fork_rng(devices=[]):
            try:
                out = augmentation(probe.clone())
            except Exception as exc:
                raise ValueError(
                    f"augmentation={augmentation!r} failed on a batch of {len(probe)} rows of X "
                    f"(a torch tensor of shape {tuple(probe.shape)}): {exc!r}. It must take "
                    "a batch of rows and return the augmented batch."
                ) from exc
        if not (
            isinstance(out, torch.Tensor) and out.shape == probe.shape
            and out.dtype == probe.dtype
        ):
            got = (
                f"a tensor of shape {tuple(out.shape)} and dtype {out.dtype}"
                if isinstance(out, torch.Tensor) else f"a {type(out).__name__}"
            )
            raise ValueError(
                f"augmentation={augmentation!r} must return a torch tensor of the shape and "
                f"dtype of its input ({tuple(probe.shape)}, {probe.dtype}); it returned "
                f"{got}."
            )
        return augmentation

    def _image_shape(self, estimator, n_features):
        """``(channels, height, width)`` of the images that the rows of `X` flatten."""
        if self.image_shape is None:
            if hasattr(estimator, "image_shape"):  # ConvAutoencoder: its own rule and errors
                return estimator._resolve_image_shape(n_features)
            side = math.isqrt(n_features)
            if side * side != n_features:
                raise ValueError(
                    f"augmentation={self.augmentation!r} moves images, and image_shape=None "
                    f"takes square single-channel ones, but X has {n_features} features, "
                    "which is not a square number. Pass image_shape=(height, width) or "
                    f"(channels, height, width) with a product of {n_features}."
                )
            return (1, side, side)
        shape = complete_image_shape(self.image_shape, n_features)
        if shape is None or math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={self.image_shape!r} does not match X: it must be (height, "
                "width) or (channels, height, width) of positive integers (one may be -1, "
                f"inferred) with a product of n_features={n_features}."
            )
        return shape

    def _fine_tune(self, estimator, X, centers, labels, seed, augmentation):
        """Train ``estimator``'s network (in place) and the centres.

        Returns the skorch net (None for ``max_iter=0``) and whether the user interrupted
        the training.
        """
        if self.max_iter == 0:
            return None, False
        device = estimator.device_
        module = estimator.net_.module_
        dtype = next(module.parameters()).dtype
        with seeded_torch(seed, device):
            net = make_net(
                ClusteringNet,
                ClusteringModule(module, torch.as_tensor(centers, dtype=dtype)),
                name=type(self).__name__,
                device=device,
                callbacks=[("label_change", LabelChangeStopping(
                    self.tol,
                    lambda: _nearest(
                        estimator._transform(X),
                        net.module_.cluster_centers.detach().cpu().numpy(),
                    ),
                    labels,
                ))],
            )
            configure(net, TrainingConfig(
                criterion=type(estimator.net_.criterion_),
                optimizer=torch.optim.Adam,
                optimizer_kwargs={},
                learning_rate=self.learning_rate_init,
                batch_size=min(self.batch_size, X.shape[0]),
                max_epochs=self.max_iter,
                divergence_scale=max(abs(float(X.max())), abs(float(X.min()))),
                verbose=self.verbose,
                augmentation=augmentation,
                net_params={"clustering_weight": self.clustering_weight},
            ))
            net.initialize()
            _, interrupted = train(net, as_tensor(X), device)
        return net, interrupted

    # ---------------------------------------------------------------------------- inference

    def transform(self, X):
        """The code of each sample: the fine-tuned autoencoder's ``transform``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes: float32 for float32 `X`, else float64.
        """
        check_is_fitted(self)
        return self.estimator_._transform(self._validate(X, reset=False))

    def predict(self, X):
        """The cluster of each sample: that of the centre nearest to its code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each sample, in ``range(n_clusters)``.
        """
        return self._squared_distances(X).argmin(axis=1).astype(np.int64)

    def predict_proba(self, X):
        """The soft assignment of each sample to each cluster (Student's t kernel).

        ``q[i, j]`` is proportional to ``1 / (1 + d_ij**2)``, with ``d_ij`` the distance
        from the code of sample ``i`` to centre ``j``: the assignments that fine-tuning
        sharpens. The largest of each row is that of :meth:`predict`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
            Rows that sum to 1, as float64.
        """
        distances = torch.as_tensor(self._squared_distances(X))
        return student_t_assignments(distances).numpy()

    def _squared_distances(self, X):
        """Squared distances from the codes of `X` to the centres; an error if they overflow."""
        codes = self.transform(X)
        distances = center_distances(codes, self.cluster_centers_)
        if not np.isfinite(distances).all():
            raise ValueError(
                f"The squared distances from the codes of X to the cluster centres overflowed "
                f"float64: X's codes hold values up to {np.abs(codes).max():.3g} in absolute "
                "value, far from those of the training data. Scale X as the training data were "
                "scaled (e.g. with the same StandardScaler, in a Pipeline), or clip it."
            )
        return distances

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
