"""Dense (stacked) autoencoders: :class:`AutoencoderTransformer`, :class:`DenoisingAutoencoder`.

:class:`BaseDenseAutoencoder` holds what every dense family shares, the variational one
(:mod:`sklearn_ae._variational`) included: the widths of the layers and their activation.
"""

import warnings
from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseAutoencoder
from ._corruption import CorruptionMixin
from ._docstrings import fill_doc
from ._missing import MissingValuesMixin
from ._modules import ACTIVATIONS, DenseAutoencoderModule


class BaseDenseAutoencoder(BaseAutoencoder):
    """Base class of the dense families: ``n_components``, ``hidden_layer_sizes``, ``activation``.

    Not for direct use. A family adds its own parameters and implements
    :meth:`_module_params`, usually from :meth:`_dense_module_params`.
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
    }

    def _dense_module_params(self, X, output_activation):
        """The module arguments that every dense family shares."""
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, Integral) else list(hidden)
        if any(not isinstance(h, Integral) or h < 1 for h in hidden):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}."
                " Pass e.g. (128,) or (256, 64), or () for no hidden layer."
            )
        return {
            "n_features": X.shape[1],
            "n_components": self.n_components,
            "hidden_layer_sizes": tuple(int(h) for h in hidden),
            "activation": self.activation,
            "output_activation": output_activation,
        }


@fill_doc
class AutoencoderTransformer(MissingValuesMixin, BaseDenseAutoencoder):
    """Dense autoencoder as a scikit-learn transformer: a nonlinear PCA.

    An encoder network maps each sample to a code of ``n_components`` values and a mirrored
    decoder maps the code back. Both are trained together to reconstruct the input.
    :meth:`transform` returns the code (deterministic), :meth:`inverse_transform` runs the
    decoder, and :meth:`score` is the negative mean squared reconstruction error, so the
    estimator can replace :class:`~sklearn.decomposition.PCA` in a
    :class:`~sklearn.pipeline.Pipeline` or a :class:`~sklearn.model_selection.GridSearchCV`.

    Read more in the :ref:`User Guide <dense>`.

    Parameters
    ----------
    n_components : int, default=2
        Width of the code (the number of output features of :meth:`transform`).

    hidden_layer_sizes : array-like of int, default=(128,)
        Widths of the encoder's hidden layers, from the input inwards; the decoder uses
        them in reverse order. ``()`` gives a shallow autoencoder (one linear layer each way).

    activation : {{'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', 'gelu'}}, \
default='relu'
        Activation of the hidden layers. The code layer is linear, like PCA's scores.

    output_activation : {{'auto', 'identity', 'sigmoid', ...}}, default='auto'
        Activation of the decoder's output layer; any name accepted by ``activation``, or
        ``'auto'``: sigmoid when all training data lie in [0, 1] (e.g. pixel intensities),
        identity otherwise. The choice is stored in ``output_activation_``.

    n_linear_code_layers : int, default=0
        Number of square linear layers (no bias, no activation) added at the end of the
        encoder, in front of the code. They add no function the network could not already
        represent, but training drives their product towards a low rank, so that the codes
        spread over few directions of the code space (the implicit rank-minimizing
        autoencoder, IRMAE: Jing, Zbontar and LeCun, NeurIPS 2020). For codes to be
        clustered, e.g. by :class:`DeepEmbeddedClustering`: they keep a wide code from
        spreading its variance over many directions, as a narrower code would. 0 adds none.

    {training_parameters}

    {module_parameters}

    Attributes
    ----------
    {training_attributes}

    {missing_values_attributes}

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction; the baseline to beat.
    sklearn.decomposition.KernelPCA : Nonlinear reduction with a kernel; its pre-image is
        approximate, an autoencoder's decoder is learned.
    sklearn.neural_network.BernoulliRBM : Another unsupervised neural feature learner.
    sklearn.neural_network.MLPRegressor : ``MLPRegressor().fit(X, X)`` learns the same map but
        offers no ``transform`` to the code.

    Notes
    -----
    The network is trained by `skorch <https://skorch.readthedocs.io>`_ on PyTorch. Data of
    dtype float32 are trained in float32, float64 in float64 (pass float32 for speed); any
    other dtype (float16, integers) is converted to float64. The outputs of ``transform``,
    ``inverse_transform`` and ``reconstruct`` are float32 for float32 input and float64
    for any other.

    {missing_values_notes}

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, max_iter=5, random_state=0)
    >>> codes = ae.fit_transform(X / 16)
    >>> codes.shape
    (1797, 8)
    >>> ae.inverse_transform(codes).shape
    (1797, 64)
    """

    _parameter_constraints: dict = {
        **BaseDenseAutoencoder._parameter_constraints,
        "n_linear_code_layers": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(128,),
        activation="relu",
        output_activation="auto",
        n_linear_code_layers=0,
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
        self.n_linear_code_layers = n_linear_code_layers
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

    def _check_data_dependent_params(self, X):
        super()._check_data_dependent_params(X)
        n_features = X.shape[1]
        if self.n_components >= n_features and self._corruption(X) is None:
            # PCA refuses n_components > n_features. A denoiser's (or a VAE's) wide code is
            # legitimate: the noise (the KL term) keeps it from copying its input.
            warnings.warn(
                f"{type(self).__name__}: n_components={self.n_components} is not below the "
                f"number of features of X ({n_features}), so the code can copy the input "
                "instead of learning its structure: reconstructions may look perfect while "
                f"the codes are worthless. Pass n_components < {n_features}, or train a "
                "DenoisingAutoencoder, whose noise keeps a wide code from copying.",
                UserWarning,
            )

    def _module_params(self, X, output_activation):
        return DenseAutoencoderModule, {
            **self._dense_module_params(X, output_activation),
            "n_linear_code_layers": self.n_linear_code_layers,
        }


@fill_doc
class DenoisingAutoencoder(CorruptionMixin, AutoencoderTransformer):
    """Dense denoising autoencoder: trained to rebuild clean samples from corrupted ones.

    An :class:`AutoencoderTransformer` whose training inputs are corrupted, afresh at every
    batch, by Gaussian noise, masking (dropout of input features) or salt-and-pepper noise,
    while the loss compares the reconstruction with the clean input. The network learns to
    undo the corruption: :meth:`reconstruct` returns denoised data in one call, and the
    codes of :meth:`transform` are more robust than those of a plain autoencoder. The noise
    is seeded from ``random_state`` and used only while training: :meth:`transform`,
    :meth:`inverse_transform`, :meth:`reconstruct` and :meth:`score` are deterministic and
    see their inputs as given.

    For images, :class:`ConvAutoencoder` takes the same ``noise``, ``noise_level`` and
    ``clip`` parameters and is a convolutional denoiser.

    Read more in the :ref:`User Guide <denoising>`.

    Parameters
    ----------
    n_components : int, default=2
        Width of the code (the number of output features of :meth:`transform`).

    hidden_layer_sizes : array-like of int, default=(128,)
        Widths of the encoder's hidden layers, from the input inwards; the decoder uses
        them in reverse order. ``()`` gives a shallow autoencoder.

    activation : {{'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', 'gelu'}}, \
default='relu'
        Activation of the hidden layers. The code layer is linear, like PCA's scores.

    output_activation : {{'auto', 'identity', 'sigmoid', ...}}, default='auto'
        Activation of the decoder's output layer; any name accepted by ``activation``, or
        ``'auto'``: sigmoid when all training data lie in [0, 1], identity otherwise. The
        choice is stored in ``output_activation_``.

    n_linear_code_layers : int, default=0
        Number of square linear layers (no bias, no activation) added at the end of the
        encoder, in front of the code. They add no function the network could not already
        represent, but training drives their product towards a low rank, so that the codes
        spread over few directions of the code space (the implicit rank-minimizing
        autoencoder, IRMAE: Jing, Zbontar and LeCun, NeurIPS 2020). For codes to be
        clustered, e.g. by :class:`DeepEmbeddedClustering`: they keep a wide code from
        spreading its variance over many directions, as a narrower code would. 0 adds none.

    {corruption_parameters}

    {training_parameters}

    {module_parameters}

    Attributes
    ----------
    {training_attributes}

    {missing_values_attributes}

    See Also
    --------
    AutoencoderTransformer : The same network trained on clean inputs.
    ConvAutoencoder : Convolutional autoencoder for images; a convolutional denoiser with
        ``noise='gaussian'``.
    sklearn.decomposition.PCA : Linear baseline: ``inverse_transform(transform(X))`` also
        removes the noise outside the leading components.
    sklearn.neural_network.BernoulliRBM : Another unsupervised neural feature learner.
    sklearn.neural_network.MLPRegressor : ``MLPRegressor().fit(X_noisy, X)`` learns a
        denoising map from one fixed draw of the noise.

    Notes
    -----
    ``loss_curve_`` records the loss of rebuilding the clean rows from corrupted ones, so
    it is higher than the reconstruction error of clean inputs that :meth:`score`
    measures. The corruption follows Vincent et al., "Extracting and composing robust
    features with denoising autoencoders", ICML 2008.

    {missing_values_notes}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import DenoisingAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> dae = DenoisingAutoencoder(n_components=16, noise="gaussian", noise_level=0.2,
    ...                            clip=(0, 1), max_iter=5, random_state=0).fit(X)
    >>> noisy = np.clip(X + np.random.RandomState(0).normal(scale=0.2, size=X.shape), 0, 1)
    >>> dae.reconstruct(noisy).shape
    (1797, 64)
    >>> dae.transform(X).shape
    (1797, 16)
    """

    _parameter_constraints: dict = {
        **AutoencoderTransformer._parameter_constraints,
        **CorruptionMixin._parameter_constraints,
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(128,),
        activation="relu",
        output_activation="auto",
        n_linear_code_layers=0,
        noise="gaussian",
        noise_level=0.2,
        clip=None,
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
        self.n_linear_code_layers = n_linear_code_layers
        self.noise = noise
        self.noise_level = noise_level
        self.clip = clip
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
