"""PyTorch modules behind the estimators.

Nothing in here knows about scikit-learn. Every autoencoder module has the same small protocol,
which the shared base relies on:

- ``encode(x)`` maps a batch of rows to codes,
- ``decode(z)`` maps codes back to rows,
- ``forward(x)`` returns the reconstruction ``decode(encode(x))``.
"""

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


def linear(n_in, n_out, dtype=torch.float32):
    """A linear layer with Glorot-uniform weights and zero bias.

    Keras' default initialisation: torch's default (uniform with bound 1/sqrt(fan_in)) starts
    wide layers with small weights, and measured on Fashion-MNIST it trained a dense
    autoencoder to a worse reconstruction in the same number of steps.
    """
    layer = nn.Linear(n_in, n_out, dtype=dtype)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


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
        dtype=torch.float32,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.encoder = dense_stack([n_features, *hidden, n_components], activation, "identity", dtype)
        self.decoder = dense_stack(
            [n_components, *hidden[::-1], n_features], activation, output_activation, dtype
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x))
