"""The torch modules' own protocol: here, where an untrained network's output starts."""

import pytest
import torch

from sklearn_ae._modules import (
    ConvAutoencoderModule,
    DenseAutoencoderModule,
    SequenceAutoencoderModule,
    VariationalAutoencoderModule,
)


def silence_output_layer(module):
    """Zero the output layer's weights, so that its output is its activated bias alone."""
    for layer in reversed(list(module.modules())):
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d)):
            with torch.no_grad():
                layer.weight.zero_()
            return


@pytest.mark.parametrize("activation, low, high", [
    ("identity", -3.0, 3.0), ("sigmoid", 0.2, 0.8), ("logistic", 0.2, 0.8), ("tanh", -0.8, 0.8),
])
@pytest.mark.parametrize("make, per", [
    (lambda a: DenseAutoencoderModule(6, 2, (4,), output_activation=a), "feature"),
    (lambda a: VariationalAutoencoderModule(6, 2, (4,), output_activation=a), "feature"),
    # image_shape (2, 1, 3): 2 channels of 3 pixels each; the bias is one per channel.
    (lambda a: ConvAutoencoderModule((2, 1, 3), (4,), output_activation=a), "channel"),
    # 3 time steps of 2 features; the per-step layer is shared over time.
    (lambda a: SequenceAutoencoderModule(3, 2, 2, (4,), output_activation=a), "step"),
])
def test_the_untrained_output_starts_at_the_mean(make, per, activation, low, high):
    torch.manual_seed(0)
    mean = torch.empty(6).uniform_(low, high)
    module = make(activation)
    module.init_output_bias(mean)
    silence_output_layer(module)
    module.eval()
    with torch.no_grad():
        out = module(torch.randn(5, 6))[0]
    expected = {
        "feature": mean,
        "channel": mean.reshape(2, 3).mean(dim=1).repeat_interleave(3),
        "step": mean.reshape(3, 2).mean(dim=0).repeat(3),
    }[per]
    torch.testing.assert_close(out, expected)


def test_means_at_the_ends_of_a_sigmoid_are_clipped_and_relu_keeps_zero_bias():
    module = DenseAutoencoderModule(3, 1, output_activation="sigmoid")
    module.init_output_bias(torch.tensor([0.0, 1.0, 0.5]))
    bias = module.decoder[-2].bias
    assert torch.isfinite(bias).all()
    torch.testing.assert_close(torch.sigmoid(bias), torch.tensor([0.01, 0.99, 0.5]))
    relu = DenseAutoencoderModule(3, 1, output_activation="relu")
    relu.init_output_bias(torch.tensor([2.0, 3.0, 4.0]))
    assert torch.equal(relu.decoder[-2].bias, torch.zeros(3))
