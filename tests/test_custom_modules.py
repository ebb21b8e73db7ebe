"""A network of the user's own: ``encoder`` / ``decoder`` and their ``encoder__*`` parameters.

The modules below are defined at module level, so that estimators holding them pickle
(classes are pickled by reference). They are tiny, and fits are a few epochs.
"""

import copy
import io
import pickle
import re

import numpy as np
import pytest
import torch
from _instances import images, low_rank, sinusoids
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

from sklearn_ae import (
    AutoencoderTransformer,
    ConvAutoencoder,
    DeepEmbeddedClustering,
    DenoisingAutoencoder,
    ReconstructionOutlierDetector,
    SequenceAutoencoder,
    VariationalAutoencoder,
)


class Encoder(nn.Module):
    """Rows to codes; asks for the input and code widths."""

    def __init__(self, n_features, n_components, width=8):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_features, width), nn.Tanh(),
                                    nn.Linear(width, n_components))

    def forward(self, x):
        return self.layers(x)


class Decoder(nn.Module):
    """Codes to rows."""

    def __init__(self, n_components, n_features, width=8):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_components, width), nn.Tanh(),
                                    nn.Linear(width, n_features))

    def forward(self, z):
        return self.layers(z)


class FixedEncoder(nn.Module):
    """Asks for nothing: its widths are its own (6 features -> 3 values, as a 2-D map)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(6, 3)

    def forward(self, x):
        return self.linear(x).unsqueeze(1)  # (batch, 1, 3): flattened into the code


class WrongDecoder(nn.Module):
    def __init__(self, n_components):
        super().__init__()
        self.linear = nn.Linear(n_components, 5)

    def forward(self, z):
        return self.linear(z)


class BatchNormEncoder(nn.Module):
    """Batch normalisation and dropout: the probes must not disturb them."""

    def __init__(self, n_features, n_components):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_features, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                    nn.Dropout(0.1), nn.Linear(8, n_components))

    def forward(self, x):
        return self.layers(x)


class ImageEncoder(nn.Module):
    """A convolution over images, which arrive as (batch, channels, height, width)."""

    def __init__(self, input_shape, n_filters=2):
        super().__init__()
        self.input_shape = input_shape
        self.conv = nn.Conv2d(input_shape[0], n_filters, 3, stride=2, padding=1)

    def forward(self, x):
        assert tuple(x.shape[1:]) == self.input_shape
        return self.conv(x)  # (batch, n_filters, h, w), flattened into the code


class SequenceEncoder(nn.Module):
    """A 1-D convolution over sequences, which arrive as (batch, n_timesteps, n_features)."""

    def __init__(self, input_shape, n_components):
        super().__init__()
        self.input_shape = input_shape
        n_timesteps, n_features = input_shape
        self.conv = nn.Conv1d(n_features, 2, 3, padding=1)
        self.out = nn.Linear(2 * n_timesteps, n_components)

    def forward(self, x):
        assert tuple(x.shape[1:]) == self.input_shape
        return self.out(torch.relu(self.conv(x.transpose(1, 2))).flatten(1))


class PosteriorEncoder(nn.Module):
    """A VAE's encoder that returns the pair (mu, logvar)."""

    def __init__(self, n_features, n_components):
        super().__init__()
        self.hidden = nn.Linear(n_features, 8)
        self.mu, self.logvar = nn.Linear(8, n_components), nn.Linear(8, n_components)

    def forward(self, x):
        h = torch.relu(self.hidden(x))
        return self.mu(h), self.logvar(h)


def fast(cls=AutoencoderTransformer, **params):
    return cls(**{"encoder": Encoder, "decoder": Decoder, "max_iter": 3, "random_state": 0,
                  **params})


def weights(est):
    return [p.detach().clone() for p in est.net_.module_.parameters()]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


X = low_rank(60, 6)


# ------------------------------------------------------------------------ building

def test_classes_get_their_parameters_and_what_their_signature_asks():
    est = fast(n_components=3, encoder__width=5, decoder__width=7).fit(X)
    module = est.net_.module_
    assert module.encoder.layers[0].out_features == 5
    assert module.decoder.layers[0].out_features == 7
    assert module.decoder.layers[0].in_features == 3  # the measured code width
    assert est.transform(X).shape == (60, 3)
    assert est.get_feature_names_out()[-1] == "autoencodertransformer2"
    assert est.reconstruct(X).shape == X.shape
    assert module.encoder.layers[0].weight.dtype == torch.float64  # X's dtype
    assert np.isfinite(est.score(X))


def test_the_code_width_comes_from_a_forward_pass():
    # FixedEncoder asks for nothing and returns (batch, 1, 3): a code of width 3, whatever
    # n_components says.
    est = fast(encoder=FixedEncoder, n_components=2).fit(X)
    assert est.transform(X).shape == (60, 3)
    assert est.inverse_transform(est.transform(X)).shape == X.shape


def test_instances_are_copied_never_trained_in_place():
    torch.manual_seed(0)
    encoder, decoder = Encoder(6, 2), Decoder(2, 6)
    before = [p.detach().clone() for p in encoder.parameters()]
    est = fast(encoder=encoder, decoder=decoder).fit(X)
    assert_same_weights(list(encoder.parameters()), before)
    assert est.net_.module_.encoder is not encoder
    assert est.encoder is encoder  # the parameter stays as given
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_probes_do_not_disturb_batch_normalisation():
    est = fast(encoder=BatchNormEncoder).fit(X.astype(np.float32))
    norm = est.net_.module_.encoder.layers[1]
    # Trained on 3 epochs of one batch each: the running statistics count those only.
    assert int(norm.num_batches_tracked) == 3
    np.testing.assert_array_equal(est.transform(X[:5]), est.transform(X[:5]))


def test_a_seed_reproduces_the_fit():
    a, b = fast().fit(X), fast().fit(X)
    assert_same_weights(weights(a), weights(b))
    c = fast(random_state=1).fit(X)
    assert not torch.equal(weights(a)[0], weights(c)[0])


def test_a_decoder_of_the_wrong_width_names_both_shapes():
    msg = (
        "The decoder (WrongDecoder) returns outputs of shape (2, 5) for codes of shape "
        "(2, 2), but the input samples have shape (2, 6): it must return one tensor of "
        "shape (batch, ...) with 6 values per sample (n_features=6)."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        fast(decoder=WrongDecoder).fit(X)


@pytest.mark.parametrize("params, error, msg", [
    (dict(encoder=None), ValueError, (
        "got decoder=<class 'test_custom_modules.Decoder'> but encoder=None: a network of "
        "your own needs both an encoder and a decoder")),
    (dict(decoder=None), ValueError, "but decoder=None: a network of your own needs both"),
    (dict(encoder=dict), TypeError, (
        "encoder must be a torch.nn.Module subclass or instance; got the class dict.")),
    (dict(encoder=Encoder(6, 2), encoder__width=4), ValueError, (
        "got encoder__width, arguments of the encoder class, but encoder is an instance "
        "of Encoder.")),
    (dict(encoder=None, decoder=None, decoder__width=4), ValueError, "but decoder is None."),
    (dict(encoder_width=4), TypeError, (
        "AutoencoderTransformer.__init__() got an unexpected keyword argument "
        "'encoder_width'. Besides its named parameters it takes only the arguments of your "
        "own modules, as encoder__<name> and decoder__<name> (e.g. encoder__width=64).")),
    (dict(encoder=[1]), ValueError, (
        "The 'encoder' parameter of AutoencoderTransformer must be an instance of 'type', "
        "an instance of 'torch.nn.modules.module.Module' or None.")),
])
def test_bad_networks_are_refused_clearly_at_fit(params, error, msg):
    est = fast(**params)  # __init__ only stores, as scikit-learn asks
    with pytest.raises(error, match=re.escape(msg)):
        est.fit(X)
    assert not hasattr(est, "net_")


def test_an_unknown_module_argument_reaches_the_class():
    with pytest.raises(TypeError, match="unexpected keyword argument 'depth'"):
        fast(encoder__depth=2).fit(X)


# -------------------------------------------------------- parameters, clone, search

def test_routed_parameters_are_parameters():
    est = fast(encoder__width=5)
    params = est.get_params()
    assert params["encoder__width"] == 5 and params["encoder"] is Encoder
    assert "encoder__width=5" in repr(est)
    copy_ = clone(est)
    assert copy_.get_params()["encoder__width"] == 5
    assert copy_.set_params(encoder__width=9, decoder__width=4) is copy_
    assert (copy_.encoder__width, copy_.decoder__width) == (9, 4)
    assert est.encoder__width == 5
    assert "decoder__width" in copy_.get_params(deep=False)
    copy_.fit(X)
    assert copy_.net_.module_.encoder.layers[0].out_features == 9


def test_grid_search_over_a_module_argument():
    search = GridSearchCV(fast(max_iter=2), {"encoder__width": [2, 6]}, cv=2).fit(X)
    assert search.best_params_["encoder__width"] in (2, 6)
    widths = [est.encoder__width for est in [search.best_estimator_]]
    assert widths == [search.best_params_["encoder__width"]]
    assert (search.best_estimator_.net_.module_.encoder.layers[0].out_features
            == search.best_params_["encoder__width"])


def test_nested_in_a_detector_and_its_search():
    detector = ReconstructionOutlierDetector(fast(encoder__width=4))
    assert detector.get_params()["estimator__encoder__width"] == 4
    detector.set_params(estimator__encoder__width=6)
    assert detector.estimator.encoder__width == 6
    detector.fit(X)
    assert set(np.unique(detector.predict(X))) <= {-1, 1}
    assert detector.score_samples(X).shape == (60,)
    assert detector.estimator_.net_.module_.encoder.layers[0].out_features == 6


@pytest.mark.parametrize("as_instance", [False, True])
def test_pickle_round_trip(as_instance):
    params = dict(encoder=Encoder(6, 2), decoder=Decoder(2, 6)) if as_instance else {}
    est = fast(**params).fit(X)
    new = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(new.transform(X), est.transform(X))
    np.testing.assert_array_equal(new.reconstruct(X), est.reconstruct(X))
    assert repr(new) == repr(est)
    # deepcopy, too, and training goes on the same way
    a, b = copy.deepcopy(est).partial_fit(X), new.partial_fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


# ------------------------------------------------------------------ training options

def test_partial_fit_equals_fit():
    est = fast(encoder__width=4)
    for _ in range(3):
        est.partial_fit(X)
    assert_same_weights(weights(est), weights(fast(encoder__width=4).fit(X)))
    est.set_params(encoder__width=5)
    msg = "the parameters that shape it changed since it was built (encoder_kwargs: "
    with pytest.raises(ValueError, match=re.escape(msg)):
        est.partial_fit(X)


def test_warm_start_goes_on_and_a_new_width_starts_over():
    est = fast(warm_start=True).fit(X)
    est.fit(X)
    assert est.n_iter_ == 6
    est.set_params(encoder__width=3).fit(X)
    assert est.n_iter_ == 3
    assert est.net_.module_.encoder.layers[0].out_features == 3


def test_early_stopping():
    est = fast(early_stopping=True, max_iter=4).fit(X)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ is not None


def test_device():
    est = fast(device="cpu").fit(X)
    assert est.device_ == "cpu"
    assert next(est.net_.module_.parameters()).device.type == "cpu"
    if torch.cuda.is_available():
        gpu = fast(device="cuda").fit(X)
        assert next(gpu.net_.module_.encoder.parameters()).is_cuda
        np.testing.assert_allclose(gpu.transform(X), est.transform(X), atol=1e-4)


def test_output_activation_is_applied_only_when_set():
    unit = (X - X.min()) / (X.max() - X.min())
    auto = fast().fit(unit)
    assert auto.output_activation_ == "identity"  # 'auto': the decoder ends as written
    sigmoid = fast(output_activation="sigmoid", loss="bce").fit(unit)
    reconstruction = sigmoid.reconstruct(unit)
    assert reconstruction.min() > 0 and reconstruction.max() < 1


def test_denoising_trains_a_custom_network_on_corrupted_rows():
    est = fast(DenoisingAutoencoder, noise="gaussian", noise_level=0.1).fit(X)
    assert est.transform(X).shape == (60, 2)


# ---------------------------------------------------------------------- the families

def test_conv_family_encoder_receives_images():
    Xi = images(20, (2, 5, 6))
    est = ConvAutoencoder(image_shape=(2, 5, 6), encoder=ImageEncoder, decoder=Decoder,
                          encoder__n_filters=3, max_iter=2, random_state=0).fit(Xi)
    assert est.image_shape_ == (2, 5, 6)
    assert est.n_components_ == 3 * 3 * 3  # flattened (3, 3, 3) feature map
    assert est.transform(Xi).shape == (20, 27)
    assert est.reconstruct(Xi).shape == Xi.shape


def test_sequence_family_encoder_receives_sequences():
    Xs, _ = sinusoids(20, n_timesteps=8)
    Xs = np.hstack([Xs, Xs])  # two values per step
    est = SequenceAutoencoder(n_components=3, n_timesteps=8, encoder=SequenceEncoder,
                              decoder=Decoder, max_iter=2, random_state=0).fit(Xs)
    assert (est.n_timesteps_, est.n_features_per_step_) == (8, 2)
    assert est.transform(Xs).shape == (20, 3)


@pytest.mark.parametrize("encoder, n_components", [(PosteriorEncoder, 3), (Encoder, 6)])
def test_variational_encoder_returns_the_posterior(encoder, n_components):
    # A pair (mu, logvar), or one tensor of 2 * width: Encoder with n_components=6 gives 3.
    est = VariationalAutoencoder(n_components=n_components, encoder=encoder,
                                 decoder=Decoder, max_iter=3, random_state=0).fit(X)
    assert est.transform(X).shape == (60, 3)
    assert est.sample(4, random_state=0).shape == (4, 6)
    assert np.all(np.array(est.kl_curve_) > 0)
    np.testing.assert_array_equal(est.transform(X), est.transform(X))


def test_variational_encoder_of_odd_width_is_refused():
    msg = ("it must return the posterior: a pair (mu, logvar) of tensors of shape (batch, "
           "n_components), or one tensor of shape (batch, 2 * n_components), mu first.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        VariationalAutoencoder(n_components=3, encoder=Encoder, decoder=Decoder,
                               max_iter=2).fit(X)


def test_deep_embedded_clustering_over_a_custom_network():
    dec = DeepEmbeddedClustering(fast(n_components=2), n_clusters=3, max_iter=2,
                                 random_state=0).fit(X)
    assert dec.predict(X).shape == (60,)
    assert dec.transform(X).shape[0] == 60


def test_displays():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from sklearn_ae.plotting import (
        LatentSpaceDisplay,
        LossCurveDisplay,
        ReconstructionDisplay,
        ReconstructionErrorDisplay,
    )

    est = fast().fit(X)
    try:
        assert LatentSpaceDisplay.from_estimator(est, X).embedding.shape == (60, 2)
        LossCurveDisplay.from_estimator(est)
        ReconstructionDisplay.from_estimator(est, X, n_samples=2)
        ReconstructionErrorDisplay.from_estimator(est, X)
        ReconstructionErrorDisplay.from_estimator(ReconstructionOutlierDetector(est).fit(X), X)
    finally:
        plt.close("all")


# ------------------------------------------------------------------------ export, files

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("family", ["dense", "conv"])
def test_onnx_round_trip(family, dtype):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from sklearn_ae.onnx import to_onnx

    if family == "dense":
        est, data = fast(), X
    else:
        data = images(20, (2, 5, 6))
        est = ConvAutoencoder(image_shape=(2, 5, 6), encoder=ImageEncoder, decoder=Decoder,
                              max_iter=2, random_state=0)
    data = data.astype(dtype)
    est.fit(data)
    methods = ["transform", "inverse_transform", "reconstruct"]
    model = to_onnx(est, data, methods=methods)
    codes = est.transform(data)
    session = ort.InferenceSession(model.SerializeToString())
    out = dict(zip(methods, session.run(None, {"X": data, "codes": codes})))
    expected = {"transform": codes, "inverse_transform": est.inverse_transform(codes),
                "reconstruct": est.reconstruct(data)}
    for method in methods:
        assert out[method].dtype == dtype
        np.testing.assert_allclose(out[method], expected[method], rtol=1e-4, atol=1e-5,
                                   err_msg=method)


def test_safe_files_need_the_classes_trusted():
    pytest.importorskip("safetensors")
    from sklearn_ae.io import UntrustedTypeError, dump, load

    est = fast(encoder__width=5).fit(X)
    buffer = io.BytesIO()
    dump(est, buffer)
    with pytest.raises(UntrustedTypeError, match=re.escape("test_custom_modules.Encoder")):
        load(buffer)
    new = load(buffer, trusted=[Encoder, Decoder])
    np.testing.assert_array_equal(new.transform(X), est.transform(X))
    assert new.get_params()["encoder__width"] == 5
    np.testing.assert_array_equal(new.partial_fit(X).transform(X),
                                  copy.deepcopy(est).partial_fit(X).transform(X))


def test_safe_files_refuse_instances_clearly():
    pytest.importorskip("safetensors")
    from sklearn_ae.io import dump

    est = fast(encoder=Encoder(6, 2), decoder=Decoder(2, 6)).fit(X)
    msg = "cannot save a Encoder instance safely: loading builds a module from its class"
    with pytest.raises(TypeError, match=re.escape(msg)):
        dump(est, io.BytesIO())


# ------------------------------------------------------------- scikit-learn's checks

def _expected_failed_checks(estimator):
    if not estimator._extra_param_names():
        return {}
    return {
        # The check reads the parameters off __init__'s signature, where **kwargs hides
        # their names; get_params, clone and set_params do list them (checked above).
        "check_no_attributes_set_in_init": "encoder__width is a parameter taken by **kwargs",
    }


@parametrize_with_checks([
    fast(encoder__width=4, decoder__width=4, max_iter=5),
    fast(VariationalAutoencoder, n_components=3, encoder=PosteriorEncoder, max_iter=5),
], expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_with_a_custom_network(estimator, check):
    check(estimator)
