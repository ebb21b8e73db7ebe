"""Model selection on a Dask cluster, through joblib's dask backend.

A ``distributed.LocalCluster`` of 2 worker processes on 127.0.0.1 stands in for a real
cluster: the code is the same (``Client("scheduler-address:8786")`` instead). The results
must be those of the sequential run with the same seeds. Needs the ``dask`` extra.
"""

import logging

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from _instances import NAMES, make, scaled_digits
from sklearn_ae import AutoencoderTransformer
from sklearn_ae.utils import torch_threads

distributed = pytest.importorskip("distributed", reason="needs dask[distributed] (the dask extra)")

#: Scores are compared with the sequential run up to float rounding.
RTOL = 1e-6


@pytest.fixture(scope="module")
def client():
    # One torch thread per worker: two workers on a two-core machine would otherwise fight.
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
        dashboard_address=None, silence_logs=logging.ERROR, env={"OMP_NUM_THREADS": "1"},
    ) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture
def one_thread():
    """The sequential run with one torch thread, as on the workers."""
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def X():
    return scaled_digits(450)[0]


def test_grid_search_on_a_dask_cluster_matches_the_sequential_run(client, X, one_thread):
    def search():
        return GridSearchCV(
            AutoencoderTransformer(max_iter=5, random_state=0),
            {"n_components": [2, 8], "hidden_layer_sizes": [(16,), (32,)]},
            cv=3,
            n_jobs=-1,
        )

    with joblib.parallel_backend("sequential"):
        sequential = search().fit(X)
    with joblib.parallel_backend("dask"):
        on_dask = search().fit(X)
    workers = {w["host"] for w in client.scheduler_info()["workers"].values()}
    assert workers == {"127.0.0.1"}
    for key in ["mean_test_score", *[f"split{i}_test_score" for i in range(3)]]:
        np.testing.assert_allclose(on_dask.cv_results_[key], sequential.cv_results_[key],
                                   rtol=RTOL, err_msg=key)
    assert on_dask.cv_results_["params"] == sequential.cv_results_["params"]
    assert on_dask.best_params_ == sequential.best_params_
    assert len(set(on_dask.cv_results_["mean_test_score"])) == 4  # four different models


@pytest.mark.parametrize("name", NAMES)
def test_cross_validate_on_a_dask_cluster_returns_the_same_models(client, X, one_thread, name):
    def mean_score(estimator, X_test, y=None):
        # A number that depends on the whole fitted model; a clusterer has no score_samples.
        if hasattr(estimator, "score_samples"):
            return float(np.mean(estimator.score_samples(X_test)))
        return float(np.mean(estimator.transform(X_test)))

    est = make(name)
    runs = {}
    for backend in ("sequential", "dask"):
        with joblib.parallel_backend(backend):
            runs[backend] = cross_validate(est, X, cv=3, scoring=mean_score, n_jobs=-1,
                                           return_estimator=True)
    np.testing.assert_allclose(runs["dask"]["test_score"], runs["sequential"]["test_score"],
                               rtol=RTOL)
    # The fitted models came back from the workers by pickle, and score as they did there.
    for remote, local in zip(runs["dask"]["estimator"], runs["sequential"]["estimator"]):
        method = "score_samples" if hasattr(local, "score_samples") else "transform"
        np.testing.assert_allclose(getattr(remote, method)(X), getattr(local, method)(X),
                                   rtol=RTOL)
        if hasattr(local, "labels_"):
            np.testing.assert_array_equal(remote.predict(X), local.predict(X))
