"""Behaviour of SequenceAutoencoder: sequence shapes, the network, training, errors."""

import re

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import InvalidParameterError

from _instances import sinusoids
from sklearn_ae import SequenceAutoencoder

FAST = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0)


# ------------------------------------------------------------------------ shapes round-trip


@pytest.mark.parametrize("n_timesteps, width, per_step", [
    (None, 12, 1),  # a univariate series: one column per step
    (4, 12, 3),  # 4 steps of 3 values
    (12, 12, 1),
    (1, 5, 5),  # a single step
])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional, merge_mode", [
    (True, "sum"), (True, "concat"), (False, "sum")])
@pytest.mark.parametrize("hidden_layer_sizes", [(4,), (6, 3)])
def test_shapes_round_trip(n_timesteps, width, per_step, cell, bidirectional, merge_mode,
                           hidden_layer_sizes):
    X = np.random.RandomState(0).normal(size=(7, width))
    ae = SequenceAutoencoder(3, n_timesteps=n_timesteps, hidden_layer_sizes=hidden_layer_sizes,
                             cell=cell, bidirectional=bidirectional, merge_mode=merge_mode,
                             max_iter=1, random_state=0).fit(X)
    assert (ae.n_timesteps_, ae.n_features_per_step_) == (width // per_step, per_step)
    codes = ae.transform(X)
    assert codes.shape == (7, 3)
    assert ae.inverse_transform(codes).shape == X.shape
    assert ae.reconstruct(X).shape == X.shape
    assert ae.score_samples(X).shape == (7,)
    assert list(ae.get_feature_names_out()) == [f"sequenceautoencoder{i}" for i in range(3)]


def test_the_network_is_the_one_asked_for():
    X = np.random.RandomState(0).uniform(size=(5, 20))  # in [0, 1]: sigmoid output
    ae = SequenceAutoencoder(3, n_timesteps=10, cell="gru", merge_mode="concat",
                             **{**FAST, "hidden_layer_sizes": (6, 4)}).fit(X)
    module = ae.net_.module_
    layers = [(type(m), m.input_size, m.hidden_size, m.bidirectional)
              for m in [*module.encoder, *module.decoder]]
    # concat doubles the width that the next layer reads; the decoder mirrors the encoder and
    # reads the code repeated at every step.
    assert layers == [
        (torch.nn.GRU, 2, 6, True), (torch.nn.GRU, 12, 4, True),
        (torch.nn.GRU, 3, 4, True), (torch.nn.GRU, 8, 6, True),
    ]
    assert (module.to_code.in_features, module.to_code.out_features) == (8, 3)
    assert (module.to_step.in_features, module.to_step.out_features) == (12, 2)
    assert isinstance(module.output_activation, torch.nn.Sigmoid)
    summed = SequenceAutoencoder(3, **{**FAST, "hidden_layer_sizes": (6,)}).fit(X)
    assert isinstance(summed.net_.module_.encoder[0], torch.nn.LSTM)
    assert summed.net_.module_.to_code.in_features == 6  # 'sum' keeps the hidden size
    assert summed.output_activation_ == "sigmoid"


def test_rows_are_read_step_by_step_and_the_code_is_the_final_state():
    # A row is (n_timesteps, n_features) in C order: the values of step 0, then step 1...
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 8))
    ae = SequenceAutoencoder(2, n_timesteps=4, hidden_layer_sizes=(5,), bidirectional=True,
                             max_iter=1, random_state=0).fit(X)
    module = ae.net_.module_.eval()
    lstm = module.encoder[0]
    with torch.no_grad():
        _, (h_n, _) = lstm(torch.from_numpy(X).reshape(6, 4, 2))
        expected = module.to_code(h_n[0] + h_n[1])  # merge_mode='sum' of both directions
    np.testing.assert_allclose(ae.transform(X), expected.numpy(), rtol=1e-10)
    # The decoder sees the same code at every step.
    codes = ae.transform(X)
    with torch.no_grad():
        repeated = torch.from_numpy(codes).unsqueeze(1).repeat(1, 4, 1)
        out, _ = module.decoder[0](repeated)
        steps = module.to_step(out[..., :5] + out[..., 5:])
    np.testing.assert_allclose(ae.inverse_transform(codes), steps.reshape(6, 8).numpy(),
                               rtol=1e-10)


# --------------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def fitted_on_sinusoids():
    X, y = sinusoids(150)
    ae = SequenceAutoencoder(2, hidden_layer_sizes=(16,), batch_size=16, max_iter=60,
                             learning_rate_init=5e-3, random_state=0).fit(X)
    return X, y, ae


def test_sinusoids_of_different_frequencies_separate_in_code_space(fitted_on_sinusoids):
    X, y, ae = fitted_on_sinusoids
    X_test, y_test = sinusoids(150, seed=1)
    knn = KNeighborsClassifier(5).fit(ae.transform(X), y)
    # Measured 0.97 with a 2-value code (0.93 to 0.97 over three seeds); chance is 1/3.
    assert knn.score(ae.transform(X_test), y_test) > 0.85


def test_reconstruction_beats_a_constant_predictor(fitted_on_sinusoids):
    X, _, ae = fitted_on_sinusoids
    X_test, _ = sinusoids(150, seed=1)
    constant = np.mean((X_test - X.mean(axis=0)) ** 2)
    # Measured 0.10 (0.10 to 0.15 over three seeds) against 0.5 for the mean sequence.
    assert np.mean((ae.reconstruct(X_test) - X_test) ** 2) < 0.4 * constant
    assert -ae.score(X_test) < 0.4 * constant
    assert ae.loss_curve_[-1] < 0.4 * ae.loss_curve_[0]


def test_predictions_do_not_depend_on_batches():
    X, _ = sinusoids(30, n_timesteps=10)
    ae = SequenceAutoencoder(2, **FAST).fit(X)
    codes = ae.transform(X)
    np.testing.assert_array_equal(ae.transform(X), codes)
    ae._predict_batch_size = 7
    np.testing.assert_allclose(ae.transform(X), codes, rtol=1e-5, atol=1e-6)


def test_warm_start_continues_only_on_sequences_of_the_same_shape():
    X = np.random.RandomState(0).normal(size=(10, 12))
    ae = SequenceAutoencoder(2, n_timesteps=6, warm_start=True, **FAST).fit(X)
    ae.fit(X)
    assert ae.n_iter_ == 4
    # Same width, other sequences: a new network.
    ae.set_params(n_timesteps=4).fit(X)
    assert ae.n_iter_ == 2 and (ae.n_timesteps_, ae.n_features_per_step_) == (4, 3)


# ------------------------------------------------------------------------------------ errors


def test_n_timesteps_that_does_not_divide_the_width():
    X = np.ones((4, 10))
    msg = ("n_timesteps=4 does not divide the number of features of X (10): each row must "
           "hold n_timesteps steps of the same number of values. Pass a divisor of 10, or "
           "n_timesteps=None for a univariate series (one column per step).")
    with pytest.raises(ValueError, match=re.escape(msg)):
        SequenceAutoencoder(n_timesteps=4).fit(X)
    with pytest.raises(ValueError, match=re.escape("n_timesteps=20 does not divide")):
        SequenceAutoencoder(n_timesteps=20).fit(X)


def test_a_3d_array_of_sequences_gets_an_error_that_says_how_to_pass_it():
    S = np.random.RandomState(0).uniform(size=(4, 5, 3))  # (n_samples, n_timesteps, n_features)
    ae = SequenceAutoencoder(2, **FAST)
    msg = ("SequenceAutoencoder takes 2-D X of shape (n_samples, n_features), one flattened "
           "sample per row; got an array of shape (4, 5, 3). For sequences of shape "
           "(n_samples, n_timesteps, n_features) pass X.reshape(len(X), -1) with "
           "n_timesteps=5: each row then holds the 5 steps of 3 values one after the other.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ae.fit(S)
    assert not hasattr(ae, "n_features_in_")
    # The hint works: each row is read back as the 5 steps of 3 values.
    ae.set_params(n_timesteps=5).fit(S.reshape(len(S), -1))
    assert (ae.n_timesteps_, ae.n_features_per_step_) == (5, 3)
    with pytest.raises(ValueError, match=re.escape("got an array of shape (4, 5, 3)")):
        ae.score(S)


@pytest.mark.parametrize("params, msg", [
    (dict(merge_mode="average"),
     "The 'merge_mode' parameter of SequenceAutoencoder must be a str among "),
    (dict(cell="rnn"), "The 'cell' parameter of SequenceAutoencoder must be a str among "),
    (dict(n_timesteps=0),
     "The 'n_timesteps' parameter of SequenceAutoencoder must be an int in the range [1, inf)"
     " or None. Got 0 instead."),
    (dict(bidirectional="yes"), "The 'bidirectional' parameter of SequenceAutoencoder must be"),
    (dict(activation="relu"), "got an unexpected keyword argument 'activation'"),
])
def test_invalid_parameters(params, msg):
    with pytest.raises((InvalidParameterError, TypeError), match=re.escape(msg)):
        SequenceAutoencoder(**params).fit(np.ones((4, 6)))


@pytest.mark.parametrize("hidden", [(), (0,), (4, 2.5)])
def test_hidden_layer_sizes_must_be_positive_integers(hidden):
    msg = (f"hidden_layer_sizes must hold at least one positive integer, got {hidden!r}. "
           "Pass e.g. (32,), or (64, 32) for two recurrent layers.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        SequenceAutoencoder(hidden_layer_sizes=hidden).fit(np.ones((4, 6)))


