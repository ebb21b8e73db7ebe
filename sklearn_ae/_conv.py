"""Convolutional autoencoders for images: :class:`ConvAutoencoder`."""

import math
import warnings
from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseAutoencoder
from ._corruption import CorruptionMixin
from ._docstrings import fill_doc
from ._modules import ACTIVATIONS, ConvAutoencoderModule
from ._shapes import complete_image_shape, looks_channels_last


@fill_doc
class ConvAutoencoder(CorruptionMixin, BaseAutoencoder):
    """Convolutional autoencoder for images, as a scikit-learn transformer.

    Each row of `X` is one image, flattened in C order from ``image_shape``: ``(height,
    width)`` or ``(channels, height, width)``. The encoder is a stack of convolutions, each
    followed by the activation and halving the height and width (by a stride of 2 or by
    max-pooling); the decoder mirrors it (transposed convolutions, or nearest-neighbour
    upsampling followed by a convolution) and rebuilds images of the input's shape, also
    for sides that do not halve evenly. :meth:`transform` returns 2-D codes, so that k-means
    or any estimator can follow in a :class:`~sklearn.pipeline.Pipeline`;
    :meth:`inverse_transform` runs the decoder, :meth:`reconstruct` both, and :meth:`score`
    is the negative mean squared reconstruction error.

    With ``noise`` set, the inputs are corrupted while training and the network learns to
    rebuild the clean images: a convolutional denoising autoencoder.

    Read more in the :ref:`User Guide <conv>`.

    Parameters
    ----------
    n_components : int or None, default=None
        Width of a dense bottleneck: the code is a linear layer of ``n_components`` units on
        the last feature map. None: the code is the last feature map itself, flattened, and
        its width is ``channels[-1] * ceil(height / 2**k) * ceil(width / 2**k)`` for ``k =
        len(channels)`` stages (e.g. 7 x 7 x 2 = 98 for 28 x 28 images and
        ``channels=(16, 2)``). The width used is stored in ``n_components_``.

    image_shape : tuple of int or None, default=None
        Shape of one image: ``(height, width)`` for single-channel images or ``(channels,
        height, width)``, with a product equal to the number of features of `X`. As in
        :func:`numpy.reshape`, one entry may be -1 and is inferred from the number of
        features, e.g. ``(3, -1, 32)``. None infers square single-channel images from the
        number of features (64 -> 8 x 8, 784 -> 28 x 28) and raises an error when it is not a
        square. The shape used is stored in ``image_shape_``.

    channels : array-like of int or int, default=(32, 16)
        Number of filters of each encoder stage, from the input inwards (an int: one stage);
        the decoder uses them in reverse order. Each stage halves the height and width,
        rounding up. The default's code for 28 x 28 images is 7 x 7 x 16 = 784 values, as
        many as the pixels: it rebuilds and denoises well; for a compact code pass fewer
        channels in the last stage or ``n_components``. TensorFlow's tutorial uses
        ``(16, 8)``, at half the time per epoch.

    kernel_size : int, default=3
        Side of the square convolution kernels. Must be odd, so that a convolution keeps the
        image centred.

    downsampling : {{'stride', 'maxpool'}}, default='stride'
        How an encoder stage halves the image: a convolution with stride 2, or a convolution
        followed by 2 x 2 max-pooling (four times the convolution work).

    upsampling : {{'transpose', 'nearest'}}, default='transpose'
        How a decoder stage doubles the image: a transposed convolution with stride 2, or
        nearest-neighbour upsampling followed by a convolution (no checkerboard artefacts,
        four times the convolution work).

    activation : {{'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', 'gelu'}}, \
default='relu'
        Activation after each convolution. The code is linear: without ``n_components`` the
        last encoder convolution has no activation.

    output_activation : {{'auto', 'identity', 'sigmoid', ...}}, default='auto'
        Activation of the decoder's last convolution; any name accepted by ``activation``,
        or ``'auto'``: sigmoid when all training data lie in [0, 1] (e.g. pixel
        intensities), identity otherwise. The choice is stored in ``output_activation_``.

    n_linear_code_layers : int, default=0
        Number of square linear layers (no bias, no activation) added at the end of the
        encoder, in front of the code. They add no function the network could not already
        represent, but training drives their product towards a low rank, so that the codes
        spread over few directions of the code space (the implicit rank-minimizing
        autoencoder, IRMAE: Jing, Zbontar and LeCun, NeurIPS 2020). For codes to be
        clustered, e.g. by :class:`DeepEmbeddedClustering`: they keep a wide code from
        spreading its variance over many directions, as a narrower code would (see the
        User Guide). 0 adds none.

    {corruption_parameters}

    {training_parameters}

    {module_parameters}

    Attributes
    ----------
    image_shape_ : tuple of (int, int, int)
        ``(channels, height, width)`` of the images, resolved from ``image_shape``.

    n_components_ : int
        Width of the code returned by :meth:`transform`.

    {training_attributes}

    See Also
    --------
    AutoencoderTransformer : Dense autoencoder, for data that are not images.
    DenoisingAutoencoder : Dense denoising autoencoder.
    sklearn.decomposition.PCA : Linear dimensionality reduction; the baseline to beat.
    sklearn.neural_network.BernoulliRBM : Another unsupervised neural feature learner.
    sklearn.neural_network.MLPRegressor : ``MLPRegressor().fit(X, X)`` learns a dense map,
        without convolutions and without a ``transform`` to the code.

    Notes
    -----
    The network is trained by `skorch <https://skorch.readthedocs.io>`_ on PyTorch, in the
    dtype of `X` (pass float32 for speed). Convolutions cost far more than the dense layers of
    :class:`AutoencoderTransformer` per sample: on a CPU, fit a subset first to size the run.
    Predictions run in batches of 256 images, so memory does not grow with the data.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import ConvAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = ConvAutoencoder(channels=(8, 4), max_iter=2, random_state=0)
    >>> codes = ae.fit_transform(X[:500] / 16)
    >>> ae.image_shape_, ae.n_components_
    ((1, 8, 8), 16)
    >>> codes.shape
    (500, 16)
    >>> ae.reconstruct(X[:500] / 16).shape
    (500, 64)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **CorruptionMixin._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "image_shape": ["array-like", None],
        "channels": ["array-like", Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "downsampling": [StrOptions({"stride", "maxpool"})],
        "upsampling": [StrOptions({"transpose", "nearest"})],
        "n_linear_code_layers": [Interval(Integral, 0, None, closed="left")],
    }

    # Feature maps are many times wider than the rows: smaller batches bound the memory.
    _predict_batch_size = 256

    # Chosen with channels=(32, 16) out of fold over five image tasks
    # (benchmarks/explore_conv_defaults.py): batches of 200 gave a fifth of the optimizer
    # steps per epoch, and each epoch on one CPU thread took no less time.
    _auto_batch_size = 64
    # Chosen out of fold over ten image tasks, with tol=None
    # (benchmarks/explore_conv_budget.py): reconstruction error kept falling well past
    # 8,000 steps, and the stopping rule ended fits on 3,000 images while it still fell.
    _auto_steps = 16_000
    _doc_values = {
        "batch_size_auto_doc": (
            "``'auto'`` uses ``min(64, n_samples)``: smaller\n"
            "        batches than the other families' 200 give more optimizer steps per\n"
            "        epoch, at no more time per epoch on a CPU, and rebuilt and denoised\n"
            "        images better in our comparison (see the User Guide)."
        ),
        "learning_rate_init_doc": (
            "Chosen with ``channels`` and\n        "
            "``batch_size`` over five image tasks (see the User Guide)."
        ),
        "max_iter_auto_doc": (
            "``'auto'`` picks enough\n"
            "        epochs for about 16,000 optimizer steps, at least 10 and at most 200\n"
            "        (twice the other families' 8,000: images kept rebuilding better past\n"
            "        those; see the User Guide): 17 epochs of 60,000 images in batches of 64,\n"
            "        85 of 12,000, 200 of 3,000."
        ),
        "tol_default_doc": "None",
        "tol_doc": (
            "\n        The default, None, trains the whole\n"
            "        budget: in our comparison the rule (with ``tol=1e-4``) ended fits on 3,000\n"
            "        images while their held-out error was still falling (see the User Guide)."
        ),
    }

    def __init__(
        self,
        n_components=None,
        *,
        image_shape=None,
        channels=(32, 16),
        kernel_size=3,
        downsampling="stride",
        upsampling="transpose",
        activation="relu",
        output_activation="auto",
        n_linear_code_layers=0,
        noise=None,
        noise_level=0.2,
        clip=None,
        loss="mse",
        optimizer="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate_init=2e-3,
        max_iter="auto",
        tol=None,
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
        self.image_shape = image_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.downsampling = downsampling
        self.upsampling = upsampling
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

    @property
    def _n_features_out(self):
        """Width of the code, known once fitted."""
        return self.n_components_

    # ----------------------------------------------------------------- resolved parameters

    def _resolve_image_shape(self, n_features):
        """``(channels, height, width)`` from ``image_shape`` and the width of `X`."""
        name = type(self).__name__
        if self.image_shape is None:
            side = math.isqrt(n_features)
            if side * side != n_features:
                raise ValueError(
                    f"{name} got image_shape=None, which infers square single-channel images, "
                    f"but X has {n_features} features, which is not a square number. Pass "
                    f"image_shape=(height, width) or (channels, height, width) with a product "
                    f"of {n_features}; one entry may be -1 and is inferred."
                )
            return (1, side, side)
        shape = complete_image_shape(self.image_shape, n_features)
        if shape is None:
            raise ValueError(
                "image_shape must be (height, width) or (channels, height, width) of positive "
                f"integers, one of which may be -1 to be inferred; got {self.image_shape!r}."
            )
        if math.prod(shape) != n_features:
            known = math.prod(d for d in shape if d != -1)
            size = "a multiple of " if -1 in shape else ""
            raise ValueError(
                f"image_shape={self.image_shape!r} does not match X: images of that shape "
                f"hold {size}{known} values, but X has {n_features} features. Pass the shape "
                "of the images that the rows of X flatten, or image_shape=None for square "
                "single-channel images."
            )
        return shape

    def _channels(self):
        channels = self.channels
        channels = [channels] if isinstance(channels, Integral) else list(channels)
        if not channels or any(not isinstance(c, Integral) or c < 1 for c in channels):
            raise ValueError(
                f"channels must hold at least one positive integer, got {self.channels!r}. "
                "Pass e.g. (16, 8): the number of filters of each encoder stage."
            )
        return tuple(int(c) for c in channels)

    def _check_data_dependent_params(self, X):
        super()._check_data_dependent_params(X)
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd so that a convolution keeps the image centred; got "
                f"kernel_size={self.kernel_size}. Use {self.kernel_size + 1} or "
                f"{self.kernel_size - 1}."
            )
        self._channels()
        channels, height, width = self._resolve_image_shape(X.shape[1])
        if (
            self.image_shape is not None and len(self.image_shape) == 3
            and looks_channels_last((channels, height, width))
        ):
            warnings.warn(
                f"{type(self).__name__}: image_shape={tuple(self.image_shape)!r} is read as "
                f"{channels} channels of {height}x{width} images (channels, height, width), "
                "as torch orders them. If you meant channels-last (height, width, channels), "
                f"as Keras orders them, pass image_shape={(width, channels, height)!r}, and "
                "for more than one channel reorder the columns of X first: "
                "X.reshape(len(X), height, width, channels).transpose(0, 3, 1, 2)"
                ".reshape(len(X), -1).",
                UserWarning,
            )

    # ------------------------------------------------------------------------ the network

    def _flatten_hint(self, shape):
        if len(shape) == 4 and looks_channels_last(shape[1:]):
            _, height, width, channels = shape
            return (
                "Its last axis looks like the channels of channels-last images (n_samples, "
                "height, width, channels); the network reads (channels, height, width), as "
                "torch does. Pass X.transpose(0, 3, 1, 2).reshape(len(X), -1) with "
                f"image_shape={(channels, height, width)}."
            )
        if len(shape) in (3, 4):
            return (
                f"Pass X.reshape(len(X), -1) with image_shape={shape[1:]}, the (height, width) "
                "or (channels, height, width) of one image."
            )
        return super()._flatten_hint(shape)

    def _module_params(self, X, output_activation):
        return ConvAutoencoderModule, {
            "image_shape": self._resolve_image_shape(X.shape[1]),
            "channels": self._channels(),
            "kernel_size": self.kernel_size,
            "downsampling": self.downsampling,
            "upsampling": self.upsampling,
            "activation": self.activation,
            "output_activation": output_activation,
            "n_components": self.n_components,
            "n_linear_code_layers": self.n_linear_code_layers,
        }

    def _can_warm_start(self, X_tensor):
        # The same width may hold images of another shape: only the same images continue.
        return (
            super()._can_warm_start(X_tensor)
            and self._resolve_image_shape(X_tensor.shape[1]) == self.image_shape_
        )

    def _input_shape(self, X):
        # A user's encoder receives images, as the family's convolutions do.
        return self._resolve_image_shape(X.shape[1])

    def _store_module_attributes(self, module):
        self.image_shape_ = module.input_shape if self._own_network else module.image_shape
        self.n_components_ = module.n_components
