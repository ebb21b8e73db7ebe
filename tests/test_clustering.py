"""Behaviour of DeepEmbeddedClustering."""

import pickle
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import normalized_mutual_info_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import (
    AutoencoderTransformer,
    ConvAutoencoder,
    DeepEmbeddedClustering,
    VariationalAutoencoder,
)
from sklearn_ae._augmentation import ImageAugmentation
from sklearn_ae._net import AutoencoderNet

#: A small autoencoder and a short fine-tuning, for the tests that check behaviour, not quality.
SMALL = dict(
    estimator=AutoencoderTransformer(n_components=4, hidden_layer_sizes=(16,), max_iter=5),
    n_clusters=3,
    max_iter=3,
    tol=None,
    random_state=0,
)


def blobs(n=90, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    centers = 4 * rng.normal(size=(3, n_features))
    y = np.arange(n) % 3
    return centers[y] + rng.normal(size=(n, n_features)), y


def fit_small(X=None, **params):
    X = blobs()[0] if X is None else X
    return DeepEmbeddedClustering(**{**SMALL, **params}).fit(X)


# ------------------------------------------------------------------------------ clustering


def test_fine_tuning_clusters_the_digits_better_than_kmeans_on_the_pretrained_code(digits):
    X, y = digits
    params = dict(
        estimator=AutoencoderTransformer(n_components=10, max_iter=30), n_clusters=10,
        learning_rate_init=1e-3, batch_size=64, tol=0, random_state=0,
    )
    kmeans_only = DeepEmbeddedClustering(max_iter=0, **params).fit(X)
    dec = DeepEmbeddedClustering(max_iter=20, **params).fit(X)
    before = normalized_mutual_info_score(y, kmeans_only.labels_)
    after = normalized_mutual_info_score(y, dec.labels_)
    # Measured on seeds 0 to 2: 0.717 -> 0.771, 0.743 -> 0.792, 0.721 -> 0.783.
    assert after > before + 0.03
    assert dec.n_iter_ == len(dec.loss_curve_) == len(dec.label_changes_) == 20


def test_max_iter_0_is_kmeans_on_the_pretrained_codes():
    X, _ = blobs()
    dec = fit_small(X, max_iter=0)
    codes = dec.transform(X)
    assert dec.n_iter_ == 0 and dec.loss_curve_ == [] and dec.label_changes_ == []
    # A fixpoint of k-means: each centre is the mean of the codes of its cluster.
    for k in range(3):
        np.testing.assert_allclose(
            dec.cluster_centers_[k], codes[dec.labels_ == k].mean(axis=0), rtol=1e-4, atol=1e-5
        )
    # The same seeds give the same pretraining and k-means: the autoencoder is the one fit
    # by an AutoencoderTransformer seeded as DeepEmbeddedClustering seeds it.
    assert dec.estimator_.n_iter_ == 5


def test_clustering_weight_0_leaves_the_centres_where_kmeans_put_them():
    X, _ = blobs()
    start = fit_small(X, max_iter=0)
    dec = fit_small(X, clustering_weight=0.0)
    np.testing.assert_array_equal(dec.cluster_centers_, start.cluster_centers_)
    # ... while the autoencoder trains on: its codes moved.
    assert not np.allclose(dec.transform(X), start.transform(X))


def test_fine_tuning_trains_the_encoder_and_the_centres_and_records_both_loss_terms():
    X, _ = blobs()
    start = fit_small(X, max_iter=0)
    dec = fit_small(X, verbose=0)
    assert not np.allclose(dec.cluster_centers_, start.cluster_centers_)
    assert not np.allclose(dec.transform(X), start.transform(X))
    assert all(np.isfinite(dec.loss_curve_)) and len(dec.loss_curve_) == 3


def test_verbose_prints_both_loss_terms_and_the_label_change(capsys):
    fit_small(verbose=1)
    out = capsys.readouterr().out
    for column in ("train_loss", "train_reconstruction", "train_clustering", "label_change"):
        assert column in out


def test_stops_when_few_samples_change_cluster_without_a_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "error", message="DeepEmbeddedClustering", category=ConvergenceWarning
        )
        # tol=1: at most all the samples change cluster in the first epoch.
        dec = fit_small(max_iter=10, tol=1.0)
    assert dec.n_iter_ == len(dec.loss_curve_) == 1 and dec.label_changes_[0] <= 1.0
    # On three well-separated blobs no sample changes cluster: tol=0 stops there too.
    assert fit_small(max_iter=10, tol=0).label_changes_ == [0.0]


def test_tol_none_trains_max_iter_epochs_without_a_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "error", message="DeepEmbeddedClustering", category=ConvergenceWarning
        )
        dec = fit_small(max_iter=4, tol=None)
    assert dec.n_iter_ == 4


def test_convergence_warning_when_max_iter_is_reached_while_clusters_still_change():
    X, _ = blobs()
    with pytest.warns(ConvergenceWarning) as record:
        dec = fit_small(X, tol=1e-9, learning_rate_init=1e-1, clustering_weight=10.0)
    assert dec.n_iter_ == 3 and dec.label_changes_[-1] > 1e-9
    ours = [str(w.message) for w in record if "DeepEmbeddedClustering" in str(w.message)]
    assert ours == [
        "DeepEmbeddedClustering: Maximum iterations (3) reached and the optimization hasn't "
        f"converged yet. Increase max_iter: {dec.label_changes_[-1]:.2%} of the training "
        "samples changed cluster in the last epoch, more than tol=1e-09."
    ]


@pytest.mark.parametrize("step", [3, 4], ids=["first-step-of-an-epoch", "within-an-epoch"])
def test_ctrl_c_during_fine_tuning_keeps_the_finished_epochs(monkeypatch, step):
    # Batches of 30 of 90 samples: 3 steps per epoch. Ctrl-C at step 4 (the first of epoch
    # 2) or at step 5 (within it); skorch ends the fit there, and the estimator keeps the one
    # finished epoch, its centres and its network as they are, and no unfinished epoch.
    from sklearn_ae._clustering import ClusteringNet

    X, _ = blobs()
    train_step = ClusteringNet.train_step
    calls = []

    def interrupting_step(net, batch, **kwargs):
        calls.append(1)
        if len(calls) == step + 1:
            raise KeyboardInterrupt
        return train_step(net, batch, **kwargs)

    monkeypatch.setattr(ClusteringNet, "train_step", interrupting_step)
    with warnings.catch_warnings():
        # Stopped by the user: no warning of its own (the short pretraining may warn).
        warnings.filterwarnings(
            "error", message="DeepEmbeddedClustering", category=ConvergenceWarning
        )
        dec = fit_small(X, batch_size=30, max_iter=5, tol=1e-9)
    assert dec.n_iter_ == len(dec.loss_curve_) == len(dec.label_changes_) == 1
    assert np.isfinite(dec.loss_curve_).all()
    np.testing.assert_array_equal(dec.predict(X), dec.labels_)
    np.testing.assert_allclose(dec.predict_proba(X).sum(axis=1), 1.0)


# ------------------------------------------------------------------------------ the API


def test_predict_labels_and_proba_agree():
    X, _ = blobs()
    dec = fit_small(X)
    np.testing.assert_array_equal(dec.predict(X), dec.labels_)
    proba = dec.predict_proba(X)
    assert proba.shape == (len(X), 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), dec.labels_)
    assert dec.labels_.dtype == np.int64 and set(dec.labels_) <= {0, 1, 2}


def test_transform_is_the_fine_tuned_autoencoders_code_and_keeps_the_dtype():
    X, _ = blobs()
    dec = fit_small(X.astype(np.float32))
    codes = dec.transform(X.astype(np.float32))
    assert codes.dtype == np.float32 and codes.shape == (len(X), 4)
    np.testing.assert_array_equal(codes, dec.estimator_.transform(X.astype(np.float32)))
    assert dec.cluster_centers_.dtype == np.float32


def test_same_seed_reproduces_and_the_callers_torch_random_state_is_untouched():
    X, _ = blobs()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    one = fit_small(X)
    np.testing.assert_array_equal(torch.rand(3), expected)
    two = fit_small(X)
    np.testing.assert_array_equal(one.cluster_centers_, two.cluster_centers_)
    np.testing.assert_array_equal(one.labels_, two.labels_)


def test_the_estimator_passed_is_cloned_and_its_own_seed_is_kept():
    X, _ = blobs()
    ae = AutoencoderTransformer(n_components=4, max_iter=5, random_state=7)
    dec = fit_small(X, estimator=ae, random_state=0)
    assert not hasattr(ae, "net_")
    assert dec.estimator_ is not ae and dec.estimator_.random_state == 7
    unseeded = fit_small(X, estimator=AutoencoderTransformer(n_components=4, max_iter=5))
    assert isinstance(unseeded.estimator_.random_state, int)  # drawn from random_state


def test_the_default_estimator_is_a_dense_autoencoder_with_a_10_value_code():
    X, _ = blobs()
    dec = DeepEmbeddedClustering(n_clusters=3, max_iter=2, random_state=0).fit(X)
    assert type(dec.estimator_) is AutoencoderTransformer
    assert dec.cluster_centers_.shape == (3, 10)


def test_conv_autoencoder_with_linear_code_layers_in_a_pipeline(digits):
    X, _ = digits
    conv = ConvAutoencoder(channels=(8, 4), n_linear_code_layers=2, max_iter=2)
    pipe = make_pipeline(
        DeepEmbeddedClustering(conv, n_clusters=10, max_iter=2, random_state=0),
        KMeans(10, n_init=2, random_state=0),
    )
    labels = pipe.fit_predict(X[:400])
    assert labels.shape == (400,)
    assert pipe[0].cluster_centers_.shape == (10, 4 * 2 * 2)


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    X, _ = blobs()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    dec = fit_small(frame).set_output(transform="pandas")
    out = dec.transform(frame)
    assert list(out.columns) == [f"deepembeddedclustering{i}" for i in range(4)]
    assert list(dec.feature_names_in_) == list(frame.columns)


def test_after_standard_scaler_in_a_pipeline():
    X, y = blobs()
    ae = AutoencoderTransformer(n_components=4, hidden_layer_sizes=(16,))
    pipe = make_pipeline(StandardScaler(), DeepEmbeddedClustering(**{**SMALL, "estimator": ae}))
    labels = pipe.fit_predict(1000 * X)
    assert normalized_mutual_info_score(y, labels) > 0.9  # three well-separated blobs


def test_pickle_round_trip_gives_the_same_predictions():
    X, _ = blobs()
    dec = fit_small(X)
    loaded = pickle.loads(pickle.dumps(dec))
    np.testing.assert_array_equal(loaded.predict(X), dec.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), dec.transform(X))


# ---------------------------------------------------------------------------- bad input


def test_a_variational_autoencoder_is_refused_with_the_reason():
    X, _ = blobs()
    with pytest.raises(ValueError, match="VariationalAutoencoder's code is a distribution"):
        DeepEmbeddedClustering(VariationalAutoencoder(max_iter=2), n_clusters=3).fit(X)


def test_an_estimator_that_is_not_an_autoencoder_of_the_package_is_refused():
    X, _ = blobs()
    with pytest.raises(ValueError, match="The 'estimator' parameter of DeepEmbeddedClustering"):
        DeepEmbeddedClustering(PCA(2), n_clusters=3).fit(X)


def test_fewer_samples_than_clusters_is_a_clear_error():
    X, _ = blobs(n=5)
    with pytest.raises(ValueError, match=re.escape("n_samples=5 should be >= n_clusters=8")):
        DeepEmbeddedClustering(max_iter=1).fit(X)


def test_image_arrays_get_an_error_that_says_how_to_pass_them():
    with pytest.raises(ValueError, match=re.escape("X.reshape(len(X), -1)")):
        DeepEmbeddedClustering().fit(np.zeros((10, 8, 8)))


def test_bad_input_before_and_after_fit():
    X, _ = blobs()
    with pytest.raises(NotFittedError):
        DeepEmbeddedClustering().predict(X)
    with pytest.raises(ValueError, match="NaN"):
        DeepEmbeddedClustering(**SMALL).fit(np.where(X > 3, np.nan, X))
    dec = fit_small(X)
    with pytest.raises(ValueError, match="features"):
        dec.predict(X[:, :3])
    with pytest.raises(TypeError, match="dense data is required"):
        import scipy.sparse as sp

        dec.predict(sp.csr_matrix(X))


def test_a_diverging_fine_tuning_raises_and_leaves_the_fitted_estimator_as_it_was():
    X, _ = blobs()
    dec = fit_small(X)
    centers = dec.cluster_centers_.copy()
    dec.set_params(learning_rate_init=1e6, max_iter=5)
    with pytest.raises(ValueError, match="DeepEmbeddedClustering: the training loss became"):
        dec.fit(X)
    np.testing.assert_array_equal(dec.cluster_centers_, centers)
    assert dec.n_iter_ == 3


def test_codes_too_far_from_the_centres_to_measure_are_a_clear_error():
    # Finite float64 codes near 1e300: their squared distances overflow.
    X, _ = blobs()
    dec = fit_small(X)
    far = X[:2] * 1e300
    codes = dec.transform(far)
    assert np.isfinite(codes).all() and np.abs(codes).max() > 1e160
    for method in (dec.predict, dec.predict_proba):
        with pytest.raises(ValueError, match=re.escape(
                "The squared distances from the codes of X to the cluster centres overflowed "
                "float64: X's codes hold values up to ")):
            method(far)


def test_a_fortran_ordered_x_gives_the_fit_of_a_c_ordered_one():
    # k-means jumps at ties: without a C-ordered copy, the last-bit differences that the
    # other order gave the codes picked another k-means run (seen on 40 samples, 8 clusters).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2)) @ rng.normal(size=(2, 3))
    params = dict(estimator=AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5),
                  max_iter=3, tol=None, random_state=0)
    c_order = DeepEmbeddedClustering(**params).fit(X)
    f_order = DeepEmbeddedClustering(**params).fit(np.asfortranarray(X))
    np.testing.assert_array_equal(f_order.cluster_centers_, c_order.cluster_centers_)
    np.testing.assert_array_equal(f_order.labels_, c_order.labels_)


# --------------------------------------------------------------- augmentation (DEC-DA)


def test_image_augmentation_moves_each_image_and_keeps_the_shape():
    images = torch.zeros((64, 1, 12, 12))
    images[:, :, 4:8, 4:8] = 1.0  # a square in the middle, away from the border
    x = images.reshape(64, -1)
    torch.manual_seed(0)
    moved = ImageAugmentation((1, 12, 12), shift=0.25)(x)
    assert moved.shape == x.shape and moved.dtype == x.dtype
    changed = (moved - x).abs().amax(dim=1) > 1e-3
    assert changed.all()  # every image got its own, non-zero shift
    # A shift of at most 25% of 12 pixels: the square's centre moves by at most 3 pixels.
    grid = torch.arange(12.0)
    mass = moved.reshape(64, 12, 12)
    rows = (mass.sum(dim=2) * grid).sum(dim=1) / mass.sum(dim=(1, 2))
    cols = (mass.sum(dim=1) * grid).sum(dim=1) / mass.sum(dim=(1, 2))
    assert (rows - 5.5).abs().max() <= 3 + 1e-4 and (cols - 5.5).abs().max() <= 3 + 1e-4
    assert (rows - 5.5).abs().max() > 1  # and the shifts are not all tiny
    # The same seed draws the same shifts; no shift and no rotation leave the images.
    torch.manual_seed(0)
    again = ImageAugmentation((1, 12, 12), shift=0.25)(x)
    torch.testing.assert_close(again, moved, rtol=0, atol=0)
    torch.testing.assert_close(ImageAugmentation((1, 12, 12), 0.0, 0.0)(x), x)


def test_image_augmentation_rotates_within_its_bound():
    bar = torch.zeros((1, 1, 21, 21), dtype=torch.float64)
    bar[:, :, 10, 2:19] = 1.0  # a horizontal bar through the centre
    x = bar.reshape(1, -1).repeat(200, 1)
    torch.manual_seed(0)
    turned = ImageAugmentation((1, 21, 21), shift=0.0, rotation=10.0)(x).reshape(200, 21, 21)
    yy, xx = torch.meshgrid(torch.arange(21.0), torch.arange(21.0), indexing="ij")
    yy, xx = yy.double() - 10, xx.double() - 10
    # The slope of the bar, by least squares through its mass: tan of the angle.
    slope = (turned * xx * yy).sum(dim=(1, 2)) / (turned * xx * xx).sum(dim=(1, 2))
    angles = torch.rad2deg(torch.atan(slope)).abs()
    assert angles.max() <= 10.5 and angles.max() > 5


def test_augmentation_reaches_every_training_batch_and_the_target_is_the_augmented_batch(
    monkeypatch,
):
    X, _ = blobs()  # 90 rows: one batch per epoch of pretraining and of fine-tuning
    calls, targets = [], []

    def plus_one(x):
        calls.append(x.clone())
        return x + 1.0

    get_loss = AutoencoderNet.get_loss

    def spy(self, y_pred, y_true, X=None, training=False):
        if training:
            targets.append(y_true.detach().clone())
        return get_loss(self, y_pred, y_true, X=X, training=training)

    monkeypatch.setattr(AutoencoderNet, "get_loss", spy)
    dec = fit_small(X, augmentation=plus_one)
    # One probe of two rows, 5 epochs of pretraining, 3 of fine-tuning.
    assert len(calls) == 1 + 5 + 3 and len(calls[0]) == 2
    assert len(targets) == 5 + 3
    for target in targets:  # the shuffled rows of X, each plus one
        np.testing.assert_allclose(
            np.sort(target.numpy() - 1.0, axis=0), np.sort(X, axis=0), rtol=1e-6
        )
    # Inference sees the rows as given.
    np.testing.assert_array_equal(dec.transform(X), dec.estimator_.transform(X))
    assert len(calls) == 9


def test_an_identity_augmentation_gives_the_fit_without_augmentation():
    # The target of fine-tuning comes from the clean rows, which an identity leaves equal
    # to the augmented ones: the same fit, step for step.
    X, _ = blobs()
    plain = fit_small(X)
    identity = fit_small(X, augmentation=lambda x: x.clone())
    np.testing.assert_allclose(identity.cluster_centers_, plain.cluster_centers_, rtol=1e-6)
    np.testing.assert_array_equal(identity.labels_, plain.labels_)


def test_shift_augmentation_changes_the_fit_is_reproducible_and_leaves_torch_alone(digits):
    X, _ = digits
    X = X[:300]
    params = dict(SMALL, n_clusters=10, image_shape=(8, 8))
    plain = DeepEmbeddedClustering(**params).fit(X)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    one = DeepEmbeddedClustering(**params, augmentation="shift_rotate").fit(X)
    np.testing.assert_array_equal(torch.rand(3), expected)
    two = DeepEmbeddedClustering(**params, augmentation="shift_rotate").fit(X)
    other = DeepEmbeddedClustering(
        **{**params, "random_state": 1}, augmentation="shift_rotate"
    ).fit(X)
    np.testing.assert_array_equal(one.cluster_centers_, two.cluster_centers_)
    np.testing.assert_array_equal(one.labels_, two.labels_)
    assert not np.allclose(one.cluster_centers_, plain.cluster_centers_)
    assert not np.allclose(one.cluster_centers_, other.cluster_centers_)
    augmentation = one.estimator_.net_.augmentation
    assert isinstance(augmentation, ImageAugmentation)
    assert augmentation.image_shape == (1, 8, 8)
    assert (augmentation.shift, augmentation.rotation) == (0.1, 10.0)


def test_the_image_shape_of_a_conv_autoencoder_is_used(digits):
    X, _ = digits
    conv = ConvAutoencoder(image_shape=(4, 16), channels=(4,), max_iter=1)
    dec = DeepEmbeddedClustering(
        conv, n_clusters=10, max_iter=1, augmentation="shift", random_state=0
    ).fit(X[:100])
    assert dec.estimator_.net_.augmentation.image_shape == (1, 4, 16)
    # Square single-channel images otherwise, as ConvAutoencoder's image_shape=None.
    dense = fit_small(X[:100], augmentation="shift")
    assert dense.estimator_.net_.augmentation.image_shape == (1, 8, 8)


def test_bad_augmentations_and_image_shapes_are_clear_errors():
    X, _ = blobs()  # 6 features: not a square
    with pytest.raises(ValueError, match="The 'augmentation' parameter of DeepEmbeddedClustering"):
        fit_small(X, augmentation="flip")
    with pytest.raises(ValueError, match=re.escape(
        "augmentation='shift' moves images, and image_shape=None takes square single-channel "
        "ones, but X has 6 features, which is not a square number. Pass "
        "image_shape=(height, width)"
    )):
        fit_small(X, augmentation="shift")
    with pytest.raises(ValueError, match=re.escape(
        "image_shape=(4, 4) does not match X: it must be (height, width) or (channels, "
        "height, width) of positive integers (one may be -1, inferred) with a product of "
        "n_features=6."
    )):
        fit_small(X, augmentation="shift", image_shape=(4, 4))
    assert fit_small(X, augmentation="shift", image_shape=(2, -1)).labels_.shape == (90,)

    def broken(x):
        raise RuntimeError("no")

    with pytest.raises(ValueError, match=re.escape(
        "failed on a batch of 2 rows of X (a torch tensor of shape (2, 6)): RuntimeError('no')"
    )):
        fit_small(X, augmentation=broken)
    with pytest.raises(ValueError, match=re.escape(
        "must return a torch tensor of the shape and dtype of its input ((2, 6), "
        "torch.float64); it returned a tensor of shape (2, 5) and dtype torch.float64."
    )):
        fit_small(X, augmentation=lambda x: x[:, :5])
    with pytest.raises(ValueError, match=re.escape("it returned a ndarray.")):
        fit_small(X, augmentation=lambda x: x.numpy())


def test_image_augmentation_rotates_images_that_are_not_square_rigidly():
    # A rotation keeps lengths: a bar through the centre of an image three times as wide as
    # high keeps its spread about the centre when turned by up to 45 degrees, with no
    # stretch from the aspect ratio (which would make it up to twice as long).
    bar = torch.zeros((1, 1, 21, 61), dtype=torch.float64)
    bar[:, :, 10, 22:39] = 1.0
    x = bar.reshape(1, -1).repeat(50, 1)
    torch.manual_seed(0)
    turned = ImageAugmentation((1, 21, 61), shift=0.0, rotation=45.0)(x).reshape(50, 21, 61)
    yy, xx = torch.meshgrid(torch.arange(21.0), torch.arange(61.0), indexing="ij")
    radius2 = (yy.double() - 10) ** 2 + (xx.double() - 30) ** 2
    spread = ((turned * radius2).sum(dim=(1, 2)) / turned.sum(dim=(1, 2))).sqrt()
    expected = ((bar[0, 0] * radius2).sum() / bar.sum()).sqrt()
    torch.testing.assert_close(spread, expected.expand(50), rtol=0.05, atol=0)
