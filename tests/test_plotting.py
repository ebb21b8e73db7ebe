"""Tests of the Display objects of ``sklearn_ae.plotting``, drawn with matplotlib's Agg backend.

The tests read the artists back (line data, bar heights, colours, axis labels) and compare
them with what the fitted estimators hold; nothing is compared pixel by pixel.
"""

import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _instances import scaled_digits
from sklearn_ae import AutoencoderTransformer, ConvAutoencoder, ReconstructionOutlierDetector
from sklearn_ae.plotting import (
    LatentSpaceDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    ReconstructionErrorDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg", force=True)
import matplotlib.pyplot as plt  # noqa: E402

DISPLAYS = [LatentSpaceDisplay, LossCurveDisplay, ReconstructionDisplay,
            ReconstructionErrorDisplay]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits_small():
    return scaled_digits(300, dtype=np.float32)


@pytest.fixture(scope="module")
def autoencoder(digits_small):
    X, _ = digits_small
    return AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(16,), max_iter=4, early_stopping=True,
        random_state=0,
    ).fit(X)


@pytest.fixture(scope="module")
def detector(digits_small):
    X, _ = digits_small
    return ReconstructionOutlierDetector(
        AutoencoderTransformer(n_components=4, hidden_layer_sizes=(16,), max_iter=3),
        random_state=0,
    ).fit(X)


# ----------------------------------------------------------------------- ReconstructionDisplay

def test_reconstruction_images_from_estimator(autoencoder, digits_small):
    X, _ = digits_small
    display = ReconstructionDisplay.from_estimator(autoencoder, X, n_samples=5,
                                                   image_shape=(8, 8))
    assert display.axes_.shape == (2, 5)
    assert display.images_.shape == (2, 5)
    assert display.lines_ is None and display.error_bands_ is None
    expected = autoencoder.reconstruct(X[:5])
    for j in range(5):
        np.testing.assert_array_equal(display.images_[0, j].get_array(), X[j].reshape(8, 8))
        np.testing.assert_allclose(display.images_[1, j].get_array(),
                                   expected[j].reshape(8, 8))
    # the grid's bounding axes is turned off, the panels sit in the same figure
    assert not display.ax_.axison
    assert len(display.figure_.axes) == 1 + 10
    assert display.axes_[0, 0].get_ylabel() == "original"
    assert display.axes_[1, 0].get_ylabel() == "reconstruction"
    # every image shares one value range, so that they compare
    limits = {image.get_clim() for image in display.images_.ravel()}
    assert len(limits) == 1


def test_reconstruction_from_predictions_several_rows(digits_small):
    X, _ = digits_small
    pca = PCA(n_components=4).fit(X)
    X_pca = pca.inverse_transform(pca.transform(X))
    display = ReconstructionDisplay.from_predictions(
        X, [X_pca, X], n_samples=3, image_shape=(8, 8), name=["PCA", "copy"])
    assert display.axes_.shape == (3, 3)
    assert [row[0].get_ylabel() for row in display.axes_] == ["original", "PCA", "copy"]
    np.testing.assert_allclose(display.images_[1, 2].get_array(), X_pca[2].reshape(8, 8))


def test_reconstruction_image_shape_from_conv_autoencoder(digits_small):
    X, _ = digits_small
    conv = ConvAutoencoder(channels=(4,), max_iter=1, random_state=0).fit(X[:64])
    display = ReconstructionDisplay.from_estimator(conv, X, n_samples=2)
    assert display.images_[0, 0].get_array().shape == (8, 8)  # from image_shape_


def test_reconstruction_rgb_images():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(2, 3 * 4 * 5))
    display = ReconstructionDisplay.from_predictions(X, X, image_shape=(3, 4, -1))
    image = display.images_[0, 1].get_array()
    assert image.shape == (4, 5, 3)
    np.testing.assert_allclose(image, X[1].reshape(3, 4, 5).transpose(1, 2, 0))


def test_reconstruction_signals_from_detector(detector, digits_small):
    X, _ = digits_small
    X_outliers = np.vstack([X[:2], 1 - X[:2]])  # inverted digits rebuild badly
    display = ReconstructionDisplay.from_estimator(detector, X_outliers, n_cols=2)
    assert display.images_ is None
    assert display.axes_.shape == (4,)
    assert display.lines_.shape == (4, 2) and display.error_bands_.shape == (4, 1)
    # the reconstruction is in the units of X, through the detector's scaler
    model = detector.estimator_
    expected = detector.scaler_.inverse_transform(
        model.reconstruct(detector.scaler_.transform(X_outliers)))
    for i in range(4):
        np.testing.assert_allclose(display.lines_[i, 0].get_ydata(), X_outliers[i])
        np.testing.assert_allclose(display.lines_[i, 1].get_ydata(), expected[i], rtol=1e-5)
    # each panel is titled with the detector's error, marked above the threshold
    errors = detector.reconstruction_error(X_outliers)
    flagged = errors > -detector.offset_
    assert flagged.any() and not flagged.all()
    for panel, error, is_flagged in zip(display.axes_, errors, flagged):
        title = panel.get_title()
        assert title.startswith(f"error {error:.3g}")
        assert title.endswith("> threshold") == is_flagged
    labels = [text.get_text() for text in display.axes_[0].get_legend().get_texts()]
    assert labels == ["original", "reconstruction", "error"]


def test_reconstruction_error_band_spans_the_difference():
    t = np.linspace(0, 1, 20)
    X, X_rec = np.sin(6 * t)[None, :], np.cos(6 * t)[None, :]
    display = ReconstructionDisplay.from_predictions(X, X_rec)
    band = display.error_bands_[0, 0].get_paths()[0].vertices
    assert np.isclose(band[:, 1].min(), np.minimum(X, X_rec).min())
    assert np.isclose(band[:, 1].max(), np.maximum(X, X_rec).max())


@pytest.mark.parametrize("image_shape, n_features, hint", [
    ((8, 9), 64, "(8, 8)"),
    ((3, -1, 5), 64, "(8, 8)"),
    ((2, -1, -1), 64, "(8, 8)"),
    ((0, 64), 64, "(8, 8)"),
    ((4, 4, 4, 1), 64, "(8, 8)"),
    ((7, 7), 10, "(1, 10)"),
])
def test_reconstruction_wrong_image_shape(image_shape, n_features, hint):
    X = np.zeros((2, n_features))
    message = (
        f"image_shape={image_shape!r} does not fit samples of {n_features} features. Pass "
        "the shape of one image, (height, width) or (channels, height, width), whose "
        f"product is {n_features}, e.g. {hint}; or image_shape=None to plot the samples "
        "as 1-D signals."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        ReconstructionDisplay.from_predictions(X, X, image_shape=image_shape)


def test_reconstruction_two_channels_cannot_be_shown():
    X = np.zeros((1, 2 * 16))
    with pytest.raises(ValueError, match=re.escape(
            "image_shape=(2, 4, 4) has 2 channels; an image can be shown with 1 (grey), 3 "
            "(RGB) or 4 (RGBA) channels.")):
        ReconstructionDisplay.from_predictions(X, X, image_shape=(2, 4, 4))


def test_reconstruction_shape_mismatch():
    with pytest.raises(ValueError, match=re.escape(
            "A reconstruction has shape (2, 3) but X has shape (2, 4)")):
        ReconstructionDisplay.from_predictions(np.zeros((2, 4)), np.zeros((2, 3)))


def test_reconstruction_name_count_mismatch():
    X = np.zeros((2, 4))
    with pytest.raises(ValueError, match=re.escape("Got 1 names for 2 reconstructions")):
        ReconstructionDisplay.from_predictions(X, [X, X], name=["only one"])


def test_reconstruction_ax_must_be_a_subplot():
    figure = plt.figure()
    ax = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    with pytest.raises(ValueError, match="ax must be an axes of a grid"):
        ReconstructionDisplay.from_predictions(np.zeros((1, 4)), np.zeros((1, 4)), ax=ax)


def test_reconstruction_draws_in_given_axes():
    figure, (left, right) = plt.subplots(1, 2)
    display = ReconstructionDisplay.from_predictions(np.zeros((3, 4)), np.ones((3, 4)),
                                                     ax=right)
    assert display.ax_ is right and display.figure_ is figure
    assert left.axison  # untouched
    assert all(panel.figure is figure for panel in display.axes_)


# ---------------------------------------------------------------------------- LossCurveDisplay

def test_loss_curve_from_estimator(autoencoder):
    display = LossCurveDisplay.from_estimator(autoencoder)
    n = autoencoder.n_iter_
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(1, n + 1))
    np.testing.assert_allclose(display.line_.get_ydata(), autoencoder.loss_curve_)
    np.testing.assert_allclose(display.validation_line_.get_ydata(),
                               -np.asarray(autoencoder.validation_scores_))
    assert display.ax_.get_xlabel() == "epoch" and display.ax_.get_ylabel() == "loss"
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels == ["AutoencoderTransformer, training", "AutoencoderTransformer, validation"]
    assert display.figure_ is display.ax_.figure


def test_loss_curve_without_validation(detector):
    # a detector's loss curve is that of its model, fit without early stopping
    display = LossCurveDisplay.from_estimator(detector, name="detector")
    np.testing.assert_allclose(display.line_.get_ydata(), detector.estimator_.loss_curve_)
    assert display.validation_line_ is None
    assert len(display.ax_.get_lines()) == 1


def test_loss_curve_in_pipeline_and_shared_axes(autoencoder, digits_small):
    X, _ = digits_small
    pipe = make_pipeline(StandardScaler(),
                         AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=2)).fit(X)
    first = LossCurveDisplay.from_estimator(autoencoder, name="a")
    second = LossCurveDisplay.from_estimator(pipe, name="b", ax=first.ax_)
    assert second.ax_ is first.ax_
    assert len(first.ax_.get_lines()) == 3
    np.testing.assert_allclose(second.line_.get_ydata(), pipe[-1].loss_curve_)


def test_loss_curve_mlp_has_no_validation_loss(digits_small):
    from sklearn.neural_network import MLPRegressor

    X, _ = digits_small
    mlp = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, early_stopping=True,
                       random_state=0).fit(X, X)
    display = LossCurveDisplay.from_estimator(mlp)
    assert display.validation_line_ is None  # MLP's validation scores are R², not losses


def test_loss_curve_needs_a_loss_curve(digits_small):
    X, _ = digits_small
    with pytest.raises(ValueError, match=re.escape(
            "PCA has no loss_curve_: a loss curve needs a model trained by gradient")):
        LossCurveDisplay.from_estimator(PCA(2).fit(X))


@pytest.mark.parametrize("n_epochs", [1, 2])
def test_a_short_loss_curve_marks_its_points_so_that_it_shows(n_epochs):
    # One epoch is a single point: a line alone draws nothing visible.
    display = LossCurveDisplay(np.arange(n_epochs, 0, -1.0),
                               validation_loss=np.arange(n_epochs, 0, -1.0) + 1).plot()
    assert display.line_.get_marker() == "o"
    assert display.validation_line_.get_marker() == "o"
    long = LossCurveDisplay(np.linspace(1, 0, 50)).plot()
    assert long.line_.get_marker() in ("None", None, "")
    # A user's choice wins.
    plain = LossCurveDisplay([1.0], name="x").plot(line_kw={"marker": "s"})
    assert plain.line_.get_marker() == "s"


def test_loss_curve_validation_length_mismatch():
    with pytest.raises(ValueError, match=re.escape(
            "validation_loss has 2 values but loss_curve has 3")):
        LossCurveDisplay([3, 2, 1], validation_loss=[2, 1]).plot()


# -------------------------------------------------------------------------- LatentSpaceDisplay

def test_latent_space_pca_of_wide_codes(autoencoder, digits_small):
    X, y = digits_small
    display = LatentSpaceDisplay.from_estimator(autoencoder, X, y)
    codes = autoencoder.transform(X)
    assert codes.shape[1] == 3
    pca = PCA(n_components=2, random_state=0).fit(codes)
    np.testing.assert_allclose(display.scatter_.get_offsets(), pca.transform(codes),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(display.explained_variance_ratio,
                               pca.explained_variance_ratio_)
    assert display.ax_.get_xlabel().startswith("PC 1 of the codes (")
    assert display.ax_.get_title() == "Codes of AutoencoderTransformer"


def test_latent_space_colours_by_label():
    codes = np.arange(12, dtype=float).reshape(6, 2)
    y = np.array(["b", "a", "b", "c", "a", "c"])
    display = LatentSpaceDisplay.from_codes(codes, y)
    np.testing.assert_array_equal(display.scatter_.get_offsets(), codes)  # 2-D: as they are
    assert display.explained_variance_ratio is None
    assert display.ax_.get_xlabel() == "code 1"
    colors = display.scatter_.get_facecolors()
    assert len(colors) == 6
    for label in "abc":
        same = colors[y == label]
        assert (same == same[0]).all()
    assert len({tuple(c) for c in colors}) == 3
    legend = [text.get_text() for text in display.legend_.get_texts()]
    assert legend == ["a", "b", "c"]
    tab10 = plt.get_cmap("tab10")
    np.testing.assert_allclose(colors[y == "a"][0][:3], tab10(0)[:3], atol=1e-6)


def test_latent_space_continuous_labels_get_a_colorbar():
    rng = np.random.RandomState(0)
    display = LatentSpaceDisplay.from_codes(rng.normal(size=(50, 2)), rng.uniform(size=50))
    assert display.legend_ is None and display.colorbar_ is not None


def test_latent_space_without_labels_one_colour():
    display = LatentSpaceDisplay.from_codes(np.random.RandomState(0).normal(size=(10, 5)))
    assert len({tuple(c) for c in display.scatter_.get_facecolors()}) == 1
    assert display.legend_ is None and display.colorbar_ is None


def test_latent_space_from_detector(detector, digits_small):
    X, _ = digits_small
    display = LatentSpaceDisplay.from_estimator(detector, X[:20])
    codes = detector.estimator_.transform(detector.scaler_.transform(X[:20]))
    expected = PCA(2, random_state=0).fit_transform(codes)
    np.testing.assert_allclose(display.scatter_.get_offsets(), expected, rtol=1e-4, atol=1e-5)


def test_latent_space_one_dimensional_codes():
    with pytest.raises(ValueError, match=re.escape(
            "The codes have 1 value per sample; a 2-D view needs at least 2.")):
        LatentSpaceDisplay.from_codes(np.zeros((4, 1)))


def test_latent_space_label_count_mismatch():
    with pytest.raises(ValueError, match=re.escape("labels has 3 values for 4 points")):
        LatentSpaceDisplay.from_codes(np.zeros((4, 2)), [0, 1, 0])


# ------------------------------------------------------------------ ReconstructionErrorDisplay

def test_reconstruction_error_from_detector(detector, digits_small):
    X, _ = digits_small
    X_test = np.vstack([X[:40], 1 - X[:10]])
    y = np.array(["normal"] * 40 + ["inverted"] * 10)
    display = ReconstructionErrorDisplay.from_estimator(detector, X_test, y, bins=10)
    errors = detector.reconstruction_error(X_test)
    # the threshold line is at the detector's threshold
    assert display.threshold_line_.get_xdata()[0] == pytest.approx(-detector.offset_)
    assert len(display.bin_edges_) == 11
    # one histogram per label, in sorted order, with the counts of numpy's histogram
    for counts, label in zip(display.counts_, ["inverted", "normal"]):
        expected, _ = np.histogram(errors[y == label], bins=display.bin_edges_)
        np.testing.assert_array_equal(counts, expected)
    heights = [patch.get_height() for patch in display.bars_[1]]
    np.testing.assert_array_equal(heights, display.counts_[1])
    assert sum(c.sum() for c in display.counts_) == len(X_test)
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["inverted", "normal", f"threshold {-detector.offset_:.3g}"]


def test_reconstruction_error_bins_include_the_threshold():
    display = ReconstructionErrorDisplay([1.0, 2.0, 3.0], threshold=10.0).plot(bins=9)
    assert display.bin_edges_[0] == 1.0 and display.bin_edges_[-1] == 10.0


def test_reconstruction_error_from_autoencoder_and_pca(autoencoder, digits_small):
    X, _ = digits_small
    display = ReconstructionErrorDisplay.from_estimator(autoencoder, X, bins=5)
    assert display.threshold_line_ is None
    expected, _ = np.histogram(-autoencoder.score_samples(X), bins=display.bin_edges_)
    np.testing.assert_array_equal(display.counts_[0], expected)

    pca = PCA(n_components=5).fit(X)
    display = ReconstructionErrorDisplay.from_estimator(pca, X, bins=5)
    errors = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2, axis=1)
    expected, _ = np.histogram(errors, bins=display.bin_edges_)
    np.testing.assert_array_equal(display.counts_[0], expected)


@pytest.mark.parametrize("metric, expected", [("mse", [1, 2]), ("mae", [3, 0])])
def test_reconstruction_error_from_predictions(metric, expected):
    X = np.array([[0.0, 0.0], [1.0, 3.0], [2.0, 2.0]])
    # errors against zeros: mse (0, 5, 4), mae (0, 2, 2)
    display = ReconstructionErrorDisplay.from_predictions(
        X, np.zeros_like(X), threshold=2.5, metric=metric, bins=[0, 2.1, 10])
    assert display.counts_[0].tolist() == expected
    assert display.threshold_line_.get_xdata()[0] == 2.5


def test_reconstruction_error_log_scale():
    errors = np.geomspace(0.01, 100, 50)
    display = ReconstructionErrorDisplay(errors).plot(bins=4, log_scale=True)
    assert display.ax_.get_xscale() == "log"
    np.testing.assert_allclose(display.bin_edges_, [0.01, 0.1, 1, 10, 100])
    with pytest.raises(ValueError, match=re.escape("log_scale=True needs positive errors")):
        ReconstructionErrorDisplay([0.0, 1.0]).plot(log_scale=True)


def test_reconstruction_error_bad_metric():
    with pytest.raises(ValueError, match=re.escape("metric must be 'mse' or 'mae', got 'l3'.")):
        ReconstructionErrorDisplay.from_predictions(np.zeros((2, 2)), np.zeros((2, 2)),
                                                    metric="l3")


# ----------------------------------------------------------------------------- common rules

@pytest.mark.parametrize("make", [
    lambda X: ReconstructionDisplay.from_estimator(AutoencoderTransformer(), X),
    lambda X: LossCurveDisplay.from_estimator(AutoencoderTransformer()),
    lambda X: LatentSpaceDisplay.from_estimator(AutoencoderTransformer(), X),
    lambda X: ReconstructionErrorDisplay.from_estimator(ReconstructionOutlierDetector(), X),
], ids=["reconstruction", "loss_curve", "latent_space", "reconstruction_error"])
def test_unfitted_estimator_is_refused(make, digits_small):
    X, _ = digits_small
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        make(X)


@pytest.mark.parametrize("call, caller", [
    (lambda: ReconstructionDisplay(np.zeros((1, 4)), np.zeros((1, 4))).plot(),
     "ReconstructionDisplay.plot"),
    (lambda: ReconstructionDisplay.from_predictions(np.zeros((1, 4)), np.zeros((1, 4))),
     "ReconstructionDisplay.from_predictions"),
    (lambda: LossCurveDisplay([1.0, 0.5]).plot(), "LossCurveDisplay.plot"),
    (lambda: LatentSpaceDisplay.from_codes(np.zeros((3, 2))), "LatentSpaceDisplay.from_codes"),
    (lambda: ReconstructionErrorDisplay([1.0, 2.0]).plot(), "ReconstructionErrorDisplay.plot"),
], ids=["reconstruction", "reconstruction_predictions", "loss_curve", "latent_space",
        "reconstruction_error"])
def test_clear_error_without_matplotlib(monkeypatch, call, caller):
    # None in sys.modules makes `import matplotlib` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    message = f"{caller} requires matplotlib. You can install matplotlib with `pip install matplotlib`"
    with pytest.raises(ImportError, match=re.escape(message)):
        call()


def test_from_estimator_checks_matplotlib_before_any_work(monkeypatch, autoencoder):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=re.escape("LossCurveDisplay.from_estimator requires")):
        LossCurveDisplay.from_estimator(autoencoder)


def test_importing_plotting_does_not_import_matplotlib():
    code = ("import sys, sklearn_ae.plotting; "
            "sys.exit('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("cls", DISPLAYS)
def test_displays_save_png(cls, tmp_path, autoencoder, detector, digits_small):
    # Every display renders to a PNG without error (the artists are checked above).
    X, y = digits_small
    if cls is ReconstructionDisplay:
        display = cls.from_estimator(autoencoder, X, image_shape=(8, 8))
    elif cls is LossCurveDisplay:
        display = cls.from_estimator(autoencoder)
    elif cls is LatentSpaceDisplay:
        display = cls.from_estimator(autoencoder, X, y)
    else:
        display = cls.from_estimator(detector, X)
    path = tmp_path / f"{cls.__name__}.png"
    display.figure_.savefig(path)
    assert path.stat().st_size > 5_000
