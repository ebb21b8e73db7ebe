"""PyTorch modules behind the estimators.

Nothing in here knows about scikit-learn. Every autoencoder module has the same small protocol,
which the shared base relies on:

- ``encode(x)`` maps a batch of rows to codes,
- ``decode(z)`` maps codes back to rows,
- ``forward(x)`` returns the reconstruction ``decode(encode(x))``,
- ``init_output_bias(mean)`` starts the output layer's bias so that the untrained network
  predicts the training data's mean (see :func:`start_at_mean`).

Rows stay rows: image modules reshape them to ``(channels, height, width)`` inside, so that the
estimators keep taking 2-D ``X``.

A user's own encoder and decoder (the estimators' ``encoder`` and ``decoder`` parameters) are
wrapped in :class:`CustomAutoencoderModule` (:class:`CustomVariationalModule` for a VAE),
which gives them this protocol.
"""

import copy
import inspect
import math

import torch
from torch import nn

#: Activation names accepted by the estimators (scikit-learn's MLP names plus a few more).
ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


def _glorot(layer):
    """Glorot-uniform weights and zero bias (Keras' default) for a linear or conv layer."""
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def start_at_mean(layer, mean, output_activation):
    """Set the bias of the output ``layer`` so that its activation equals ``mean``.

    With zero biases, an untrained autoencoder predicts ``output_activation(0)`` (0.5 for a
    sigmoid) for every value, far from most data, and the first steps of training spend
    themselves pulling every output towards the data. With a sigmoid output and the squared
    error, that pull can grow the weights until the sigmoid saturates and the network is stuck
    predicting a constant (measured: a ``ConvAutoencoder`` with ``channels=(32, 64, 128)`` on
    MNIST stayed at the error of a blank image, 0.103, for every epoch). Starting at the mean,
    the best constant prediction (what PCA's centring does), avoids that.

    ``mean`` holds one value per output unit of ``layer`` (a conv layer: one per channel).
    Means are clipped to [0.01, 0.99] for a sigmoid and to [-0.99, 0.99] for tanh, whose
    inverses are infinite at the ends; for activations without a simple inverse (ReLU and the
    like) the bias stays zero.
    """
    if output_activation == "identity":
        bias = mean
    elif output_activation in ("sigmoid", "logistic"):
        bias = torch.logit(mean.clamp(0.01, 0.99))
    elif output_activation == "tanh":
        bias = torch.atanh(mean.clamp(-0.99, 0.99))
    else:
        return
    with torch.no_grad():
        layer.bias.copy_(bias)


def linear(n_in, n_out, dtype=torch.float32):
    """A linear layer with Glorot-uniform weights and zero bias.

    Keras' default initialisation: torch's default (uniform with bound 1/sqrt(fan_in)) starts
    wide layers with small weights, and measured on Fashion-MNIST it trained a dense
    autoencoder to a worse reconstruction in the same number of steps.
    """
    return _glorot(nn.Linear(n_in, n_out, dtype=dtype))


def linear_code_layers(width, n_layers, dtype=torch.float32):
    """``n_layers`` square linear maps, without bias or activation, to put in front of a code.

    The implicit rank-minimizing autoencoder (IRMAE; Jing, Zbontar and LeCun, "Implicit
    Rank-Minimizing Autoencoder", NeurIPS 2020): a product of linear maps represents no
    function that one map could not, but gradient descent on the product drives it towards
    a low rank, so the codes fill fewer directions of the code space. Each map starts
    orthogonal, so that the product starts as a rotation: with torch's default
    initialisation each map shrinks the code by about 0.6, and in our runs four of them in
    front of a conv autoencoder's code left it stuck at a constant output.
    """
    layers = [nn.Linear(width, width, bias=False, dtype=dtype) for _ in range(n_layers)]
    for layer in layers:
        nn.init.orthogonal_(layer.weight)
    return layers


def dense_stack(sizes, activation, last_activation, dtype=torch.float32):
    """Linear layers through ``sizes``, ``activation`` between them, ``last_activation`` last."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(linear(n_in, n_out, dtype))
        is_last = i == len(sizes) - 2
        layers.append(ACTIVATIONS[last_activation if is_last else activation]())
    return nn.Sequential(*layers)


class DenseAutoencoderModule(nn.Module):
    """A stacked autoencoder whose decoder mirrors the encoder.

    The code layer is linear (no activation), like the scores of PCA, so that codes are not
    clipped and distances between them are meaningful to k-means.

    ``fill_values``, a buffer (None by default), holds one value per feature: where it is
    set, ``encode`` replaces the missing values (NaN) of its input by them.

    Parameters
    ----------
    n_features : int
        Width of the input rows.
    n_components : int
        Width of the code.
    hidden_layer_sizes : tuple of int
        Widths of the encoder's hidden layers, from the input inwards. The decoder uses them in
        reverse order.
    activation : str
        Activation between hidden layers, a key of :data:`ACTIVATIONS`.
    output_activation : str
        Activation of the decoder's last layer.
    n_linear_code_layers : int
        Number of :func:`linear_code_layers` at the end of the encoder.
    dtype : torch.dtype
        Floating point type of the parameters.
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        output_activation="identity",
        n_linear_code_layers=0,
        dtype=torch.float32,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.output_activation = output_activation
        self.encoder = dense_stack([n_features, *hidden, n_components], activation, "identity",
                                   dtype)
        self.encoder.extend(linear_code_layers(n_components, n_linear_code_layers, dtype))
        self.decoder = dense_stack(
            [n_components, *hidden[::-1], n_features], activation, output_activation, dtype
        )
        # Set by a NaN-aware estimator: the values that stand in for missing inputs.
        self.register_buffer("fill_values", None)

    def init_output_bias(self, mean):
        start_at_mean(self.decoder[-2], mean, self.output_activation)

    def encode(self, x):
        fill = getattr(self, "fill_values", None)  # (None in modules pickled before it)
        if fill is not None:
            x = torch.where(torch.isnan(x), fill, x)
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x))


def halved(size):
    """Side of a feature map after one downsampling: ``ceil(size / 2)``, at least 1."""
    return (size + 1) // 2


class ConvAutoencoderModule(nn.Module):
    """A convolutional autoencoder whose decoder mirrors the encoder.

    Each encoder stage is a convolution followed by the activation and halves the height and
    width (rounding up), by a stride of 2 or by a 2x2 max-pooling. Each decoder stage doubles
    them back, by a transposed convolution or by nearest-neighbour upsampling followed by a
    convolution; the sizes are those the encoder saw, so odd sizes (7 -> 4 -> 7) come back
    exactly. A last convolution maps to the input's channels with ``output_activation``.

    The code is linear, like PCA's scores and the dense module's code: without
    ``n_components`` it is the last encoder feature map, flattened, whose convolution has
    no activation; with ``n_components`` it is a linear layer on that (activated) map.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)`` of the images; rows have ``channels * height * width``
        values in C order.
    channels : tuple of int
        Number of filters of each encoder stage, from the input inwards. The decoder uses
        them in reverse order.
    kernel_size : int
        Side of the square kernels, odd, so that a convolution keeps the image centred.
    downsampling : {'stride', 'maxpool'}
        How each encoder stage halves the image.
    upsampling : {'transpose', 'nearest'}
        How each decoder stage doubles it.
    activation : str
        Activation after each convolution, a key of :data:`ACTIVATIONS`.
    output_activation : str
        Activation of the last convolution.
    n_components : int or None
        Width of a dense bottleneck, or None for the flattened feature map as the code.
    n_linear_code_layers : int
        Number of :func:`linear_code_layers` at the end of the encoder.
    dtype : torch.dtype
        Floating point type of the parameters.
    """

    def __init__(
        self,
        image_shape,
        channels=(16, 8),
        kernel_size=3,
        downsampling="stride",
        upsampling="transpose",
        activation="relu",
        output_activation="identity",
        n_components=None,
        n_linear_code_layers=0,
        dtype=torch.float32,
    ):
        super().__init__()
        n_channels, height, width = (int(d) for d in image_shape)
        self.image_shape = (n_channels, height, width)
        self.output_activation = output_activation
        channels = [int(c) for c in channels]
        pad = kernel_size // 2
        # sizes[i] is the (height, width) entering encoder stage i; sizes[-1] is the code's.
        sizes = [(height, width)]
        for _ in channels:
            sizes.append(tuple(halved(s) for s in sizes[-1]))
        self.feature_map_shape = (channels[-1], *sizes[-1])
        map_size = math.prod(self.feature_map_shape)
        self.n_components = map_size if n_components is None else int(n_components)

        encoder, n_in = [], n_channels
        for i, n_out in enumerate(channels):
            stride = 2 if downsampling == "stride" else 1
            encoder.append(_glorot(nn.Conv2d(n_in, n_out, kernel_size, stride, pad, dtype=dtype)))
            if i < len(channels) - 1 or n_components is not None:
                encoder.append(ACTIVATIONS[activation]())
            if downsampling == "maxpool":
                encoder.append(nn.MaxPool2d(2, ceil_mode=True))
            n_in = n_out
        encoder.append(nn.Flatten())
        if n_components is not None:
            encoder.append(linear(map_size, n_components, dtype))
        encoder += linear_code_layers(self.n_components, n_linear_code_layers, dtype)
        self.encoder = nn.Sequential(*encoder)

        decoder = []
        if n_components is not None:
            decoder += [linear(n_components, map_size, dtype), ACTIVATIONS[activation]()]
        decoder.append(nn.Unflatten(1, self.feature_map_shape))
        n_in = channels[-1]
        for i in reversed(range(len(channels))):
            n_out, (h, w), (small_h, small_w) = channels[i], sizes[i], sizes[i + 1]
            if upsampling == "transpose":
                # A stride-2 transposed convolution gives 2 * small - 1 + output_padding.
                extra = (h - 2 * small_h + 1, w - 2 * small_w + 1)
                decoder.append(_glorot(nn.ConvTranspose2d(
                    n_in, n_out, kernel_size, stride=2, padding=pad, output_padding=extra,
                    dtype=dtype,
                )))
            else:
                decoder += [
                    nn.Upsample(size=(h, w), mode="nearest"),
                    _glorot(nn.Conv2d(n_in, n_out, kernel_size, padding=pad, dtype=dtype)),
                ]
            decoder.append(ACTIVATIONS[activation]())
            n_in = n_out
        decoder += [
            _glorot(nn.Conv2d(n_in, n_channels, kernel_size, padding=pad, dtype=dtype)),
            ACTIVATIONS[output_activation](),
            nn.Flatten(),
        ]
        self.decoder = nn.Sequential(*decoder)

    def init_output_bias(self, mean):
        # The last convolution has one bias per channel: start it at the channel's mean.
        channel_mean = mean.reshape(self.image_shape[0], -1).mean(dim=1)
        start_at_mean(self.decoder[-3], channel_mean, self.output_activation)

    def encode(self, x):
        return self.encoder(x.reshape(x.shape[0], *self.image_shape))

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x))


def gaussian_kl(mu, logvar):
    """KL divergence of each ``N(mu, exp(logvar))`` from ``N(0, I)``, summed over the code.

    Returns one value per row, in nats.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


class VariationalAutoencoderModule(nn.Module):
    """A dense variational autoencoder (Kingma and Welling, 2014).

    The encoder maps a row to the mean and the log-variance of a diagonal Gaussian over the
    code; the decoder, which mirrors the encoder, maps a code back to a row. While the module
    is training, the code fed to the decoder is drawn by reparameterisation, ``mu + eps *
    std`` with ``eps`` from torch's global generator; in evaluation mode it is the mean, so
    that every map is deterministic.

    The parameters are those of :class:`DenseAutoencoderModule`; the mean and the
    log-variance are two linear layers on the encoder's last hidden layer.
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        output_activation="identity",
        dtype=torch.float32,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.output_activation = output_activation
        self.encoder = dense_stack([n_features, *hidden], activation, activation, dtype)
        n_last = hidden[-1] if hidden else n_features
        self.mean = linear(n_last, n_components, dtype)
        self.logvar = linear(n_last, n_components, dtype)
        self.decoder = dense_stack(
            [n_components, *hidden[::-1], n_features], activation, output_activation, dtype
        )

    def init_output_bias(self, mean):
        start_at_mean(self.decoder[-2], mean, self.output_activation)

    def encode_distribution(self, x):
        """``(mu, logvar)`` of the posterior over the code of each row."""
        h = self.encoder(x)
        return self.mean(h), self.logvar(h)

    def encode(self, x):
        return self.encode_distribution(x)[0]

    def decode(self, z):
        return self.decoder(z)

    def forward_elbo(self, x):
        """``(reconstruction, mu, logvar)``: what the loss of a variational autoencoder needs."""
        mu, logvar = self.encode_distribution(x)
        z = mu
        if self.training:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar

    def forward(self, x):
        return self.forward_elbo(x)[0]


#: Recurrent cells accepted by :class:`SequenceAutoencoderModule`.
RNN_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


def _keras_init(rnn):
    """Keras' recipe for a recurrent layer, applied gate by gate: Glorot-uniform input
    weights, orthogonal recurrent weights, zero biases, and a forget-gate bias of 1 for an LSTM.

    Keras draws each matrix over all the gates at once; here each gate's block is drawn on its
    own, so the input weights' Glorot bound is ``sqrt(6 / (n_in + units))`` where Keras'
    is ``sqrt(6 / (n_in + 4 * units))`` for an LSTM (about twice as wide for one input
    feature and 32 units), and each gate's recurrent block is orthogonal by itself.

    Measured on ECG5000 (bidirectional LSTM, 10 epochs), the training loss fell several times
    further than with torch's default (uniform in +-1/sqrt(hidden_size)).
    """
    n_gates = 4 if isinstance(rnn, nn.LSTM) else 3
    size = rnn.hidden_size
    for name, param in rnn.named_parameters():
        if name.startswith("bias"):
            nn.init.zeros_(param)
            if n_gates == 4 and name.startswith("bias_ih"):
                nn.init.ones_(param[size : 2 * size])  # torch's gate order: i, f, g, o
            continue
        init = nn.init.xavier_uniform_ if name.startswith("weight_ih") else nn.init.orthogonal_
        for gate in param.chunk(n_gates, dim=0):
            init(gate)
    return rnn


class SequenceAutoencoderModule(nn.Module):
    """A recurrent sequence-to-sequence autoencoder with a fixed-size code.

    The encoder is a stack of recurrent layers (LSTM or GRU, each optionally bidirectional,
    its two directions merged by a sum or a concatenation, as Keras' ``Bidirectional``
    layer does); the code is a linear map of the final hidden state of the last layer (of
    both directions). The decoder repeats the code at every time step (Keras'
    ``RepeatVector``), runs it through the mirrored stack of recurrent layers and maps each
    step's output to the features of that step with one linear layer shared over time
    (Keras' ``TimeDistributed(Dense)``).

    Rows stay rows: a row holds ``n_timesteps * n_features`` values, time step by time step
    (C order of an ``(n_timesteps, n_features)`` array).

    Parameters
    ----------
    n_timesteps : int
        Length of the sequences.
    n_features : int
        Number of values per time step.
    n_components : int
        Width of the code.
    hidden_layer_sizes : tuple of int
        Hidden sizes of the encoder's recurrent layers, from the input inwards. The decoder
        uses them in reverse order.
    cell : {'lstm', 'gru'}
        The recurrent cell.
    bidirectional : bool
        Whether each recurrent layer reads the sequence in both directions.
    merge_mode : {'sum', 'concat'}
        How the two directions of a bidirectional layer are combined.
    output_activation : str
        Activation of the per-step output layer, a key of :data:`ACTIVATIONS`.
    dtype : torch.dtype
        Floating point type of the parameters.
    """

    def __init__(
        self,
        n_timesteps,
        n_features,
        n_components,
        hidden_layer_sizes=(32,),
        cell="lstm",
        bidirectional=True,
        merge_mode="sum",
        output_activation="identity",
        dtype=torch.float32,
    ):
        super().__init__()
        self.n_timesteps, self.n_features = int(n_timesteps), int(n_features)
        self.bidirectional, self.merge_mode = bidirectional, merge_mode
        widen = 2 if bidirectional and merge_mode == "concat" else 1
        hidden = [int(h) for h in hidden_layer_sizes]

        def stack(n_in, sizes):
            layers = nn.ModuleList()
            for size in sizes:
                layers.append(_keras_init(RNN_CELLS[cell](
                    n_in, size, batch_first=True, bidirectional=bidirectional, dtype=dtype)))
                n_in = widen * size
            return layers, n_in

        self.encoder, n_last = stack(self.n_features, hidden)
        self.to_code = linear(n_last, n_components, dtype)
        self.decoder, n_last = stack(n_components, hidden[::-1])
        self.to_step = linear(n_last, self.n_features, dtype)
        self.output_activation_name = output_activation
        self.output_activation = ACTIVATIONS[output_activation]()

    def init_output_bias(self, mean):
        # The per-step layer is shared over time: start it at each feature's mean over time.
        step_mean = mean.reshape(self.n_timesteps, self.n_features).mean(dim=0)
        start_at_mean(self.to_step, step_mean, self.output_activation_name)

    def _merge(self, forward, backward):
        if self.merge_mode == "sum":
            return forward + backward
        return torch.cat([forward, backward], dim=-1)

    def _run(self, layer, x):
        """Output sequence and final hidden state of one layer, directions merged."""
        out, state = layer(x)
        h_n = state[0] if isinstance(state, tuple) else state  # LSTM: (h_n, c_n)
        if not self.bidirectional:
            return out, h_n[-1]
        size = layer.hidden_size
        return self._merge(out[..., :size], out[..., size:]), self._merge(h_n[-2], h_n[-1])

    def encode(self, x):
        h = x.reshape(x.shape[0], self.n_timesteps, self.n_features)
        for layer in self.encoder:
            h, last = self._run(layer, h)
        return self.to_code(last)

    def decode(self, z):
        h = z.unsqueeze(1).expand(-1, self.n_timesteps, -1)
        for layer in self.decoder:
            h, _ = self._run(layer, h)
        return self.output_activation(self.to_step(h)).flatten(1)

    def forward(self, x):
        return self.decode(self.encode(x))


def build_user_module(module, kwargs, offered, dtype):
    """A user's module, ready to train: a class instantiated, an instance copied.

    A class gets its ``kwargs`` plus those of the ``offered`` arguments (``n_features``,
    ``n_components``, ``input_shape``) that its signature names and ``kwargs`` does not
    set; an instance is deep-copied, so that training never changes the object given.
    Either way the result is cast to ``dtype``.
    """
    if isinstance(module, nn.Module):
        built = copy.deepcopy(module)
    else:
        names = inspect.signature(module).parameters
        extra = {key: value for key, value in offered.items()
                 if key in names and key not in kwargs}
        built = module(**extra, **kwargs)
        if not isinstance(built, nn.Module):
            raise TypeError(
                f"{module.__name__}(...) returned a {type(built).__name__}, not a "
                "torch.nn.Module."
            )
    return built.to(dtype)


def _probe(module, x):
    """``module(x)`` without gradients, in evaluation mode (no dropout, no batch statistics
    updated, no random number drawn), the module's mode restored afterwards."""
    training = module.training
    module.eval()
    try:
        with torch.no_grad():
            return module(x)
    finally:
        module.train(training)


def _shape(value):
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    return type(value).__name__


class CustomAutoencoderModule(nn.Module):
    """An autoencoder made of a user's encoder and decoder, with the package's protocol.

    The encoder receives a batch of samples of shape ``(batch, *input_shape)`` (the rows
    reshaped as the family reads them) and returns one tensor of shape ``(batch, ...)``,
    flattened into the code ``(batch, n_components)``. The decoder receives codes
    ``(batch, n_components)`` and returns ``(batch, ...)`` with ``prod(input_shape)``
    values per sample, flattened into rows; ``output_activation`` is applied to them.

    The code width is measured by one forward pass of the encoder when the module is built,
    and the decoder's output is checked against the input's width then, with an error that
    names both shapes.

    Parameters
    ----------
    encoder, decoder : type or nn.Module
        A module class, instantiated by :func:`build_user_module` with ``encoder_kwargs``
        (``decoder_kwargs``), or an instance, deep-copied.
    input_shape : tuple of int
        Shape of one sample as the encoder receives it.
    encoder_kwargs, decoder_kwargs : dict or None
        Arguments of the classes.
    n_components : int or None
        The ``n_components`` offered to the encoder class (the estimator's); the decoder
        class is offered the measured code width.
    output_activation : str
        Activation applied to the decoder's output, a key of :data:`ACTIVATIONS`.
    dtype : torch.dtype
        Floating point type of the parameters.
    """

    def __init__(
        self,
        encoder,
        decoder,
        input_shape,
        encoder_kwargs=None,
        decoder_kwargs=None,
        n_components=None,
        output_activation="identity",
        dtype=torch.float32,
    ):
        super().__init__()
        self.input_shape = tuple(int(d) for d in input_shape)
        n_features = math.prod(self.input_shape)
        offered = {"n_features": n_features, "input_shape": self.input_shape}
        self.encoder = build_user_module(
            encoder, encoder_kwargs or {}, {**offered, "n_components": n_components}, dtype)
        probe = torch.zeros((2, *self.input_shape), dtype=dtype)
        self.n_components = self._code_width(_probe(self.encoder, probe))
        self.decoder = build_user_module(
            decoder, decoder_kwargs or {}, {**offered, "n_components": self.n_components},
            dtype)
        codes = torch.zeros((2, self.n_components), dtype=dtype)
        out = _probe(self.decoder, codes)
        if not isinstance(out, torch.Tensor) or out.shape[:1] != (2,) or (
            out[0].numel() != n_features
        ):
            raise ValueError(
                f"The decoder ({type(self.decoder).__name__}) returns outputs of shape "
                f"{_shape(out)} for codes of shape {tuple(codes.shape)}, but the input "
                f"samples have shape {tuple(probe.shape)}: it must return one tensor of "
                f"shape (batch, ...) with {n_features} values per sample (n_features="
                f"{n_features}). Make its last layer output {n_features} values; a decoder "
                "class whose __init__ has a parameter named n_features receives it."
            )
        self.output_activation_name = output_activation
        self.output_activation = ACTIVATIONS[output_activation]()

    def _code_width(self, z):
        if not isinstance(z, torch.Tensor) or z.ndim < 2 or z.shape[0] != 2:
            raise ValueError(
                f"The encoder ({type(self.encoder).__name__}) returns {_shape(z)} for inputs "
                f"of shape {(2, *self.input_shape)}; it must return one tensor of shape "
                "(batch, ...), flattened into the code (batch, n_components)."
            )
        return int(z[0].numel())

    def init_output_bias(self, mean):
        """Nothing: the user's decoder starts as its own initialisation sets it."""

    def encode(self, x):
        return self.encoder(x.reshape(x.shape[0], *self.input_shape)).flatten(1)

    def decode(self, z):
        return self.output_activation(self.decoder(z).flatten(1))

    def forward(self, x):
        return self.decode(self.encode(x))


class CustomVariationalModule(CustomAutoencoderModule):
    """A variational autoencoder made of a user's encoder and decoder.

    As :class:`CustomAutoencoderModule`, except that the encoder gives the posterior: a
    pair ``(mu, logvar)`` of tensors of shape ``(batch, n_components)``, or one tensor of
    shape ``(batch, 2 * n_components)`` whose first half is ``mu`` and second half
    ``logvar``. The code (``encode``) is ``mu``; :meth:`forward_elbo` draws the code by
    reparameterisation while training, as :class:`VariationalAutoencoderModule` does.
    """

    def _code_width(self, out):
        if isinstance(out, (tuple, list)) and len(out) == 2 and all(
            isinstance(t, torch.Tensor) and t.ndim == 2 and t.shape[0] == 2 for t in out
        ) and out[0].shape == out[1].shape:
            return int(out[0].shape[1])
        if isinstance(out, torch.Tensor) and out.ndim == 2 and out.shape[0] == 2 and (
            out.shape[1] % 2 == 0
        ):
            return int(out.shape[1] // 2)
        raise ValueError(
            f"The encoder ({type(self.encoder).__name__}) of a VariationalAutoencoder returns "
            f"{_shape(out) if not isinstance(out, (tuple, list)) else [_shape(t) for t in out]}"
            f" for inputs of shape {(2, *self.input_shape)}; it must return the posterior: "
            "a pair (mu, logvar) of tensors of shape (batch, n_components), or one tensor of "
            "shape (batch, 2 * n_components), mu first."
        )

    def encode_distribution(self, x):
        """``(mu, logvar)`` of the posterior over the code of each row."""
        out = self.encoder(x.reshape(x.shape[0], *self.input_shape))
        if isinstance(out, torch.Tensor):
            return out[:, : self.n_components], out[:, self.n_components :]
        return out[0], out[1]

    def encode(self, x):
        return self.encode_distribution(x)[0]

    forward_elbo = VariationalAutoencoderModule.forward_elbo

    def forward(self, x):
        return self.forward_elbo(x)[0]


class TrimmedL1Loss(nn.Module):
    """Mean absolute error over the rows of a batch that the network rebuilds best.

    Each row's error is the mean absolute difference over its features; the ``int(trim *
    b)`` rows of the ``b`` of a batch with the largest errors are left out and the rest
    averaged (a trimmed mean, as in least trimmed squares). The rows that reconstruct worst,
    the likely outliers of a contaminated training set, then stop pulling the network. With
    ``reduction='none'`` it returns the element-wise absolute differences, as
    :class:`torch.nn.L1Loss` does.
    """

    def __init__(self, trim=0.1, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")
        self.trim = trim
        self.reduction = reduction

    def forward(self, input, target):
        diff = (input - target).abs()
        if self.reduction == "none":
            return diff
        per_row = diff.reshape(len(diff), -1).mean(dim=1)
        keep = len(per_row) - int(self.trim * len(per_row))
        if 0 < keep < len(per_row):
            per_row = torch.topk(per_row, keep, largest=False, sorted=False).values
        return per_row.mean() if self.reduction == "mean" else per_row.sum()


class MaskedLossMixin:
    """A loss over the observed entries of the target only: NaN entries are missing values.

    Mixed in on the left of a torch loss with ``reduction='mean'``. A batch whose target has
    no NaN gets the loss it mixes into, unchanged; otherwise the mean of the element-wise
    loss over the observed entries (0, with zero gradients, when there are none), so that
    missing values neither pull the network nor count in the loss.
    """

    def forward(self, input, target):
        missing = torch.isnan(target)
        if not bool(missing.any()):
            return super().forward(input, target)
        # Missing targets get the prediction itself: finite element-wise losses, which the
        # mask then zeroes (a NaN times zero would stay NaN).
        elementwise = self.elementwise(input, torch.where(missing, input.detach(), target))
        observed = ~missing
        return self.reduce(torch.where(observed, elementwise, 0), observed)

    def elementwise(self, input, target):
        return getattr(nn.functional, self.functional)(input, target, reduction="none")

    def reduce(self, losses, observed):
        return losses.sum() / observed.sum().clamp(min=1)


class MaskedMSELoss(MaskedLossMixin, nn.MSELoss):
    """:class:`torch.nn.MSELoss` over the observed (not NaN) entries of the target."""

    functional = "mse_loss"


class MaskedL1Loss(MaskedLossMixin, nn.L1Loss):
    """:class:`torch.nn.L1Loss` over the observed (not NaN) entries of the target."""

    functional = "l1_loss"


class MaskedHuberLoss(MaskedLossMixin, nn.HuberLoss):
    """:class:`torch.nn.HuberLoss` over the observed (not NaN) entries of the target."""

    def elementwise(self, input, target):
        return nn.functional.huber_loss(input, target, reduction="none", delta=self.delta)


class MaskedBCELoss(MaskedLossMixin, nn.BCELoss):
    """:class:`torch.nn.BCELoss` over the observed (not NaN) entries of the target."""

    functional = "binary_cross_entropy"


class MaskedTrimmedL1Loss(MaskedLossMixin, TrimmedL1Loss):
    """:class:`TrimmedL1Loss` over the observed entries: a row's error is their mean.

    Rows without an observed entry take no part, in the trimming either.
    """

    def elementwise(self, input, target):
        return (input - target).abs()

    def reduce(self, losses, observed):
        counts = observed.reshape(len(observed), -1).sum(dim=1)
        rows = counts > 0
        per_row = losses.reshape(len(losses), -1).sum(dim=1)[rows] / counts[rows]
        keep = len(per_row) - int(self.trim * len(per_row))
        if 0 < keep < len(per_row):
            per_row = torch.topk(per_row, keep, largest=False, sorted=False).values
        if len(per_row) == 0:
            return losses.sum()  # zero, with zero gradients
        return per_row.mean() if self.reduction == "mean" else per_row.sum()


def squared_distances(z, centers):
    """``(n, k)`` squared Euclidean distances from each code to each centre.

    Written out rather than :func:`torch.cdist`, whose gradient is not defined where a code
    sits on a centre.
    """
    return (z.unsqueeze(1) - centers.unsqueeze(0)).square().sum(dim=2)


def soft_assignments(z, centers):
    """DEC's soft assignment of codes to clusters: a Student's t kernel, rows summing to 1.

    ``q[i, j]`` is proportional to ``1 / (1 + |z_i - centers_j|**2)`` (one degree of
    freedom, as in Xie, Girshick and Farhadi, "Unsupervised Deep Embedding for Clustering
    Analysis", ICML 2016).
    """
    return student_t_assignments(squared_distances(z, centers))


def student_t_assignments(squared_distances):
    """:func:`soft_assignments` from the ``(n, k)`` squared distances of codes to centres."""
    q = 1.0 / (1.0 + squared_distances)
    return q / q.sum(dim=1, keepdim=True)


def sharpened_target(q):
    """DEC's target distribution: ``q`` squared and divided by each cluster's total, renormalised.

    It puts more weight on the assignments made with high confidence and less on large
    clusters, so that pulling ``q`` towards it tightens the clusters without letting one
    swallow the others.
    """
    p = q.square() / q.sum(dim=0)
    return p / p.sum(dim=1, keepdim=True)


class ClusteringModule(nn.Module):
    """An autoencoder module with learnable cluster centres in its code space.

    ``forward`` returns the reconstruction and the soft assignments of the codes
    (:func:`soft_assignments`), for a loss that keeps the reconstruction and tightens the
    clusters (IDEC). ``encode`` and ``decode`` are the autoencoder's.

    Parameters
    ----------
    autoencoder : nn.Module
        A trained autoencoder module (the protocol of this module's docstring); it is
        trained further in place.
    cluster_centers : torch.Tensor of shape (n_clusters, code width)
        Initial centres, e.g. from k-means on the codes.
    """

    def __init__(self, autoencoder, cluster_centers):
        super().__init__()
        self.autoencoder = autoencoder
        self.cluster_centers = nn.Parameter(cluster_centers.detach().clone())

    def encode(self, x):
        return self.autoencoder.encode(x)

    def decode(self, z):
        return self.autoencoder.decode(z)

    def forward(self, x):
        z = self.encode(x)
        return self.decode(z), soft_assignments(z, self.cluster_centers)
