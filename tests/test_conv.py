"""Behaviour of ConvAutoencoder: image shapes, the network, training, composition, errors."""

import math
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from _instances import images
from sklearn_ae import ConvAutoencoder

FAST = dict(channels=(4, 2), max_iter=2, random_state=0)


# ------------------------------------------------------------------------ shapes round-trip


@pytest.mark.parametrize(
    "image_shape, data_shape",
    [
        (None, (1, 8, 8)),  # digits
        ((28, 28), (1, 28, 28)),  # MNIST
        ((3, 32, 32), (3, 32, 32)),  # colour, CIFAR-sized
        ((7, 9), (1, 7, 9)),  # sides that do not halve evenly
        ((1, -1), (1, 1, 13)),  # a strip: a 1-D signal
        ((2, -1, 5), (2, 3, 5)),
    ],
    ids=["8x8", "28x28", "3x32x32", "7x9", "1x13", "2x3x5"],
)
@pytest.mark.parametrize(
    "downsampling, upsampling", [("stride", "transpose"), ("maxpool", "nearest")]
)
@pytest.mark.parametrize("n_components", [None, 5])
def test_shapes_round_trip(image_shape, data_shape, downsampling, upsampling, n_components):
    X = images(6, data_shape)
    ae = ConvAutoencoder(n_components, image_shape=image_shape, downsampling=downsampling,
                         upsampling=upsampling, max_iter=1, random_state=0).fit(X)
    assert ae.image_shape_ == data_shape
    c, h, w = data_shape
    feature_map = 16 * -(-h // 4) * -(-w // 4)  # channels (32, 16): two halvings, rounded up
    assert ae.n_components_ == (feature_map if n_components is None else n_components)
    codes = ae.transform(X)
    assert codes.shape == (6, ae.n_components_)
    assert ae.inverse_transform(codes).shape == X.shape
    assert ae.reconstruct(X).shape == X.shape
    assert ae.score_samples(X).shape == (6,)


def test_code_of_the_seed_network_is_7x7x2_on_mnist_sized_images():
    ae = ConvAutoencoder(channels=(16, 2), max_iter=1, random_state=0).fit(
        images(4, (1, 28, 28)))
    assert ae.n_components_ == 98
    assert ae.net_.module_.feature_map_shape == (2, 7, 7)
    assert len(ae.get_feature_names_out()) == 98
    assert ae.get_feature_names_out()[-1] == "convautoencoder97"


@pytest.mark.parametrize("kernel_size", [1, 5])
def test_other_kernel_sizes_keep_the_shape(kernel_size):
    X = images(4, (1, 7, 9))
    ae = ConvAutoencoder(image_shape=(7, 9), kernel_size=kernel_size, **FAST).fit(X)
    assert ae.reconstruct(X).shape == X.shape


def test_the_network_is_the_one_asked_for():
    ae = ConvAutoencoder(image_shape=(3, 32, 32), **{**FAST, "channels": (16, 8)}).fit(
        images(4, (3, 32, 32)))
    module = ae.net_.module_
    convs = [m for m in module.encoder if isinstance(m, torch.nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.stride) for m in convs] == [
        (3, 16, (2, 2)), (16, 8, (2, 2))]
    # The code is linear: no activation after the last encoder convolution.
    assert isinstance(module.encoder[-2], torch.nn.Conv2d)
    transposed = [m for m in module.decoder if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in transposed] == [(8, 8), (8, 16)]
    assert isinstance(module.decoder[-2], torch.nn.Sigmoid)  # data in [0, 1]
    pooled = ConvAutoencoder(image_shape=(3, 32, 32), downsampling="maxpool",
                             upsampling="nearest", **FAST).fit(images(4, (3, 32, 32)))
    kinds = {type(m) for m in pooled.net_.module_.modules()}
    assert {torch.nn.MaxPool2d, torch.nn.Upsample} <= kinds
    assert torch.nn.ConvTranspose2d not in kinds


@pytest.mark.parametrize("n_components", [None, 12])
def test_linear_code_layers_go_in_front_of_the_code(n_components):
    X = images(8, (1, 8, 8))
    ae = ConvAutoencoder(n_components, n_linear_code_layers=3, **FAST).fit(X)
    width = ae.n_components_
    assert width == (12 if n_components else 2 * 2 * 2)  # 2 channels of 2 x 2
    extra = list(ae.net_.module_.encoder)[-3:]
    assert all(isinstance(m, torch.nn.Linear) and m.bias is None for m in extra)
    assert {tuple(m.weight.shape) for m in extra} == {(width, width)}
    assert ae.transform(X).shape == (8, width)
    assert ae.reconstruct(X).shape == X.shape


def test_an_int_of_channels_is_one_stage_as_an_int_of_hidden_layer_sizes_is_one_layer():
    X = images(8, (1, 8, 8))
    one = ConvAutoencoder(**{**FAST, "channels": 4}).fit(X)
    same = ConvAutoencoder(**{**FAST, "channels": (4,)}).fit(X)
    assert one.n_components_ == 4 * 4 * 4
    np.testing.assert_array_equal(one.transform(X), same.transform(X))


def test_image_shape_resolution():
    X = images(4, (1, 8, 8))
    for given in [None, (8, 8), (1, 8, 8), (-1, 8), (1, -1, 8), [8, 8], np.array([8, 8])]:
        ae = ConvAutoencoder(image_shape=given, **FAST).fit(X)
        assert ae.image_shape_ == (1, 8, 8)
        assert ae.image_shape is given  # the parameter itself is never changed
    assert ConvAutoencoder(image_shape=(4, 4, 4), **FAST).fit(X).image_shape_ == (4, 4, 4)


# --------------------------------------------------------------------------------- training


def test_learns_the_digits(digits):
    X, _ = digits
    X = X.astype(np.float32)
    ae = ConvAutoencoder(channels=(16, 4), max_iter=40, random_state=0).fit(X)
    assert ae.n_components_ == 16
    assert ae.loss_curve_[-1] < 0.3 * ae.loss_curve_[0]
    # Measured 0.023 against 0.073 for the mean image. PCA(16) does better still (0.011) on
    # 8x8 images: a 2 x 2 x 4 feature map is a local code, not a global one.
    mean_image_mse = np.mean((X - X.mean(axis=0)) ** 2)
    assert -ae.score(X) < 0.4 * mean_image_mse


def test_auto_batch_size_is_the_family_s_own():
    # Images train on batches of at most 64 (chosen for this family), other families on 200.
    from sklearn_ae import AutoencoderTransformer

    assert ConvAutoencoder()._resolve_batch_size(1000) == 64
    assert ConvAutoencoder()._resolve_batch_size(40) == 40
    assert ConvAutoencoder(batch_size=100)._resolve_batch_size(1000) == 100
    assert AutoencoderTransformer()._resolve_batch_size(1000) == 200
    X = images(n=100, shape=(1, 8, 8))
    assert ConvAutoencoder(**FAST).fit(X).batch_size_ == 64


def test_auto_budget_is_the_family_s_own():
    # Images aim at 16,000 optimizer steps with no stopping rule (chosen for this family by
    # benchmarks/explore_conv_budget.py); the other families at 8,000, with tol=1e-4.
    from sklearn_ae import AutoencoderTransformer

    assert ConvAutoencoder().tol is None
    assert AutoencoderTransformer().tol == 1e-4
    # 12,000 images in batches of 64 make 188 steps per epoch; 60,000 make 938.
    assert ConvAutoencoder()._resolve_max_iter(12_000, 64) == 16_000 // 188 == 85
    assert ConvAutoencoder()._resolve_max_iter(60_000, 64) == 17
    assert AutoencoderTransformer()._resolve_max_iter(12_000, 64) == 8_000 // 188 == 42
    assert ConvAutoencoder()._resolve_max_iter(3_000, 64) == 200  # clipped
    assert ConvAutoencoder()._resolve_max_iter(10**6, 64) == 10  # clipped
    # A default fit trains every epoch of its budget and, asked for them, does not warn.
    X = images(n=100, shape=(1, 8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ae = ConvAutoencoder(**{**FAST, "max_iter": 4}).fit(X)
    assert ae.n_iter_ == 4


def test_mostly_blank_images_do_not_collapse_to_a_constant(digits):
    # Digits drawn at 16x16 on a blank 28x28 canvas are mostly zeros, as MNIST is. With zero
    # output biases the sigmoid started every pixel at 0.5; pulling them all down grew the
    # weights until the sigmoid saturated, and the net predicted 0 everywhere from the second
    # epoch on (3.2x the error of the mean image, every output the same). The output layer
    # now starts at the data's mean.
    D = digits[0].reshape(-1, 8, 8)  # already in [0, 1]
    canvas = np.zeros((len(D), 28, 28), np.float32)
    canvas[:, 6:22, 6:22] = np.kron(D, np.ones((1, 2, 2)))
    X = canvas.reshape(len(D), -1)
    ae = ConvAutoencoder(channels=(32, 64), kernel_size=5, batch_size=128, learning_rate_init=1e-3,
                         max_iter=5, random_state=0).fit(X)
    reconstruction = ae.reconstruct(X)
    assert reconstruction.std(axis=0).mean() > 0.02  # not one constant image
    mean_image_mse = np.mean((X - X.mean(axis=0)) ** 2)
    assert np.mean((reconstruction - X) ** 2) < 0.5 * mean_image_mse


def test_predictions_do_not_depend_on_batches():
    X = images(30, (1, 7, 9))
    ae = ConvAutoencoder(image_shape=(7, 9), noise="gaussian", clip=(0, 1), **FAST).fit(X)
    codes = ae.transform(X)
    np.testing.assert_array_equal(ae.transform(X), codes)
    ae._predict_batch_size = 7
    np.testing.assert_allclose(ae.transform(X), codes, rtol=1e-5, atol=1e-6)


def test_warm_start_continues_only_on_images_of_the_same_shape():
    X = images(10, (1, 4, 6))
    ae = ConvAutoencoder(image_shape=(4, 6), warm_start=True, **FAST).fit(X)
    ae.fit(X)
    assert ae.n_iter_ == 4
    # Same width, other images: a new network.
    ae.set_params(image_shape=(6, 4)).fit(X)
    assert ae.n_iter_ == 2 and ae.image_shape_ == (1, 6, 4)


# -------------------------------------------------------------------- sklearn composition


def test_pipeline_with_kmeans_on_the_digits(digits):
    X, y = digits
    pipe = make_pipeline(
        ConvAutoencoder(channels=(16, 4), max_iter=20, random_state=0),
        KMeans(10, n_init=4, random_state=0),
    )
    labels = pipe.fit_predict(X)
    assert normalized_mutual_info_score(y, labels) > 0.5


def test_grid_search_prefers_the_wider_code(digits):
    X, _ = digits
    search = GridSearchCV(ConvAutoencoder(max_iter=10, batch_size=32, random_state=0),
                          {"channels": [(8, 1), (8, 8)]}, cv=2)
    search.fit(X[:400].astype(np.float32))
    # Codes of 2 x 2 x 1 = 4 and 2 x 2 x 8 = 32 values; measured scores -0.11 and -0.06.
    assert search.best_params_ == {"channels": (8, 8)}
    assert search.best_score_ < 0
    assert search.best_estimator_.transform(X[:5]).shape == (5, 32)


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "params, n_features, msg",
    [
        (dict(), 10,
         "ConvAutoencoder got image_shape=None, which infers square single-channel images, "
         "but X has 10 features, which is not a square number. Pass image_shape=(height, "
         "width) or (channels, height, width) with a product of 10; one entry may be -1 and "
         "is inferred."),
        (dict(image_shape=(28, 28)), 64,
         "image_shape=(28, 28) does not match X: images of that shape hold 784 values, but X "
         "has 64 features. Pass the shape of the images that the rows of X flatten, or "
         "image_shape=None for square single-channel images."),
        (dict(image_shape=(3, 8, 8)), 64,
         "image_shape=(3, 8, 8) does not match X: images of that shape hold 192 values, but "
         "X has 64 features."),
        (dict(image_shape=(3, -1)), 64,
         "image_shape=(3, -1) does not match X: images of that shape hold a multiple of 3 "
         "values, but X has 64 features."),
        (dict(image_shape=(8,)), 64,
         "image_shape must be (height, width) or (channels, height, width) of positive "
         "integers, one of which may be -1 to be inferred; got (8,)."),
        (dict(image_shape=(-1, -1)), 64,
         "image_shape must be (height, width) or (channels, height, width) of positive "
         "integers, one of which may be -1 to be inferred; got (-1, -1)."),
        (dict(image_shape=(8, 8.0)), 64,
         "image_shape must be (height, width) or (channels, height, width) of positive "
         "integers, one of which may be -1 to be inferred; got (8, 8.0)."),
        (dict(kernel_size=4), 64,
         "kernel_size must be odd so that a convolution keeps the image centred; got "
         "kernel_size=4. Use 5 or 3."),
        (dict(channels=()), 64,
         "channels must hold at least one positive integer, got (). Pass e.g. (16, 8): the "
         "number of filters of each encoder stage."),
        (dict(channels=(8, 0)), 64,
         "channels must hold at least one positive integer, got (8, 0). Pass e.g. (16, 8): "
         "the number of filters of each encoder stage."),
    ],
    ids=["not-square", "mismatch", "mismatch-channels", "not-divisible", "one-entry",
         "two-minus-ones", "float-entry", "even-kernel", "no-channels", "zero-channels"],
)
def test_bad_parameters_for_the_data_raise_clear_errors(params, n_features, msg):
    ae = ConvAutoencoder(**{**FAST, **params})
    with pytest.raises(ValueError, match=re.escape(msg)):
        ae.fit(np.random.RandomState(0).uniform(size=(5, n_features)))
    assert not hasattr(ae, "net_") and not hasattr(ae, "image_shape_")


@pytest.mark.parametrize(
    "shape, hint",
    [
        ((3, 8, 8), "Pass X.reshape(len(X), -1) with image_shape=(8, 8), the (height, width) "
                    "or (channels, height, width) of one image."),
        ((3, 2, 8, 8), "Pass X.reshape(len(X), -1) with image_shape=(2, 8, 8)"),
        ((3, 8, 8, 3), "Its last axis looks like the channels of channels-last images "
                       "(n_samples, height, width, channels); the network reads (channels, "
                       "height, width), as torch does. Pass X.transpose(0, 3, 1, 2)"
                       ".reshape(len(X), -1) with image_shape=(3, 8, 8)."),
    ],
    ids=["n-h-w", "n-c-h-w", "n-h-w-c"],
)
def test_image_arrays_get_an_error_that_says_how_to_pass_them(shape, hint):
    X = np.random.RandomState(0).uniform(size=(shape[0], math.prod(shape[1:])))
    ae = ConvAutoencoder(**FAST)
    with pytest.raises(ValueError, match=re.escape(
            f"ConvAutoencoder takes 2-D X of shape (n_samples, n_features), one flattened "
            f"sample per row; got an array of shape {shape}. {hint}")):
        ae.fit(X.reshape(shape))
    assert not hasattr(ae, "n_features_in_")
    # The hint works: the flattened array fits, with the shape it names.
    if "transpose" in hint:
        X_ok = X.reshape(shape).transpose(0, 3, 1, 2).reshape(shape[0], -1)
        image_shape = (shape[3], shape[1], shape[2])
    else:
        X_ok, image_shape = X, shape[1:]
    ae.set_params(image_shape=image_shape).fit(X_ok)
    assert ae.image_shape_ == ((1, *image_shape) if len(image_shape) == 2 else image_shape)
    with pytest.raises(ValueError, match=re.escape(f"got an array of shape {shape}")):
        ae.transform(X.reshape(shape))


@pytest.mark.parametrize("channels", [1, 3])
def test_a_channels_last_image_shape_warns_and_says_what_to_pass(channels):
    # Keras writes (28, 28, 1): read as torch's (channels, height, width) that is 28 channels
    # of 28x1 strips, a legal but unlikely shape, so a warning rather than an error.
    X = images(4, (channels, 8, 8))
    msg = (
        f"ConvAutoencoder: image_shape=(8, 8, {channels}) is read as 8 channels of "
        f"8x{channels} images (channels, height, width), as torch orders them. If you meant "
        "channels-last (height, width, channels), as Keras orders them, pass "
        f"image_shape=({channels}, 8, 8)"
    )
    with pytest.warns(UserWarning, match=re.escape(msg)):
        ConvAutoencoder(**{**FAST, "image_shape": (8, 8, channels)}).fit(X)
    # Shapes that are not channels-last-looking do not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # (a subclass, the short fit's)
        ConvAutoencoder(**{**FAST, "image_shape": (channels, 8, 8)}).fit(X)
        ConvAutoencoder(**{**FAST, "image_shape": (8, 8)}).fit(X[:, :64])
        ConvAutoencoder(**{**FAST, "image_shape": (4, 4, 4)}).fit(X[:, :64])


