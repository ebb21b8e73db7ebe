"""TimeSeriesOutlierDetector: per-timestamp scores of a long series from sliding windows."""

import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA

from sklearn_ae import (
    AutoencoderTransformer,
    SequenceAutoencoder,
    TimeSeriesOutlierDetector,
)
from sklearn_ae._timeseries import auto_window_size, dominant_period


def periodic(n=600, period=20, n_channels=1, noise=0.05, seed=0):
    """Noisy sines of one period, shifted in phase from channel to channel."""
    rng = np.random.RandomState(seed)
    t = np.arange(n)[:, None]
    X = np.sin(2 * np.pi * t / period + np.arange(n_channels)) * (1 + np.arange(n_channels))
    return X + noise * rng.normal(size=(n, n_channels))


def small_ae(**params):
    return AutoencoderTransformer(**{"n_components": 3, "hidden_layer_sizes": (16,),
                                     "max_iter": 20, **params})


def test_shapes_dtype_and_fitted_attributes():
    X = periodic(300)
    det = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=16).fit(X)
    assert det.window_size_ == 16 and det.n_features_in_ == 1
    assert det.train_scores_.shape == (300,)
    for Z in (X, X[:50], periodic(17, seed=1)):
        scores = det.score_samples(Z)
        assert scores.shape == (len(Z),) and scores.dtype == np.float64
        assert np.isfinite(scores).all()
    assert set(np.unique(det.predict(X))) <= {-1, 1}
    # The training scores are those of the training series, scored again.
    np.testing.assert_allclose(det.score_samples(X), det.train_scores_)


def test_predict_and_decision_function_agree_with_the_threshold():
    X = periodic(400)
    det = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=20,
                                    contamination=0.1).fit(X)
    decision = det.decision_function(X)
    np.testing.assert_allclose(decision, det.score_samples(X) - det.offset_)
    np.testing.assert_array_equal(det.predict(X), np.where(decision >= 0, 1, -1))
    # contamination=0.1 flags about a tenth of the training time steps.
    assert abs(np.mean(det.predict(X) == -1) - 0.1) < 0.02
    np.testing.assert_array_equal(det.fit_predict(X), det.predict(X))


def test_injected_anomaly_in_a_periodic_series_is_ranked_first():
    X = periodic(1400, period=25, seed=3)
    X[900:912] += 1.5  # a bump of 12 steps in the continuation of the series
    det = TimeSeriesOutlierDetector(small_ae(), random_state=0).fit(X[:400])
    assert det.window_size_ == 200  # whole periods of 25, at most half the series
    scores = det.score_samples(X[400:])
    # Step 900 is where the stretch around it (the windows that cover it) is worst.
    assert abs(400 + np.argmin(scores) - 906) < det.window_size_ // 4
    far = np.r_[scores[: 900 - 400 - 200], scores[912 - 400 + 200:]]
    assert scores[900 - 400: 912 - 400].max() < far.min()
    labels = det.predict(X[400:])
    assert (labels[500:512] == -1).all() and (labels[:250] == 1).mean() > 0.9
    # Per-step errors point at the bump itself.
    steps = det.set_params(aggregation="step").score_samples(X[400:])
    assert 900 <= 400 + np.argmin(steps) < 912


def test_multichannel_input_and_an_anomaly_in_one_channel():
    X = periodic(600, n_channels=3, seed=1)
    X[500:505, 2] = 0.0  # one channel goes flat
    det = TimeSeriesOutlierDetector(PCA(n_components=4), window_size=20).fit(X[:300])
    assert det.n_features_in_ == 3
    scores = det.score_samples(X[300:])
    assert scores.shape == (300,)
    assert 500 <= 300 + np.argmin(scores) < 505 + det.window_size_


def test_a_sequence_autoencoder_reads_each_window_as_steps_of_all_channels():
    X = periodic(200, n_channels=2)
    seq = SequenceAutoencoder(n_components=2, hidden_layer_sizes=(4,), max_iter=2)
    det = TimeSeriesOutlierDetector(seq, window_size=10, stride=5, random_state=0).fit(X)
    assert det.estimator_.n_timesteps_ == 10 and det.estimator_.n_features_per_step_ == 2
    assert seq.n_timesteps is None  # the estimator passed is left alone
    assert det.score_samples(X).shape == (200,)


def test_pandas_input_with_a_datetime_index():
    pd = pytest.importorskip("pandas")
    X = periodic(300, n_channels=2)
    index = pd.date_range("2024-01-01", periods=300, freq="5min")
    frame = pd.DataFrame(X, index=index, columns=["temperature", "pressure"])
    det = TimeSeriesOutlierDetector(PCA(n_components=2), window_size=16).fit(frame)
    assert list(det.feature_names_in_) == ["temperature", "pressure"]
    on_array = clone(det).fit(X)
    np.testing.assert_allclose(det.score_samples(frame), on_array.score_samples(X))
    with pytest.raises(ValueError, match=re.escape(
            "The time index of X is not increasing: rows must be time steps in time order "
            "(row 150, 2024-01-01 00:00:00, comes after 2024-01-02 00:55:00). Sort the "
            "series first: X.sort_index().")):
        det.score_samples(pd.concat([frame.iloc[150:], frame.iloc[:150]]))
    with pytest.raises(ValueError, match="repeats 1 time stamp"):
        det.score_samples(pd.concat([frame.iloc[:100], frame.iloc[99:]]))
    with pytest.raises(ValueError, match="not increasing"):
        clone(det).fit(frame.iloc[::-1])
    gappy = frame.copy()
    gappy.iloc[3, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape(
            "in 1 time step(s) (rows 3; at 2024-01-01 00:15:00). A window cannot be rebuilt "
            "across a gap: fill the gaps first, e.g. X.interpolate()")):
        det.predict(gappy)
    # What the message suggests works.
    assert det.predict(gappy.interpolate()).shape == (300,)


def test_stride_greater_than_one_covers_every_time_step():
    X = periodic(301)
    dense = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=20).fit(X)
    strided = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=20,
                                        stride=7).fit(X)
    scores = strided.score_samples(X)
    assert scores.shape == (301,) and np.isfinite(scores).all()
    # Fewer windows, the same picture: the scores follow those of stride=1 closely.
    assert np.corrcoef(scores, dense.score_samples(X))[0, 1] > 0.5
    # The last window ends with the series, though (301 - 20) is not a multiple of 7.
    X_bad = X.copy()
    X_bad[-1] += 5.0
    assert np.argmin(strided.score_samples(X_bad)) >= 301 - 20


def test_series_shorter_than_a_window_are_refused_clearly():
    X = periodic(300)
    det = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=32).fit(X)
    with pytest.raises(ValueError, match=re.escape(
            "X has n_samples=20 time steps (rows), fewer than window_size_=32: no window "
            "fits in it. Pass a series of at least 32 rows")):
        det.score_samples(X[:20])
    with pytest.raises(ValueError, match=re.escape(
            "X has n_samples=20 time steps (rows), fewer than window_size=32")):
        clone(det).fit(X[:20])
    # Exactly one window is enough.
    assert det.score_samples(X[:32]).shape == (32,)


def test_nan_gaps_are_refused_with_their_positions():
    X = periodic(300)
    X[[40, 41, 200]] = np.nan
    msg = ("Input X contains NaN or infinity in 3 time step(s) (rows 40, 41, 200). A window "
           "cannot be rebuilt across a gap: fill the gaps first")
    with pytest.raises(ValueError, match=re.escape(msg)):
        TimeSeriesOutlierDetector(PCA(n_components=3), window_size=16).fit(X)
    det = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=16).fit(periodic(300))
    with pytest.raises(ValueError, match=re.escape(msg)):
        det.predict(X)


def test_same_seed_same_scores_and_other_seed_other_scores():
    X = periodic(300)

    def make(seed):
        return TimeSeriesOutlierDetector(small_ae(max_iter=3), window_size=16,
                                         random_state=seed).fit(X)

    a, b, c = make(0), make(0), make(1)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    assert not np.allclose(a.score_samples(X), c.score_samples(X))


def test_continuation_scores_match_the_whole_series_away_from_the_cut():
    X = periodic(500)
    det = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=20).fit(X[:250])
    whole, tail = det.score_samples(X), det.score_samples(X[250:])
    # A step more than a window after the cut is covered by the same windows either way.
    np.testing.assert_allclose(tail[20:], whole[270:])
    # The continuation of a normal series scores like the training series.
    assert abs(np.median(tail) - np.median(det.train_scores_)) < 0.5 * np.std(det.train_scores_)


def test_auto_window_is_whole_periods_up_to_256_steps_and_half_the_series():
    assert dominant_period(periodic(1000, period=48)) == 48
    noise = np.random.RandomState(0).normal(size=(1000, 1))
    assert dominant_period(noise) is None
    assert auto_window_size(periodic(1000, period=48)) == 240  # 5 periods of 48
    assert auto_window_size(periodic(1000, period=300)) == 256  # a period longer than 256
    assert auto_window_size(noise) == 256
    assert auto_window_size(noise[:100]) == 50
    det = TimeSeriesOutlierDetector(PCA(n_components=2)).fit(periodic(1000, period=48))
    assert det.window_size_ == 240


def test_step_aggregation_localises_and_window_aggregation_spreads():
    X = periodic(600, period=20)
    X[450] += 3.0  # one spike
    det = TimeSeriesOutlierDetector(PCA(n_components=4), window_size=40).fit(X[:300])
    window = det.score_samples(X)
    step = det.set_params(aggregation="step").score_samples(X)
    assert np.argmin(step) == 450
    # The window score is spread over the stretch around the spike.

    def flagged(scores):
        return np.sum(scores < np.median(scores) - 10 * np.std(scores[:300]))

    assert flagged(window) > 2 * flagged(step) > 0


def test_false_alarm_rate_calibrates_on_the_tail_of_the_series():
    X = periodic(1000)
    det = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=20,
                                    false_alarm_rate=0.05).fit(X)
    # The last fifth of the series is held out of the model and scored as a new series.
    assert det.train_scores_.shape == (800,) and det.calibration_scores_.shape == (200,)
    p = det.pvalues(periodic(400, seed=5))
    assert p.shape == (400,) and 0.0 < p.min() and p.max() <= 1.0
    np.testing.assert_array_equal(det.predict(X[:100]) == -1,
                                  det.pvalues(X[:100]) <= 0.05)
    with pytest.raises(ValueError, match="fewer than window_size=20"):
        clone(det).set_params(calibration_fraction=0.01).fit(X)
    # With window_size='auto' the window is at most half of the held-out block.
    auto = clone(det).set_params(window_size="auto", calibration_fraction=0.1).fit(X)
    assert auto.window_size_ == 50 and auto.calibration_scores_.shape == (100,)


def test_long_series_are_scored_in_chunks_with_the_same_result(monkeypatch):
    import sklearn_ae._timeseries as module

    X = periodic(500, n_channels=2)
    det = TimeSeriesOutlierDetector(PCA(n_components=3), window_size=20, stride=3).fit(X)
    expected = det.score_samples(X)
    monkeypatch.setattr(module, "SCORE_CHUNK", 20 * 2 * 7)  # 7 windows at a time
    np.testing.assert_allclose(det.score_samples(X), expected, rtol=1e-12)


def test_the_default_model_is_a_small_dense_autoencoder_and_fits_quietly():
    import warnings

    X = periodic(400, period=25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning for the default's budget
        det = TimeSeriesOutlierDetector(random_state=0).fit(X)
    ae = det.estimator_
    assert isinstance(ae, AutoencoderTransformer)
    assert (ae.n_components, ae.loss, ae.max_iter, ae.alpha) == (8, "mae", 30, 0.0)
    assert ae.n_features_in_ == det.window_size_ == 200
    # A time step far from normal stands out.
    X_bad = X.copy()
    X_bad[300:305] = 3.0
    assert abs(np.argmin(det.score_samples(X_bad)) - 302) < det.window_size_ // 2
