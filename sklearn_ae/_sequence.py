"""Recurrent autoencoders for time series: :class:`SequenceAutoencoder`."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseAutoencoder
from ._docstrings import fill_doc
from ._modules import RNN_CELLS, SequenceAutoencoderModule


@fill_doc
class SequenceAutoencoder(BaseAutoencoder):
    """Recurrent (LSTM or GRU) autoencoder for sequences, as a scikit-learn transformer.

    Each row of `X` is one sequence of ``n_timesteps`` steps with ``n_features_per_step_``
    values each, flattened time step by time step (the C order of an ``(n_timesteps,
    n_features_per_step_)`` array); by default every column is one step of a univariate
    series. The encoder reads the sequence with stacked recurrent layers, bidirectional by
    default, and maps their final hidden state to a code of ``n_components`` values, one
    fixed-size vector per sequence. The decoder repeats the code at every time step, runs
    it through the mirrored recurrent layers and maps each step's output back to that
    step's values with one linear layer shared over time: the seed's Keras network
    ``Bidirectional(LSTM)``, ``RepeatVector``, ``Bidirectional(LSTM, return_sequences)``,
    ``TimeDistributed(Dense)``.

    :meth:`transform` returns the codes (deterministic), :meth:`inverse_transform` decodes
    codes into whole sequences, :meth:`reconstruct` does both, and :meth:`score` is the
    negative mean squared reconstruction error. Because `X` stays 2-D, the estimator works
    in a :class:`~sklearn.pipeline.Pipeline` and as the ``estimator`` of
    :class:`ReconstructionOutlierDetector`.

    Read more in the :ref:`User Guide <sequence>`.

    Parameters
    ----------
    n_components : int, default=8
        Width of the code (the number of output features of :meth:`transform`).

    n_timesteps : int or None, default=None
        Length of the sequences. The number of features of `X` must be a multiple of it;
        each step then has ``n_features / n_timesteps`` values (a multivariate series).
        None: every column is one step of a univariate series. The values used are stored
        in ``n_timesteps_`` and ``n_features_per_step_``.

    hidden_layer_sizes : array-like of int, default=(32,)
        Hidden sizes of the encoder's recurrent layers, from the input inwards; the decoder
        uses them in reverse order. ``(64, 32)`` stacks two layers. The name and meaning
        are those of the dense autoencoders and of scikit-learn's MLP, so one tuple sets
        both the depth and the width of each layer (torch's ``hidden_size`` and
        ``num_layers``), and layers may differ in width.

    cell : {{'lstm', 'gru'}}, default='lstm'
        The recurrent cell: long short-term memory, or the gated recurrent unit (fewer
        weights per unit).

    bidirectional : bool, default=True
        Whether each recurrent layer reads the sequence in both directions, so that the
        code sees the start of a sequence as clearly as its end.

    merge_mode : {{'sum', 'concat'}}, default='sum'
        How the two directions of a bidirectional layer are combined, as in Keras'
        ``Bidirectional``: ``'sum'`` adds them (the seed's choice; the layer's output keeps
        its hidden size), ``'concat'`` stacks them (twice as wide). Ignored when
        ``bidirectional=False``.

    output_activation : {{'auto', 'identity', 'sigmoid', ...}}, default='auto'
        Activation of the per-step output layer; one of ``'identity'``, ``'sigmoid'``,
        ``'logistic'``, ``'tanh'``, ``'relu'``, ``'leaky_relu'``, ``'elu'``, ``'gelu'``,
        or ``'auto'``: sigmoid when all training data lie in [0, 1], identity otherwise.
        The choice is stored in ``output_activation_``. (The recurrent cells have their
        own fixed activations, so there is no ``activation`` parameter.)

    {training_parameters}

    {module_parameters}

    Attributes
    ----------
    n_timesteps_ : int
        Length of the sequences, resolved from ``n_timesteps``.

    n_features_per_step_ : int
        Number of values per time step: ``n_features_in_ / n_timesteps_``.

    {training_attributes}

    See Also
    --------
    AutoencoderTransformer : Dense autoencoder; for sequences of fixed length it is often
        a strong and much faster baseline.
    ConvAutoencoder : Convolutional autoencoder; with ``image_shape=(1, -1)`` it reads 1-D
        signals with local filters.
    sklearn.decomposition.PCA : Linear dimensionality reduction; the baseline to beat.
    sklearn.neural_network.BernoulliRBM : Another unsupervised neural feature learner.
    sklearn.neural_network.MLPRegressor : ``MLPRegressor().fit(X, X)`` learns a dense map,
        without recurrence and without a ``transform`` to the code.

    Notes
    -----
    The network is trained by `skorch <https://skorch.readthedocs.io>`_ on PyTorch, in the
    dtype of `X` (pass float32 for speed). A recurrent layer processes the time steps one
    after the other, so an optimizer step costs far more than for a dense autoencoder: on
    a CPU, 140-step sequences in batches of 200 take about 0.2 s per step with the default
    network, and ``max_iter='auto'`` (about 8,000 steps, at most 200 epochs) can take many
    minutes. Pass an int ``max_iter`` (tens of epochs are usually enough) or use a GPU
    (``device='cuda'``). Smaller batches (e.g. 32 to 64) do not make an epoch dearer and
    give more optimizer steps for the same time, but more steps did not mean better
    detection: on ECG5000 (one CPU thread, 30 epochs, 3 seeds), fits in batches of 50 took
    45 s against 64 s in the default batches of 200, yet the default batches detected
    anomalies better and more steadily across seeds (median ROC-AUC 0.988, from 0.977 to
    0.988, against 0.978, from 0.965 to 0.987 with batches of 50).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import SequenceAutoencoder
    >>> t = np.linspace(0, 1, 20)
    >>> X = np.sin(2 * np.pi * np.outer(np.arange(1, 41) % 4 + 1, t))
    >>> ae = SequenceAutoencoder(n_components=2, hidden_layer_sizes=(8,), max_iter=3,
    ...                          random_state=0)
    >>> codes = ae.fit_transform(X)
    >>> codes.shape
    (40, 2)
    >>> ae.inverse_transform(codes).shape
    (40, 20)
    >>> ae.n_timesteps_, ae.n_features_per_step_
    (20, 1)
    """

    # The recurrent cells have fixed activations: no 'activation' parameter.
    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_timesteps": [Interval(Integral, 1, None, closed="left"), None],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "cell": [StrOptions(set(RNN_CELLS))],
        "bidirectional": ["boolean"],
        "merge_mode": [StrOptions({"sum", "concat"})],
    }

    def __init__(
        self,
        n_components=8,
        *,
        n_timesteps=None,
        hidden_layer_sizes=(32,),
        cell="lstm",
        bidirectional=True,
        merge_mode="sum",
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
        encoder=None,
        decoder=None,
        **kwargs,
    ):
        self.n_components = n_components
        self.n_timesteps = n_timesteps
        self.hidden_layer_sizes = hidden_layer_sizes
        self.cell = cell
        self.bidirectional = bidirectional
        self.merge_mode = merge_mode
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
        self.encoder = encoder
        self.decoder = decoder
        self._assign_module_params(kwargs)

    # ----------------------------------------------------------------- resolved parameters

    def _resolve_steps(self, n_features):
        """``(n_timesteps, n_features_per_step)`` from ``n_timesteps`` and the width of `X`."""
        if self.n_timesteps is None:
            return n_features, 1
        if n_features % self.n_timesteps:
            raise ValueError(
                f"n_timesteps={self.n_timesteps} does not divide the number of features of X "
                f"({n_features}): each row must hold n_timesteps steps of the same number of "
                f"values. Pass a divisor of {n_features}, or n_timesteps=None for a "
                "univariate series (one column per step)."
            )
        return self.n_timesteps, n_features // self.n_timesteps

    def _flatten_hint(self, shape):
        if len(shape) == 3:
            _, n_timesteps, n_features = shape
            return (
                f"For sequences of shape (n_samples, n_timesteps, n_features) pass "
                f"X.reshape(len(X), -1) with n_timesteps={n_timesteps}: each row then holds "
                f"the {n_timesteps} steps of {n_features} values one after the other."
            )
        return super()._flatten_hint(shape)

    def _hidden_layer_sizes(self):
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, Integral) else list(hidden)
        if not hidden or any(not isinstance(h, Integral) or h < 1 for h in hidden):
            raise ValueError(
                f"hidden_layer_sizes must hold at least one positive integer, got "
                f"{self.hidden_layer_sizes!r}. Pass e.g. (32,), or (64, 32) for two recurrent "
                "layers."
            )
        return tuple(int(h) for h in hidden)

    def _check_data_dependent_params(self, X):
        super()._check_data_dependent_params(X)
        self._hidden_layer_sizes()
        self._resolve_steps(X.shape[1])

    # ------------------------------------------------------------------------ the network

    def _module_params(self, X, output_activation):
        n_timesteps, n_features = self._resolve_steps(X.shape[1])
        return SequenceAutoencoderModule, {
            "n_timesteps": n_timesteps,
            "n_features": n_features,
            "n_components": self.n_components,
            "hidden_layer_sizes": self._hidden_layer_sizes(),
            "cell": self.cell,
            "bidirectional": self.bidirectional,
            "merge_mode": self.merge_mode,
            "output_activation": output_activation,
        }

    def _can_warm_start(self, X_tensor):
        # The same width may hold sequences of another length: only the same ones continue.
        return (
            super()._can_warm_start(X_tensor)
            and self._resolve_steps(X_tensor.shape[1]) == (self.n_timesteps_,
                                                           self.n_features_per_step_)
        )

    def _input_shape(self, X):
        # A user's encoder receives sequences, as the family's recurrent layers do.
        return self._resolve_steps(X.shape[1])

    def _store_module_attributes(self, module):
        if self._own_network:
            self.n_timesteps_, self.n_features_per_step_ = module.input_shape
            return
        self.n_timesteps_ = module.n_timesteps
        self.n_features_per_step_ = module.n_features
