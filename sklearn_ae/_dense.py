"""Dense (stacked) autoencoders: :class:`AutoencoderTransformer`."""

from numbers import Integral

from sklearn.utils._param_validation import Interval

from ._base import BaseAutoencoder, fill_doc
from ._modules import DenseAutoencoderModule


@fill_doc
class AutoencoderTransformer(BaseAutoencoder):
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

    {training_parameters}

    Attributes
    ----------
    {training_attributes}

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
    dtype float32 are trained in float32, float64 in float64 (pass float32 for speed). The
    outputs of ``transform``, ``inverse_transform`` and ``reconstruct`` have the dtype of
    their input.

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
        **BaseAutoencoder._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(128,),
        activation="relu",
        output_activation="auto",
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
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
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

    def _module_params(self, X, output_activation):
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, Integral) else list(hidden)
        if any(not isinstance(h, Integral) or h < 1 for h in hidden):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}."
                " Pass e.g. (128,) or (256, 64), or () for no hidden layer."
            )
        return DenseAutoencoderModule, {
            "n_features": X.shape[1],
            "n_components": self.n_components,
            "hidden_layer_sizes": tuple(int(h) for h in hidden),
            "activation": self.activation,
            "output_activation": output_activation,
        }
