"""Ctrl-C during training: one rule for every estimator, the meta-estimators and a search.

A real SIGINT is sent from inside training (a callback calls ``signal.raise_signal`` after
a given training batch), as a user's Ctrl-C would arrive. The rule (User Guide,
"Interrupting a fit"): an estimator keeps what it trained and warns "Training interrupted
by user", as MLPRegressor does; a meta-estimator of the package ends its whole fit and
warns once; inside scikit-learn's model selection the KeyboardInterrupt goes on up, so that
one Ctrl-C ends the whole search. A callback's own KeyboardInterrupt (how early stopping
stops) is no interruption by the user.
"""

import re
import signal
import threading
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sklearn_ae import (
    AutoencoderTransformer,
    ConvAutoencoder,
    DeepEmbeddedClustering,
    DenoisingAutoencoder,
    ReconstructionOutlierDetector,
    SequenceAutoencoder,
    VariationalAutoencoder,
)
from sklearn_ae._clustering import ClusteringNet

INTERRUPTED = "Training interrupted by user."

#: Every autoencoder family with small settings; 100 rows in batches of 20: 5 steps an epoch.
FAMILIES = {
    "AutoencoderTransformer": lambda **kw: AutoencoderTransformer(2, hidden_layer_sizes=(8,),
                                                                  **kw),
    "DenoisingAutoencoder": lambda **kw: DenoisingAutoencoder(2, hidden_layer_sizes=(8,), **kw),
    "VariationalAutoencoder": lambda **kw: VariationalAutoencoder(2, hidden_layer_sizes=(8,),
                                                                  **kw),
    "ConvAutoencoder": lambda **kw: ConvAutoencoder(image_shape=(4, 4), channels=(2,), **kw),
    "SequenceAutoencoder": lambda **kw: SequenceAutoencoder(2, hidden_layer_sizes=(3,), **kw),
}


def data(n=100):
    return np.random.RandomState(0).uniform(size=(n, 16))


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own Ctrl-C handler during each test, as in an interactive session.

    The package handles Ctrl-C only where Python's handler (or another callable) is
    installed; a test run earlier in the same worker may have left SIGINT ignored (seen once
    under xdist), which would make these tests train through the signal.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class SigintAt(Callback):
    """Send this process a SIGINT (Ctrl-C) after training batch ``step`` (counted from 1).

    ``fits`` counts the trainings that began, over every copy of the callback.
    """

    fits = []

    def __init__(self, step):
        self.step = step

    def on_train_begin(self, net, **kwargs):
        self.steps_ = 0
        SigintAt.fits.append(1)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.steps_ += 1
            if self.steps_ == self.step:
                signal.raise_signal(signal.SIGINT)


class RaiseAt(Callback):
    """Raise KeyboardInterrupt after training batch ``step``, as skorch's stoppers do."""

    def __init__(self, step):
        self.step = step

    def on_train_begin(self, net, **kwargs):
        self.steps_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.steps_ += 1
            if self.steps_ == self.step:
                raise KeyboardInterrupt


def fit_recording(est, X):
    """Fit ``est`` on `X`; return it and the messages of the warnings it raised, by class."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X)
    return est, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("name", FAMILIES)
def test_ctrl_c_ends_the_training_keeps_the_model_and_warns(name):
    # SIGINT after step 12: two epochs finished, the third cut short.
    est, caught = fit_recording(FAMILIES[name](max_iter=6, batch_size=20,
                                              callbacks=[SigintAt(12)]), data())
    assert est.n_iter_ == len(est.loss_curve_) == 2
    assert caught == [(UserWarning, f"{name}: {INTERRUPTED} The network keeps the weights of "
                                     "the optimizer steps taken; n_iter_=2 epochs were "
                                     "completed.")]
    assert np.isfinite(est.transform(data())).all()
    est.partial_fit(data())  # and it trains on
    assert est.n_iter_ == 3


def test_ctrl_c_in_the_first_batch_of_a_variational_autoencoder():
    # It crashed with KeyError: 'train_kl' (its curves read an empty history).
    est, caught = fit_recording(
        FAMILIES["VariationalAutoencoder"](max_iter=3, batch_size=20, callbacks=[SigintAt(1)]),
        data(),
    )
    assert est.n_iter_ == 0 and est.loss_curve_ == est.kl_curve_ == []
    assert est.reconstruction_curve_ == []
    assert [category for category, _ in caught] == [UserWarning]
    assert np.isfinite(est.score_samples(data())).all()


def test_a_callbacks_keyboard_interrupt_is_no_interruption_by_the_user():
    # skorch's stoppers (early stopping) stop training by raising KeyboardInterrupt.
    est, caught = fit_recording(
        AutoencoderTransformer(2, max_iter=6, batch_size=20, callbacks=[RaiseAt(12)]), data()
    )
    assert est.n_iter_ == 2
    assert not [message for _, message in caught if INTERRUPTED in message]


def test_the_detector_ends_its_fit_and_warns_once():
    detector = ReconstructionOutlierDetector(AutoencoderTransformer(
        2, hidden_layer_sizes=(8,), max_iter=6, batch_size=20, callbacks=[SigintAt(12)],
    ), random_state=0)
    detector, caught = fit_recording(detector, data())
    assert detector.estimator_.n_iter_ == 2
    assert caught == [(UserWarning, f"ReconstructionOutlierDetector: {INTERRUPTED} The "
                                    "threshold is set on the reconstruction models as trained "
                                    "so far.")]
    np.testing.assert_array_equal(detector.train_scores_, detector.score_samples(data()))


def test_an_interrupted_ensemble_keeps_the_models_trained_so_far():
    detector = ReconstructionOutlierDetector(AutoencoderTransformer(
        2, hidden_layer_sizes=(8,), max_iter=6, batch_size=20, callbacks=[SigintAt(12)],
    ), n_estimators=4, n_neighbors=3, random_state=0)
    detector, caught = fit_recording(detector, data())
    # The Ctrl-C came during the first model: no other one was trained.
    assert detector.n_estimators_ == len(detector.estimators_) == 1
    assert detector.estimator_.n_iter_ < 6  # within its first fit, on half of the rows
    assert len(caught) == 1
    np.testing.assert_array_equal(detector.train_scores_, detector.score_samples(data()))


def test_the_clusterer_interrupted_in_pretraining_skips_fine_tuning():
    dec = DeepEmbeddedClustering(AutoencoderTransformer(
        2, hidden_layer_sizes=(8,), max_iter=6, batch_size=20, callbacks=[SigintAt(12)],
    ), n_clusters=3, max_iter=4, tol=None, random_state=0)
    dec, caught = fit_recording(dec, data())
    assert dec.estimator_.n_iter_ == 2
    assert dec.n_iter_ == 0 and dec.loss_curve_ == []  # no fine-tuning
    assert caught == [(UserWarning, f"DeepEmbeddedClustering: {INTERRUPTED} Pretraining was "
                                    "cut short: the centres come from k-means on the codes "
                                    "trained so far, and fine-tuning was skipped.")]
    np.testing.assert_array_equal(dec.predict(data()), dec.labels_)


def test_the_clusterer_interrupted_in_fine_tuning_keeps_its_finished_epochs(monkeypatch):
    train_step = ClusteringNet.train_step
    steps = []

    def step_then_sigint(net, batch, **kwargs):
        result = train_step(net, batch, **kwargs)
        steps.append(1)
        if len(steps) == 7:  # 5 steps an epoch: within the second epoch
            signal.raise_signal(signal.SIGINT)
        return result

    monkeypatch.setattr(ClusteringNet, "train_step", step_then_sigint)
    dec = DeepEmbeddedClustering(AutoencoderTransformer(2, hidden_layer_sizes=(8,), max_iter=2),
                                 n_clusters=3, batch_size=20, max_iter=4, tol=None,
                                 random_state=0)
    dec, caught = fit_recording(dec, data())
    assert dec.n_iter_ == len(dec.loss_curve_) == 1
    messages = [message for _, message in caught if INTERRUPTED in message]
    assert messages == [f"DeepEmbeddedClustering: {INTERRUPTED} Fine-tuning keeps its 1 "
                        "completed epochs (n_iter_)."]
    assert not [c for c, m in caught if c is ConvergenceWarning and "DeepEmbedded" in m]


@pytest.mark.parametrize("inside", ["GridSearchCV", "GridSearchCV of the detector"])
def test_one_ctrl_c_ends_a_whole_search(inside):
    SigintAt.fits.clear()
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(8,), max_iter=3, batch_size=20,
                                callbacks=[SigintAt(4)])
    if inside == "GridSearchCV":
        search = GridSearchCV(ae, {"n_components": [2, 3]}, cv=2)
    else:
        search = GridSearchCV(ReconstructionOutlierDetector(ae),
                              {"n_std": [2.0, 3.0]}, cv=2,
                              scoring=lambda est, X, y=None: est.score_samples(X).mean())
    with pytest.raises(KeyboardInterrupt, match=re.escape(INTERRUPTED)):
        search.fit(data())
    assert len(SigintAt.fits) == 1  # no other candidate or fold was trained
    assert not hasattr(search, "best_estimator_")


def test_a_ctrl_c_outside_training_interrupts_as_python_does_and_changes_nothing(monkeypatch):
    ae = AutoencoderTransformer(2, max_iter=2)

    def sigint(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(AutoencoderTransformer, "_check_data_dependent_params", sigint)
    with pytest.raises(KeyboardInterrupt):
        ae.fit(data())
    assert not hasattr(ae, "net_") and not hasattr(ae, "n_features_in_")


def test_the_callers_sigint_handler_is_restored_and_threads_install_none():
    before = signal.getsignal(signal.SIGINT)
    seen = []

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            seen.append(signal.getsignal(signal.SIGINT))

    AutoencoderTransformer(2, max_iter=1, callbacks=[Record()]).fit(data())
    assert seen[0] is not before  # training in the main thread listens for Ctrl-C
    assert signal.getsignal(signal.SIGINT) is before
    thread = threading.Thread(target=lambda: AutoencoderTransformer(
        2, max_iter=1, callbacks=[Record()]).fit(data()))
    thread.start()
    thread.join()
    assert seen[1] is before  # Ctrl-C reaches the main thread only: nothing to listen for
