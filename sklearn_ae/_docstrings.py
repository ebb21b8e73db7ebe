"""The parameter and attribute docs that several estimators share, written once.

A class's docstring names a fragment in braces (``{training_parameters}``); :func:`fill_doc`
splices it in. Each class of the hierarchy (a family's base, a capability mixin such as
:class:`~sklearn_ae._corruption.CorruptionMixin`) declares the fragments it brings in a
``_doc_fragments`` dict. A fragment may name the defaults of the class's ``__init__`` in
braces (``{noise!r}``), so a default is written only in the signature, and the sentences
that a class words its own way (why its defaults are what they are) from its
``_doc_values`` dict, e.g. ``{batch_size_auto_doc}``; a subclass's entries override its
parents'.
"""

import inspect

#: Training parameters shared by every autoencoder (``{training_parameters}``).
TRAINING_PARAMETERS_DOC = """\
loss : {{'mse', 'mae', 'bce', 'huber', 'trimmed_mae'}}, default='mse'
        Reconstruction loss minimised during training: mean squared error, mean absolute
        error, binary cross-entropy (needs `X` in [0, 1] and a sigmoid output), Huber, or
        the trimmed mean absolute error: each minibatch leaves out its 10% of rows with the
        largest errors, so that the rare rows the network rebuilds worst (outliers in the
        training data) stop pulling it; the default of
        :class:`~sklearn_ae.ReconstructionOutlierDetector`.

    optimizer : {{'adam', 'adamw', 'sgd'}}, default='adam'
        The torch optimizer. ``'sgd'`` uses momentum 0.9 with Nesterov's momentum, like
        :class:`~sklearn.neural_network.MLPRegressor`.

    alpha : float, default=0.0
        Strength of the L2 penalty, passed to the optimizer as ``weight_decay`` (decoupled
        from the gradient for ``'adamw'``). Off by default: with Adam, even ``1e-4`` raised
        the Fashion-MNIST reconstruction error by a quarter in our measurements.

    batch_size : int or 'auto', default='auto'
        Size of the minibatches. {batch_size_auto_doc} A value larger than the number of
        samples is clipped, with a warning. The value used is stored in ``batch_size_``.

    learning_rate_init : float, default={learning_rate_init}
        Initial learning rate of the optimizer. {learning_rate_init_doc}

    max_iter : int or 'auto', default='auto'
        Maximum number of epochs (passes over the training data). {max_iter_auto_doc}
        The value used is stored in ``max_iter_``. A fit that reaches an int ``max_iter``
        before the stopping rule fires raises a
        :class:`~sklearn.exceptions.ConvergenceWarning`, as in
        :class:`~sklearn.neural_network.MLPRegressor`; with ``'auto'`` the budget is a
        deliberate trade of time for quality and no warning is raised (``loss_curve_``
        shows whether the loss was still falling). Either way, a fit whose loss ends over
        twice its lowest warns that the optimizer overshot.

    tol : float or None, default={tol_default_doc}
        Relative tolerance of the stopping rule: training stops when the monitored loss
        (training loss, or validation loss with ``early_stopping=True``) has not improved by
        at least ``tol`` times its best value for ``n_iter_no_change`` consecutive epochs.
        ``None`` turns the rule off: training runs exactly ``max_iter`` epochs, without a
        :class:`~sklearn.exceptions.ConvergenceWarning` for reaching them, as ``tol=None``
        does in :class:`~sklearn.linear_model.SGDClassifier` and
        :class:`~sklearn_ae.DeepEmbeddedClustering`; with ``early_stopping=True`` the
        weights of the best validation epoch are still the ones kept.{tol_doc}

    shuffle : bool, default=True
        Whether to shuffle the samples at every epoch.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data and stop when the
        loss on it stops improving. The weights of the epoch of the lowest validation loss
        (any improvement counts, not only one of ``tol``) are restored at the end.
        Not used by ``partial_fit``, which holds nothing out.

    validation_fraction : float, default=0.1
        Proportion of the training data held out for early stopping, in (0, 1). Only used
        if ``early_stopping=True``.

    n_iter_no_change : int, default=10
        Number of epochs without an improvement of at least ``tol`` before training stops.

    warm_start : bool, default=False
        When True, a new call to ``fit`` continues training the fitted network (if the
        number of features, the dtype and the parameters that shape the network are
        unchanged) instead of starting from new weights; it trains with the current
        training parameters (loss, optimizer, learning rate, callbacks, device, ...), as
        :class:`~sklearn.neural_network.MLPRegressor` does. ``n_iter_`` and ``loss_curve_``
        keep counting. ``partial_fit`` always continues, one epoch per call.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the corruption of the inputs and the
        validation split. Pass an int for reproducible results across calls: on CPU the
        same value gives identical weights. ``None`` draws the seed from numpy's global
        generator, as scikit-learn does (so ``np.random.seed`` makes a fit reproducible).
        Training runs inside :func:`torch.random.fork_rng`, so the caller's global torch
        random state is left untouched; fits in several threads of one process take turns,
        since torch's generator is global to the process (run them in processes, as
        joblib's default backend does, to train in parallel).

    verbose : int, default=0
        ``0`` is silent; ``1`` or more prints one line per epoch (training loss, validation
        loss, duration) while training, as skorch does; the best values are coloured only
        when standard output is a terminal.

    device : str, default='cpu'
        Torch device to train and predict on: ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or
        ``'auto'`` (CUDA when available, else CPU). The device used is stored in
        ``device_``. A fitted estimator pickles and loads on a CPU-only machine, where its
        network moves to the CPU. A pickle loads with the sklearn_ae release series it was
        made with (same major and minor version) and with the same torch or a later release
        of the same major version; otherwise loading raises a ``ValueError`` that names the
        versions to install.

    callbacks : list of skorch callbacks or None, default=None
        Extra :mod:`skorch.callbacks` for power users (e.g. ``LRScheduler``, ``Checkpoint``,
        ``ProgressBar``); each fit works on copies, so the objects passed are not modified."""

#: A user's own network, shared by every autoencoder (``{module_parameters}``).
MODULE_PARAMETERS_DOC = """\
encoder : torch.nn.Module subclass or instance, default=None
        Your own encoder, in place of the family's (with ``decoder``; both or neither).
        A class is instantiated at each fit with its ``encoder__*`` parameters, plus
        those of ``n_features`` (the width of a row of `X`), ``n_components`` (this
        estimator's) and ``input_shape`` (the shape of one sample as the encoder receives
        it) that its signature names; an instance is deep-copied at each fit, never
        trained in place. It receives a batch of samples of shape ``(batch,
        *input_shape)``: rows ``(batch, n_features)`` for the dense families, images
        ``(batch, channels, height, width)`` for :class:`ConvAutoencoder`, sequences
        ``(batch, n_timesteps, n_features_per_step)`` for :class:`SequenceAutoencoder`.
        It returns a tensor of shape ``(batch, ...)``, flattened into the code ``(batch,
        code width)``; the code width comes from one forward pass. A
        :class:`VariationalAutoencoder`'s encoder returns the posterior: ``(mu, logvar)``,
        or one tensor of width ``2 * code width``, ``mu`` first. None: the family's
        network, shaped by its parameters. See :ref:`custom_modules`.

    decoder : torch.nn.Module subclass or instance, default=None
        Your own decoder (with ``encoder``), built as ``encoder`` is, except that the
        ``n_components`` it is offered is the code width. It receives codes of shape
        ``(batch, code width)`` and returns a tensor of shape ``(batch, ...)`` with
        ``n_features`` values per sample, flattened into rows (any other size raises an
        error at fit that names both shapes). ``output_activation`` is applied to its
        output; with a decoder of yours, ``'auto'`` means ``'identity'``, so that it ends
        as you wrote it.

    **kwargs : dict
        Arguments of the ``encoder`` and ``decoder`` classes, named ``encoder__<name>``
        and ``decoder__<name>`` (as skorch's ``module__<name>``), e.g.
        ``encoder__width=64``. They are parameters of this estimator: ``get_params``
        lists them, and ``set_params``, :func:`~sklearn.base.clone` and
        :class:`~sklearn.model_selection.GridSearchCV` set them. Any other name raises a
        ``TypeError``."""


#: Fitted attributes shared by every autoencoder (``{training_attributes}``).
TRAINING_ATTRIBUTES_DOC = """\
net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and ``net_.history``
        skorch's record of the training.

    n_iter_ : int
        Number of epochs trained (over all calls to ``fit`` with ``warm_start=True``, and to
        ``partial_fit``). An epoch cut short by a ``KeyboardInterrupt`` is not counted,
        though its optimizer steps are kept.

    loss_curve_ : list of float
        Training loss at the end of each epoch.

    best_loss_ : float or None
        Lowest training loss reached. None when ``early_stopping=True``, as in
        :class:`~sklearn.neural_network.MLPRegressor`.

    validation_scores_ : list of float or None
        Score on the validation split at each epoch: the negative validation loss, so
        higher is better; NaN for an epoch trained by ``partial_fit``, which holds nothing
        out. None when ``early_stopping=False``.

    best_validation_score_ : float or None
        Best of ``validation_scores_``, whose weights are kept; with ``warm_start``, the best
        over the early-stopping fits since the last ``partial_fit`` (which keeps its own last
        weights), as :class:`~sklearn.neural_network.MLPRegressor` keeps its best weights
        across warm starts. None when ``early_stopping=False``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has feature names
        that are all strings.

    device_ : str
        The torch device the network is on: the one it was trained on, or ``'cpu'`` once
        a pickle of a network trained on a GPU is loaded where CUDA is not available.

    batch_size_ : int
        The minibatch size used (by the last call to ``fit`` or ``partial_fit``).

    max_iter_ : int
        The maximum number of epochs of the last call to ``fit`` (resolved from
        ``max_iter='auto'``); 1 after ``partial_fit``, which trains one epoch per call.

    output_activation_ : str
        The activation of the decoder's last layer (resolved from
        ``output_activation='auto'``)."""


def fill_doc(cls):
    """Splice the fragments of ``cls``'s classes into ``cls.__doc__`` (a class decorator)."""
    defaults = {
        name: param.default
        for name, param in inspect.signature(cls.__init__).parameters.items()
        if param.default is not inspect.Parameter.empty
    }
    fragments = {}
    for klass in reversed(cls.__mro__):
        fragments.update(vars(klass).get("_doc_fragments", {}))
        defaults.update(vars(klass).get("_doc_values", {}))
    cls.__doc__ = cls.__doc__.format(
        **{key: text.format(**defaults) for key, text in fragments.items()}
    )
    return cls
