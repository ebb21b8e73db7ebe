"""Variational autoencoders: :class:`VariationalAutoencoder`.

A dense autoencoder whose code is a Gaussian: the family shares the dense families' base
(:class:`~sklearn_ae._dense.BaseDenseAutoencoder`: layer widths, activation) and adds the KL
term to the loss through its own skorch net, :class:`VariationalNet`.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted
from skorch.utils import to_tensor

from ._dense import BaseDenseAutoencoder
from ._docstrings import fill_doc
from ._meta import draw_seed
from ._modules import CustomVariationalModule, VariationalAutoencoderModule, gaussian_kl
from ._net import AutoencoderNet
from ._training import LOSSES, curve


class VariationalNet(AutoencoderNet):
    """The skorch net of a variational autoencoder: reconstruction loss plus ``beta`` x KL.

    Private. The module's ``forward_elbo`` gives the reconstruction (from a sampled code
    while training) and the posterior's ``mu`` and ``logvar``. The loss is the
    reconstruction loss of the criterion (a mean over the features and the rows of the
    batch) plus ``beta`` times the KL divergence of the posterior from ``N(0, I)`` (summed
    over the code, averaged over the rows), divided by the number of features: the
    negative ELBO per feature for ``beta=1``. Each batch records its KL (``train_kl``,
    ``valid_kl``) and reconstruction loss (``train_reconstruction``,
    ``valid_reconstruction``) in the history, averaged per epoch like ``train_loss``.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`~sklearn_ae._net.AutoencoderNet`.
    beta : float, default=1.0
        Weight of the KL term.
    """

    loss_terms = ("reconstruction", "kl")

    def __init__(self, *args, beta=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = beta

    def infer(self, x, **fit_params):
        return self.module_.forward_elbo(to_tensor(x, device=self.device))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        x_rec, mu, logvar = y_pred
        reconstruction = super().get_loss(x_rec, y_true, X=X, training=training)
        kl = gaussian_kl(mu, logvar).mean()
        self.record_loss_terms(training, reconstruction=reconstruction, kl=kl)
        return reconstruction + self.beta * kl / x_rec.shape[1]


@fill_doc
class VariationalAutoencoder(BaseDenseAutoencoder):
    """Variational autoencoder (VAE): a generative model with a PCA-like interface.

    The encoder maps each sample to a Gaussian distribution over codes of ``n_components``
    values, given by its mean and its (log-)variance; the decoder maps a code back to the
    input space. Training draws a code from that distribution for every sample and batch
    (the reparameterisation trick) and minimises the reconstruction loss plus ``beta``
    times the Kullback-Leibler (KL) divergence of the distribution from a standard normal.
    The KL term packs the codes of the training data into a standard normal cloud without
    holes, so that :meth:`sample` can decode codes drawn from ``N(0, I)`` into new,
    realistic samples.

    :meth:`transform` returns the posterior mean (deterministic, like every map of the
    fitted estimator), :meth:`inverse_transform` decodes codes, :meth:`sample` generates
    data, and :meth:`score_samples` is the negative ELBO per feature, a deterministic
    likelihood-based score. The estimator works inside a
    :class:`~sklearn.pipeline.Pipeline` and as the ``estimator`` of
    :class:`ReconstructionOutlierDetector`.

    Read more in the :ref:`User Guide <variational>`.

    Parameters
    ----------
    n_components : int, default=2
        Width of the code (the number of output features of :meth:`transform`), i.e. the
        dimension of the latent Gaussian.

    hidden_layer_sizes : array-like of int, default=(128,)
        Widths of the encoder's hidden layers, from the input inwards; the decoder uses
        them in reverse order. ``()`` gives linear maps (a probabilistic PCA-like model).

    activation : {{'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', 'gelu'}}, \
default='relu'
        Activation of the hidden layers. The mean and log-variance of the code are linear.

    output_activation : {{'auto', 'identity', 'sigmoid', ...}}, default='auto'
        Activation of the decoder's output layer; any name accepted by ``activation``, or
        ``'auto'``: sigmoid when all training data lie in [0, 1] (e.g. pixel intensities),
        identity otherwise. The choice is stored in ``output_activation_``.

    beta : float, default=1.0
        Weight of the KL term in the loss, >= 0. The loss of a sample is its
        reconstruction loss averaged over the features plus ``beta`` times its KL
        divergence (summed over the code, in nats) divided by the number of features. With
        ``beta=1`` this is the negative evidence lower bound (ELBO) per feature: exactly so
        for ``loss='bce'`` (a Bernoulli decoder, the usual choice for pixels in [0, 1]),
        and for ``loss='mse'`` that of a Gaussian decoder of variance 1/2, which suits data
        scaled to unit variance (e.g. by :class:`~sklearn.preprocessing.StandardScaler`).
        Larger values (a beta-VAE) give smoother, more disentangled codes and blurrier
        reconstructions; smaller values sharper reconstructions and a code space that
        :meth:`sample` covers less well; ``beta=0`` is a plain autoencoder with a noisy
        code. For data on a small scale (pixels with ``loss='mse'``), the reconstruction
        term is small next to the KL and ``beta`` well below 1 avoids codes that ignore the
        input (posterior collapse).

    {training_parameters}

    {module_parameters}

    Attributes
    ----------
    kl_curve_ : list of float
        KL divergence of the posterior from ``N(0, I)`` at each epoch, in nats per sample
        (summed over the code), averaged over the training batches.

    reconstruction_curve_ : list of float
        Reconstruction loss (per feature, as ``loss`` defines it) at each epoch, averaged
        over the training batches. ``loss_curve_`` is ``reconstruction_curve_ + beta *
        kl_curve_ / n_features_in_``.

    {training_attributes}

    See Also
    --------
    AutoencoderTransformer : The same network with a deterministic code.
    sklearn.decomposition.PCA : Linear reduction; its probabilistic form also has a
        likelihood (``score_samples``) but samples only Gaussian data.
    sklearn.mixture.GaussianMixture : Generative model with ``sample`` and
        ``score_samples``, in the input space (or on PCA codes).
    sklearn.neural_network.BernoulliRBM : Another unsupervised neural generative model.
    sklearn.neural_network.MLPRegressor : ``MLPRegressor().fit(X, X)`` learns a plain
        autoencoder, without a code distribution to sample from.

    Notes
    -----
    Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014; for ``beta``:
    Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a Constrained
    Variational Framework", ICLR 2017. The KL term is always in the loss with weight
    ``beta`` (PyOD's ``VAE`` clamps it to 0 by default), and the code is sampled only
    while training: :meth:`transform`, :meth:`reconstruct` and :meth:`score_samples` use
    the posterior mean and are deterministic. The noise of the sampled codes comes from
    ``random_state``, like the weights.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VariationalAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoder(n_components=8, loss="bce", max_iter=5, random_state=0)
    >>> codes = vae.fit_transform(X / 16)
    >>> codes.shape
    (1797, 8)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    >>> bool(vae.kl_curve_[-1] > 0)
    True
    """

    # No IRMAE layers (n_linear_code_layers): the KL term, not their product, limits the code.
    _parameter_constraints: dict = {
        **BaseDenseAutoencoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    _net_class = VariationalNet

    _custom_module_class = CustomVariationalModule

    _stochastic_code = True

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(128,),
        activation="relu",
        output_activation="auto",
        beta=1.0,
        loss="mse",
        optimizer="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate_init=2e-3,
        max_iter="auto",
        tol=1e-4,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        callbacks=None,
        encoder=None,
        decoder=None,
        **kwargs,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.beta = beta
        self.loss = loss
        self.optimizer = optimizer
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.callbacks = callbacks
        self.encoder = encoder
        self.decoder = decoder
        self._assign_module_params(kwargs)

    def _module_params(self, X, output_activation):
        return VariationalAutoencoderModule, self._dense_module_params(X, output_activation)

    def _net_params(self):
        return {"beta": self.beta}

    def _set_training_attributes(self, net, epochs_run):
        super()._set_training_attributes(net, epochs_run)
        # (An interruption in the first epoch leaves no epoch, hence no key to read.)
        self.kl_curve_ = curve(net.history, "train_kl")
        self.reconstruction_curve_ = curve(net.history, "train_reconstruction")

    # ---------------------------------------------------------------------------- inference

    def sample(self, n_samples=1, random_state=None):
        """Generate new samples: decode codes drawn from the prior ``N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        random_state : int, RandomState instance or None, default=None
            Seeds the draw of the codes; pass an int for reproducible samples. None draws
            the seed from numpy's global generator, as scikit-learn does; torch's global
            random state is not used.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The generated samples, with the dtype of the training data.
        """
        check_is_fitted(self)
        if isinstance(n_samples, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}.sample: n_samples must be an int, the number of "
                f"samples to generate; got the bool {n_samples!r}. Pass e.g. n_samples=10."
            )
        validate_parameter_constraints(
            {"n_samples": [Interval(Integral, 1, None, closed="left")],
             "random_state": ["random_state"]},
            {"n_samples": n_samples, "random_state": random_state},
            caller_name=f"{type(self).__name__}.sample",
        )
        rng = np.random.default_rng(draw_seed(random_state))
        codes = rng.standard_normal((n_samples, self._n_features_out))
        return self._predict(codes, self.net_.module_.decode)

    def score_samples(self, X):
        """Negative ELBO per feature of each sample, with the code at its posterior mean.

        The score of a sample is minus its reconstruction loss (``loss``, averaged over the
        features) when decoded from the posterior mean, minus its KL divergence from the
        prior (in nats, summed over the code) divided by the number of features. It is the
        training objective with ``beta=1`` whatever ``beta`` the model was trained with, so
        that models trained with different ``beta`` are compared on one scale. Higher is
        better, as for :meth:`sklearn.decomposition.PCA.score_samples`. Deterministic:
        the code is not sampled.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The negative ELBO per feature, as float64. For ``loss='bce'`` it is the
            Bernoulli log-likelihood bound divided by ``n_features``; for ``loss='mse'`` it
            is that of a Gaussian decoder of variance 1/2, up to an additive constant.
        """
        return super().score_samples(X)

    def _score_samples(self, X):
        if self.loss == "bce":
            lo, hi = float(X.min()), float(X.max())
            if lo < 0 or hi > 1:
                raise ValueError(
                    f"{type(self).__name__} with loss='bce' scores X in [0, 1] only (a "
                    f"Bernoulli likelihood); got values in [{lo:g}, {hi:g}]. Scale X as for "
                    "fit, e.g. with sklearn.preprocessing.MinMaxScaler, or use loss='mse'."
                )
        module = self.net_.module_
        criterion = LOSSES[self.loss](reduction="none")
        n_features = X.shape[1]

        def negative_elbo(xb):
            # Eval mode: the code is the mean. In float64, as the base's squared error, so
            # that a float32 network's large errors do not overflow.
            x_rec, mu, logvar = (t.double() for t in module.forward_elbo(xb))
            return criterion(x_rec, xb.double()).mean(dim=1) + gaussian_kl(mu, logvar) / n_features

        return -self._predict(X, negative_elbo, np.float64)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over `X`: the negative ELBO per feature.

        Higher is better, so :class:`~sklearn.model_selection.GridSearchCV` can select
        ``n_components`` or ``beta`` with its default scoring. Not ``loss``: the ELBO of
        ``'mse'`` (a Gaussian likelihood) and that of ``'bce'`` (a Bernoulli one) are on
        different scales, so the search would pick by scale, not by fit. To choose ``loss``,
        score the reconstructions instead, e.g. with ``scoring=lambda est, X, y=None:
        -np.mean((est.reconstruct(X) - X) ** 2)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        y : None
            Ignored.

        Returns
        -------
        score : float
            The mean of :meth:`score_samples`.
        """
        return super().score(X, y)
