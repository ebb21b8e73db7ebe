"""Tests of the data-set loaders and fetchers of ``sklearn_ae.datasets``.

Nothing leaves the machine: the loaders' tests write small fake files in ``tmp_path`` in the
exact original formats (gzip idx, headerless ECG csv, MATLAB .mat), and the fetchers
download them from an HTTP server on 127.0.0.1 started by the test. The tests marked as
needing the real data read (or serve) the shared data, and are skipped unless
``SKLEARN_AE_DATA`` points at it.
"""

import collections
import contextlib
import gzip
import hashlib
import http.server
import os
import re
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from sklearn.utils import Bunch

from sklearn_ae.datasets import (
    ODDS_DATASETS,
    fetch_ecg5000,
    fetch_fashion_mnist,
    fetch_mnist,
    fetch_odds,
    get_data_home,
    load_ecg5000,
    load_fashion_mnist,
    load_mnist,
    load_odds,
)
from sklearn_ae.datasets import _fetch
from sklearn_ae.datasets._home import DATA_HOME_ENV

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IDX_LOADERS = [(load_mnist, "mnist", "MNIST"),
               (load_fashion_mnist, "fashion_mnist", "Fashion-MNIST")]
IDX_IDS = ["mnist", "fashion_mnist"]


# --------------------------------------------------------------------------- helpers

def write_idx(path, array, magic=None):
    """Write ``array`` (uint8) as a gzip idx file: big-endian int32 magic and dims, then data."""
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 + array.ndim  # 0x08 = unsigned byte
    header = int(magic).to_bytes(4, "big") + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())
    return path


def write_idx_raw(path, payload):
    """Write raw bytes, gzip-compressed, to ``path`` (for damaged files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(payload)
    return path


def make_idx_set(data_home, subfolder, n_train=5, n_test=3, seed=0):
    """Write the four idx files of a fake (Fashion-)MNIST; return the arrays written."""
    rng = np.random.default_rng(seed)
    folder = Path(data_home) / subfolder
    arrays = {}
    for part, prefix, n in [("train", "train", n_train), ("test", "t10k", n_test)]:
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[-1, -1, -1] = 0, 255  # so the [0, 1] range is reached
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
        arrays[part] = (images, labels)
    return arrays


def write_ecg_csv(path, data, labels):
    """Write a headerless ECG5000 csv: the values, then the label written as 1.0 / 0.0."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = np.column_stack([data, np.asarray(labels, dtype=np.float64)])
    np.savetxt(path, table, delimiter=",", fmt="%.8g")
    return path


def make_ecg(data_home, n=6, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(n, 140))
    labels = np.array([1, 0] * (n // 2) + [1] * (n % 2))
    write_ecg_csv(Path(data_home) / "ecg5000" / "ecg.csv", data, labels)
    return data, labels


def write_mat(path, **variables):
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, variables)
    return path


def missing_message(what, filename, folder):
    """The start of ``find_file``'s FileNotFoundError message, as a regex."""
    return re.escape(f"{what}: {filename} was not found in {folder}. Put the original file there")


# --------------------------------------------------------------------------- get_data_home

def test_get_data_home_argument_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path / "from_env"))
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home(str(tmp_path / "arg")) == tmp_path / "arg"
    assert isinstance(get_data_home(str(tmp_path)), Path)


def test_get_data_home_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path / "from_env"))
    assert get_data_home() == tmp_path / "from_env"
    assert get_data_home(None) == tmp_path / "from_env"


def test_get_data_home_default(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_HOME_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert get_data_home() == tmp_path / "sklearn_ae_data"
    assert get_data_home() == Path("~").expanduser() / "sklearn_ae_data"
    assert not (tmp_path / "sklearn_ae_data").exists()  # the folder is not created


def test_get_data_home_empty_env_var_falls_back_to_default(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_HOME_ENV, "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert get_data_home() == tmp_path / "sklearn_ae_data"


def test_get_data_home_expands_user(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert get_data_home("~/elsewhere") == tmp_path / "elsewhere"
    monkeypatch.setenv(DATA_HOME_ENV, "~/via_env")
    assert get_data_home() == tmp_path / "via_env"


def test_loaders_use_env_var(tmp_path, monkeypatch):
    arrays = make_idx_set(tmp_path, "mnist")
    make_ecg(tmp_path)
    write_mat(tmp_path / "odds" / "tiny.mat", X=np.eye(3), y=np.array([[0], [1], [0]]))
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path))
    X, y = load_mnist(subset="test", return_X_y=True)
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert load_ecg5000(return_X_y=True)[0].shape == (6, 140)
    assert load_odds("tiny", return_X_y=True)[0].shape == (3, 3)


# --------------------------------------------------------------------------- idx loaders

@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
@pytest.mark.parametrize("subset", ["train", "test"])
def test_idx_bunch(tmp_path, loader, subfolder, name, subset):
    arrays = make_idx_set(tmp_path, subfolder)
    images, labels = arrays[subset]
    n = len(labels)
    bunch = loader(subset=subset, data_home=tmp_path)
    assert isinstance(bunch, Bunch)
    assert set(bunch) == {"data", "target", "images", "feature_names", "DESCR"}
    assert bunch.data.shape == (n, 784)
    assert bunch.data.dtype == np.float32
    assert bunch.data.min() == 0.0 and bunch.data.max() == 1.0
    np.testing.assert_allclose(bunch.data, images.reshape(n, 784) / 255.0, rtol=1e-6)
    assert bunch.target.shape == (n,)
    assert bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.target, labels)
    assert bunch.images.shape == (n, 28, 28)
    assert np.shares_memory(bunch.images, bunch.data)  # a view, not a copy
    np.testing.assert_allclose(bunch.images, images / 255.0, rtol=1e-6)
    assert bunch.feature_names == [f"pixel_{i}" for i in range(784)]
    assert isinstance(bunch.DESCR, str) and name in bunch.DESCR


@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
def test_idx_default_subset_is_train(tmp_path, loader, subfolder, name):
    arrays = make_idx_set(tmp_path, subfolder, n_train=4, n_test=2)
    bunch = loader(data_home=tmp_path)
    assert bunch.data.shape == (4, 784)
    np.testing.assert_array_equal(bunch.target, arrays["train"][1])


@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
def test_idx_raw_uint8(tmp_path, loader, subfolder, name):
    arrays = make_idx_set(tmp_path, subfolder)
    images, labels = arrays["train"]
    bunch = loader(subset="train", data_home=tmp_path, as_float=False)
    assert bunch.data.dtype == np.uint8
    np.testing.assert_array_equal(bunch.data, images.reshape(len(images), 784))
    assert bunch.data.max() == 255
    assert bunch.images.dtype == np.uint8
    np.testing.assert_array_equal(bunch.images, images)
    np.testing.assert_array_equal(bunch.target, labels)


@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
@pytest.mark.parametrize("as_float", [True, False])
def test_idx_subset_all_is_train_then_test(tmp_path, loader, subfolder, name, as_float):
    arrays = make_idx_set(tmp_path, subfolder, n_train=5, n_test=3)
    (train_images, train_labels), (test_images, test_labels) = arrays["train"], arrays["test"]
    bunch = loader(subset="all", data_home=tmp_path, as_float=as_float)
    expected = np.concatenate([train_images, test_images]).reshape(8, 784)
    if as_float:
        expected = expected / 255.0
    assert bunch.data.shape == (8, 784)
    assert bunch.data.dtype == (np.float32 if as_float else np.uint8)
    np.testing.assert_allclose(bunch.data, expected, rtol=1e-6)
    np.testing.assert_array_equal(bunch.target, np.concatenate([train_labels, test_labels]))
    assert bunch.target.dtype == np.int64
    assert bunch.images.shape == (8, 28, 28)


@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
@pytest.mark.parametrize("as_float", [True, False])
def test_idx_return_X_y(tmp_path, loader, subfolder, name, as_float):
    arrays = make_idx_set(tmp_path, subfolder)
    images, labels = arrays["test"]
    result = loader(subset="test", data_home=tmp_path, return_X_y=True, as_float=as_float)
    assert isinstance(result, tuple) and len(result) == 2
    X, y = result
    bunch = loader(subset="test", data_home=tmp_path, as_float=as_float)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
    assert X.shape == (3, 784)
    assert X.dtype == (np.float32 if as_float else np.uint8)
    np.testing.assert_array_equal(y, labels)


def test_mnist_and_fashion_mnist_read_their_own_subfolders(tmp_path):
    mnist = make_idx_set(tmp_path, "mnist", n_train=2, seed=1)
    fashion = make_idx_set(tmp_path, "fashion_mnist", n_train=7, seed=2)
    np.testing.assert_array_equal(load_mnist(data_home=tmp_path).target, mnist["train"][1])
    np.testing.assert_array_equal(load_fashion_mnist(data_home=tmp_path).target,
                                  fashion["train"][1])
    assert "MNIST handwritten digits" in load_mnist(data_home=tmp_path).DESCR
    assert "Fashion-MNIST" in load_fashion_mnist(data_home=tmp_path).DESCR


@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
@pytest.mark.parametrize("subset", ["validation", "Train", None, ""])
def test_idx_bad_subset(tmp_path, loader, subfolder, name, subset):
    make_idx_set(tmp_path, subfolder)
    with pytest.raises(ValueError, match=re.escape(
            f"subset must be 'train', 'test' or 'all', got {subset!r}.")):
        loader(subset=subset, data_home=tmp_path)


@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
def test_idx_missing_folder(tmp_path, loader, subfolder, name):
    folder = tmp_path / subfolder
    filename = "train-images-idx3-ubyte.gz"
    with pytest.raises(FileNotFoundError) as excinfo:
        loader(data_home=tmp_path)
    message = str(excinfo.value)
    assert re.match(missing_message(name, filename, folder), message)
    assert str(folder) in message
    assert "SKLEARN_AE_DATA" in message
    assert f"a '{subfolder}' subfolder holding it" in message


@pytest.mark.parametrize("loader, subfolder, name", IDX_LOADERS, ids=IDX_IDS)
@pytest.mark.parametrize("missing", ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
def test_idx_missing_one_test_file(tmp_path, loader, subfolder, name, missing):
    make_idx_set(tmp_path, subfolder)
    (tmp_path / subfolder / missing).unlink()
    loader(subset="train", data_home=tmp_path)  # the train files alone are enough
    for subset in ("test", "all"):
        with pytest.raises(FileNotFoundError,
                           match=missing_message(name, missing, tmp_path / subfolder)):
            loader(subset=subset, data_home=tmp_path)


def test_idx_missing_file_full_message(tmp_path):
    folder = tmp_path / "mnist"
    expected = (
        f"MNIST: train-images-idx3-ubyte.gz was not found in {folder}. Put the original "
        "file there (the MNIST idx .gz files by LeCun, Cortes and Burges), or pass "
        "data_home= (or set the environment variable SKLEARN_AE_DATA) to a folder that "
        "has a 'mnist' subfolder holding it."
    )
    with pytest.raises(FileNotFoundError, match=f"^{re.escape(expected)}$"):
        load_mnist(data_home=tmp_path)


@pytest.mark.parametrize("kind", ["images", "labels"])
def test_idx_wrong_magic(tmp_path, kind):
    make_idx_set(tmp_path, "mnist")
    if kind == "images":
        path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
        # labels written where images are expected: magic 2049 instead of 2051
        write_idx(path, np.zeros(5, dtype=np.uint8))
        found, expected = LABELS_MAGIC, IMAGES_MAGIC
    else:
        path = tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
        write_idx(path, np.zeros((5, 28, 28), dtype=np.uint8))
        found, expected = IMAGES_MAGIC, LABELS_MAGIC
    with pytest.raises(ValueError, match=re.escape(
            f"{path} is not an idx file of the expected kind (magic {found}, "
            f"expected {expected}); the file may be damaged or of another data set.")):
        load_mnist(data_home=tmp_path)


def test_idx_little_endian_magic_is_rejected(tmp_path):
    make_idx_set(tmp_path, "fashion_mnist")
    path = tmp_path / "fashion_mnist" / "t10k-images-idx3-ubyte.gz"
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    header = IMAGES_MAGIC.to_bytes(4, "little") + b"".join(
        d.to_bytes(4, "little") for d in images.shape)
    write_idx_raw(path, header + images.tobytes())
    found = int.from_bytes(IMAGES_MAGIC.to_bytes(4, "little"), "big")
    with pytest.raises(ValueError, match=re.escape(f"(magic {found}, expected 2051)")):
        load_fashion_mnist(subset="test", data_home=tmp_path)


def test_idx_truncated_images(tmp_path):
    make_idx_set(tmp_path, "mnist", n_train=5)
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    images = np.ones((5, 28, 28), dtype=np.uint8)
    header = IMAGES_MAGIC.to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in images.shape)
    write_idx_raw(path, header + images.tobytes()[:-10])
    with pytest.raises(ValueError, match=re.escape(
            f"{path} holds {5 * 784 - 10} bytes of data where its header announces shape "
            f"(5, 28, 28) ({5 * 784} bytes); the file is damaged: fetch the original file "
            "again.")):
        load_mnist(data_home=tmp_path)


def test_idx_truncated_labels(tmp_path):
    make_idx_set(tmp_path, "mnist", n_test=3)
    path = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    write_idx_raw(path, LABELS_MAGIC.to_bytes(4, "big") + (3).to_bytes(4, "big") + b"\x01")
    with pytest.raises(ValueError, match=re.escape(
            f"{path} holds 1 bytes of data where its header announces shape (3,) (3 bytes); "
            "the file is damaged: fetch the original file again.")):
        load_mnist(subset="test", data_home=tmp_path)


def test_idx_header_only_is_truncated(tmp_path):
    make_idx_set(tmp_path, "mnist", n_test=3)
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    write_idx_raw(path, IMAGES_MAGIC.to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in (3, 28, 28)))
    with pytest.raises(ValueError, match=re.escape(
            f"{path} holds 0 bytes of data where its header announces shape (3, 28, 28)")):
        load_mnist(subset="test", data_home=tmp_path)


# --------------------------------------------------------------------------- ECG5000

def test_ecg_bunch(tmp_path):
    data, labels = make_ecg(tmp_path, n=7)
    bunch = load_ecg5000(data_home=tmp_path)
    assert isinstance(bunch, Bunch)
    assert set(bunch) == {"data", "target", "DESCR"}
    assert bunch.data.shape == (7, 140)
    assert bunch.data.dtype == np.float64
    np.testing.assert_allclose(bunch.data, data, rtol=1e-7)
    assert bunch.target.shape == (7,)
    assert bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.target, labels)
    assert set(np.unique(bunch.target)) == {0, 1}
    assert "1 = normal" in bunch.DESCR


def test_ecg_label_is_the_last_column(tmp_path):
    # values 0..139 in every row, label 1 or 0: the label column must not leak into data
    values = np.tile(np.arange(140, dtype=np.float64), (3, 1))
    write_ecg_csv(tmp_path / "ecg5000" / "ecg.csv", values, [1, 0, 1])
    X, y = load_ecg5000(data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, values)
    np.testing.assert_array_equal(y, [1, 0, 1])
    assert X[:, -1].tolist() == [139.0] * 3


def test_ecg_return_X_y(tmp_path):
    data, labels = make_ecg(tmp_path, n=4)
    result = load_ecg5000(data_home=tmp_path, return_X_y=True)
    assert isinstance(result, tuple) and len(result) == 2
    X, y = result
    assert X.shape == (4, 140) and X.dtype == np.float64
    np.testing.assert_allclose(X, data, rtol=1e-7)
    np.testing.assert_array_equal(y, labels)


def test_ecg_single_row(tmp_path):
    make_ecg(tmp_path, n=1)
    X, y = load_ecg5000(data_home=tmp_path, return_X_y=True)
    assert X.shape == (1, 140)
    assert y.tolist() == [1]


@pytest.mark.parametrize("n_columns", [140, 142, 2])
def test_ecg_wrong_column_count(tmp_path, n_columns):
    path = tmp_path / "ecg5000" / "ecg.csv"
    path.parent.mkdir(parents=True)
    np.savetxt(path, np.zeros((3, n_columns)), delimiter=",")
    with pytest.raises(ValueError, match=re.escape(
            f"{path} has {n_columns} columns; ECG5000's ecg.csv has 141 "
            "(140 values and a label). Fetch the original file again.")):
        load_ecg5000(data_home=tmp_path)


def test_ecg_missing_file(tmp_path):
    folder = tmp_path / "ecg5000"
    expected = (
        f"ECG5000: ecg.csv was not found in {folder}. Put the original file there "
        "(the ecg.csv of TensorFlow's 'Intro to Autoencoders' tutorial), or pass "
        "data_home= (or set the environment variable SKLEARN_AE_DATA) to a folder that "
        "has a 'ecg5000' subfolder holding it."
    )
    with pytest.raises(FileNotFoundError, match=f"^{re.escape(expected)}$"):
        load_ecg5000(data_home=tmp_path)


def test_ecg_folder_instead_of_file_is_missing(tmp_path):
    (tmp_path / "ecg5000" / "ecg.csv").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"ECG5000: ecg.csv was not found in {tmp_path / 'ecg5000'}.")):
        load_ecg5000(data_home=tmp_path)


# --------------------------------------------------------------------------- ODDS

def test_odds_datasets_list():
    assert "pima" in ODDS_DATASETS
    assert len(ODDS_DATASETS) == 11
    assert len(set(ODDS_DATASETS)) == len(ODDS_DATASETS)
    assert all(isinstance(name, str) and "/" not in name for name in ODDS_DATASETS)


def test_odds_bunch(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    y = np.array([0, 0, 1, 0, 0, 0, 1, 0, 0, 1], dtype=np.float64).reshape(-1, 1)
    write_mat(tmp_path / "odds" / "pima.mat", X=X, y=y)
    bunch = load_odds("pima", data_home=tmp_path)
    assert isinstance(bunch, Bunch)
    assert set(bunch) == {"data", "target", "DESCR"}
    assert bunch.data.shape == (10, 4) and bunch.data.dtype == np.float64
    np.testing.assert_array_equal(bunch.data, X)
    assert bunch.target.shape == (10,)  # the (n, 1) column is raveled
    assert bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.target, y.ravel().astype(int))
    assert bunch.DESCR == "ODDS 'pima': 10 samples, 4 features, 3 outliers (target 1)."


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32])
def test_odds_integer_X_is_cast_to_float64(tmp_path, dtype):
    X = np.arange(12, dtype=dtype).reshape(6, 2)
    write_mat(tmp_path / "odds" / "breastw.mat", X=X, y=np.array([[1], [0], [0], [0], [1], [0]],
                                                                  dtype=np.uint8))
    assert scipy.io.loadmat(tmp_path / "odds" / "breastw.mat")["X"].dtype == dtype
    X_loaded, y = load_odds("breastw", data_home=tmp_path, return_X_y=True)
    assert X_loaded.dtype == np.float64
    np.testing.assert_array_equal(X_loaded, X.astype(np.float64))
    assert y.dtype == np.int64 and y.tolist() == [1, 0, 0, 0, 1, 0]


def test_odds_return_X_y(tmp_path):
    X = np.eye(3)
    write_mat(tmp_path / "odds" / "glass.mat", X=X, y=np.array([[0], [1], [0]]))
    result = load_odds("glass", data_home=tmp_path, return_X_y=True)
    assert isinstance(result, tuple) and len(result) == 2
    np.testing.assert_array_equal(result[0], X)
    assert result[1].shape == (3,)
    np.testing.assert_array_equal(result[1], [0, 1, 0])


def test_odds_other_name_in_folder_loads(tmp_path):
    assert "my-set" not in ODDS_DATASETS
    write_mat(tmp_path / "odds" / "my-set.mat", X=np.ones((2, 5)), y=np.array([[0], [1]]))
    X, y = load_odds("my-set", data_home=tmp_path, return_X_y=True)
    assert X.shape == (2, 5)
    assert y.tolist() == [0, 1]


@pytest.mark.parametrize("missing, variables", [
    (["y"], {"X": np.ones((3, 2))}),
    (["X"], {"y": np.ones((3, 1))}),
    (["X", "y"], {"Z": np.ones((3, 1))}),
])
def test_odds_mat_missing_variables(tmp_path, missing, variables):
    path = write_mat(tmp_path / "odds" / "pima.mat", **variables)
    with pytest.raises(ValueError, match=re.escape(
            f"{path} lacks the variable(s) {missing}; an ODDS .mat file holds X and y.")):
        load_odds("pima", data_home=tmp_path)


@pytest.mark.parametrize("name", ["../x", "odds/pima", "..\\x", "", None, 3, Path("pima")])
def test_odds_bad_name(tmp_path, name):
    write_mat(tmp_path / "odds" / "pima.mat", X=np.ones((2, 2)), y=np.zeros((2, 1)))
    write_mat(tmp_path / "x.mat", X=np.ones((2, 2)), y=np.zeros((2, 1)))
    with pytest.raises(ValueError, match=re.escape(
            f"name must be the name of an ODDS set such as 'pima', got {name!r}.")):
        load_odds(name, data_home=tmp_path)


def test_odds_missing_file(tmp_path):
    folder = tmp_path / "odds"
    expected = (
        f"ODDS set 'wbc': wbc.mat was not found in {folder}. Put the original file there "
        "(the .mat files of the ODDS library, odds.cs.stonybrook.edu), or pass data_home= "
        "(or set the environment variable SKLEARN_AE_DATA) to a folder that has a 'odds' "
        "subfolder holding it."
    )
    with pytest.raises(FileNotFoundError, match=f"^{re.escape(expected)}$"):
        load_odds("wbc", data_home=tmp_path)


def test_missing_file_message_names_env_var_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"ODDS set 'pima': pima.mat was not found in {tmp_path / 'nowhere' / 'odds'}.")):
        load_odds("pima")


# --------------------------------------------------------------------------- real data

def _real_data_home():
    home = os.environ.get(DATA_HOME_ENV)
    if home and (Path(home).expanduser() / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz").is_file():
        return Path(home).expanduser()
    return None


@pytest.mark.skipif(_real_data_home() is None,
                    reason="needs the real data sets: set SKLEARN_AE_DATA to the shared data folder")
def test_real_data_shapes():
    X, y = load_fashion_mnist(subset="test", return_X_y=True)
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert np.bincount(y).tolist() == [1000] * 10

    ecg = load_ecg5000()
    assert ecg.data.shape == (4998, 140)
    assert int((ecg.target == 1).sum()) == 2919
    assert int((ecg.target == 0).sum()) == 2079

    pima = load_odds("pima")
    assert pima.data.shape == (768, 8) and pima.data.dtype == np.float64
    assert pima.target.shape == (768,)
    assert int(pima.target.sum()) == 268
    assert set(np.unique(pima.target)) == {0, 1}


def test_idx_header_cut_short(tmp_path):
    make_idx_set(tmp_path, "mnist", n_test=3)
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    write_idx_raw(path, IMAGES_MAGIC.to_bytes(4, "big") + (3).to_bytes(4, "big"))
    with pytest.raises(ValueError, match=re.escape(
            f"{path} ends inside its header (8 bytes); the file is damaged: fetch the original "
            "file again.")):
        load_mnist(subset="test", data_home=tmp_path)


def test_idx_image_and_label_counts_must_match(tmp_path):
    make_idx_set(tmp_path, "mnist", n_train=5)
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=re.escape(
            "MNIST train set: 5 images but 4 labels; the files do not belong together.")):
        load_mnist(data_home=tmp_path)


def test_idx_raw_data_is_writable(tmp_path):
    make_idx_set(tmp_path, "mnist")
    X, _ = load_mnist(data_home=tmp_path, as_float=False, return_X_y=True)
    assert X.flags.writeable
    X[0, 0] = 7
    assert X[0, 0] == 7


def test_ecg_labels_must_be_zero_or_one(tmp_path):
    path = tmp_path / "ecg5000" / "ecg.csv"
    path.parent.mkdir()
    write_ecg_csv(path, np.zeros((3, 140)), [1, 0.5, 0])
    with pytest.raises(ValueError, match=re.escape(
            "the last column must hold the labels 0 and 1, found [0.  0.5 1. ]")):
        load_ecg5000(data_home=tmp_path)


def test_odds_rows_of_x_and_y_must_match(tmp_path):
    path = tmp_path / "odds" / "tiny.mat"
    path.parent.mkdir()
    scipy.io.savemat(path, {"X": np.zeros((4, 2)), "y": np.zeros((3, 1))})
    with pytest.raises(ValueError, match=re.escape("X has 4 rows but y has 3")):
        load_odds("tiny", data_home=tmp_path)


# --------------------------------------------------------------------------- fetch_*

@contextlib.contextmanager
def http_server(directory, truncate=False):
    """Serve ``directory`` on 127.0.0.1 in a thread; yield its address and the hits per path.

    With ``truncate``, every answer announces the whole file but sends only its first half,
    as a connection dropped in the middle of a download would.
    """
    hits = collections.Counter()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):
            hits[self.path] += 1
            path = Path(self.translate_path(self.path))
            if not truncate or not path.is_file():
                return super().do_GET()
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url():
    """An address on 127.0.0.1 where nothing listens: a connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def remote(tmp_path, monkeypatch):
    """A folder of fake original files, its checksums registered, and a data_home to fill."""
    folder = tmp_path / "remote"
    home = tmp_path / "home"
    make_idx_set(folder, "mnist", n_train=4, n_test=3, seed=1)
    make_idx_set(folder, "fashion_mnist", n_train=4, n_test=3, seed=2)
    make_ecg(folder, n=5)
    write_mat(folder / "odds" / "pima.mat", X=np.arange(8.0).reshape(4, 2),
              y=np.array([[0], [1], [0], [0]]))
    for subfolder in _fetch.CHECKSUMS:
        files = {p.name: sha256(p) for p in (folder / subfolder).iterdir()}
        if subfolder == "odds":
            files = {**_fetch.CHECKSUMS["odds"], **files}
        monkeypatch.setitem(_fetch.CHECKSUMS, subfolder, files)
    return folder, home


def point_mirrors(monkeypatch, *bases):
    for subfolder in _fetch.MIRRORS:
        monkeypatch.setitem(_fetch.MIRRORS, subfolder,
                            tuple(f"{base}/{subfolder}/" for base in bases))


def leftovers(folder):
    return sorted(p.name for p in Path(folder).rglob("*") if p.name.endswith(".part"))


def test_fetch_ecg_downloads_once_then_reads_the_cache(remote, monkeypatch):
    folder, home = remote
    with http_server(folder) as (url, hits):
        point_mirrors(monkeypatch, url)
        first = fetch_ecg5000(data_home=home)
        second = fetch_ecg5000(data_home=home, return_X_y=True)
    assert hits == {"/ecg5000/ecg.csv": 1}
    assert (home / "ecg5000" / "ecg.csv").read_bytes() == (folder / "ecg5000" / "ecg.csv").read_bytes()
    # Readable by other users of a shared data_home (mkstemp alone would give 0o600).
    assert (home / "ecg5000" / "ecg.csv").stat().st_mode & 0o777 == 0o644
    expected = load_ecg5000(data_home=folder)
    np.testing.assert_array_equal(first.data, expected.data)
    np.testing.assert_array_equal(second[1], expected.target)
    assert leftovers(home) == []


@pytest.mark.parametrize("fetch, subfolder", [(fetch_mnist, "mnist"),
                                              (fetch_fashion_mnist, "fashion_mnist")],
                         ids=IDX_IDS)
def test_fetch_idx_downloads_only_the_subset(remote, monkeypatch, fetch, subfolder):
    folder, home = remote
    with http_server(folder) as (url, hits):
        point_mirrors(monkeypatch, url)
        X, y = fetch(subset="test", data_home=home, return_X_y=True)
        assert set(hits) == {f"/{subfolder}/t10k-images-idx3-ubyte.gz",
                             f"/{subfolder}/t10k-labels-idx1-ubyte.gz"}
        bunch = fetch(subset="all", data_home=home, as_float=False)
    assert sum(hits.values()) == 4  # the test files were not downloaded again
    assert X.shape == (3, 784) and bunch.data.shape == (7, 784)
    loader = load_mnist if subfolder == "mnist" else load_fashion_mnist
    np.testing.assert_array_equal(bunch.data, loader(subset="all", data_home=folder,
                                                     as_float=False).data)


def test_fetch_odds(remote, monkeypatch):
    folder, home = remote
    with http_server(folder) as (url, hits):
        point_mirrors(monkeypatch, url)
        X, y = fetch_odds("pima", data_home=home, return_X_y=True)
        fetch_odds("pima", data_home=home)
    assert hits == {"/odds/pima.mat": 1}
    np.testing.assert_array_equal(X, np.arange(8.0).reshape(4, 2))
    assert y.tolist() == [0, 1, 0, 0]


def test_fetch_odds_unknown_name(tmp_path):
    with pytest.raises(ValueError, match=re.escape(
            "There is no known source for the ODDS set 'mine': fetch_odds downloads "
            f"{', '.join(ODDS_DATASETS)}. Put mine.mat in {tmp_path / 'odds'} to load it.")):
        fetch_odds("mine", data_home=tmp_path)
    # a file put there by hand loads, without a download
    write_mat(tmp_path / "odds" / "mine.mat", X=np.ones((2, 3)), y=np.array([[0], [1]]))
    assert fetch_odds("mine", data_home=tmp_path).data.shape == (2, 3)


def test_fetch_odds_bad_name(tmp_path):
    with pytest.raises(ValueError, match="name must be the name of an ODDS set"):
        fetch_odds("../pima", data_home=tmp_path)


def test_fetch_checksum_mismatch_leaves_nothing(remote, monkeypatch):
    folder, home = remote
    monkeypatch.setitem(_fetch.CHECKSUMS, "ecg5000", {"ecg.csv": "0" * 64})
    with http_server(folder) as (url, hits):
        point_mirrors(monkeypatch, url)
        with pytest.raises(OSError) as error:
            fetch_ecg5000(data_home=home)
    message = str(error.value)
    assert message.startswith(
        f"ECG5000: could not download ecg.csv into {home / 'ecg5000'}:\n"
        f"  {url}/ecg5000/ecg.csv: the file's SHA-256 checksum is "
        f"{sha256(folder / 'ecg5000' / 'ecg.csv')}, not the expected {'0' * 64}: it is "
        "damaged or not the original\n")
    assert not (home / "ecg5000" / "ecg.csv").exists()
    assert leftovers(home) == []


def test_fetch_interrupted_download_leaves_no_partial_file(remote, monkeypatch):
    folder, home = remote
    with http_server(folder, truncate=True) as (url, hits):
        point_mirrors(monkeypatch, url)
        with pytest.raises(OSError, match="it is damaged or not the original"):
            fetch_fashion_mnist(subset="test", data_home=home)
    assert hits  # the server was asked, and sent half a file
    assert list((home / "fashion_mnist").iterdir()) == []


def test_fetch_error_while_writing_removes_the_temporary_file(remote, monkeypatch):
    folder, home = remote

    def failing_replace(src, dst):
        raise OSError("No space left on device")

    monkeypatch.setattr(_fetch.os, "replace", failing_replace)
    with http_server(folder) as (url, _):
        point_mirrors(monkeypatch, url)
        with pytest.raises(OSError, match="No space left on device"):
            fetch_odds("pima", data_home=home)
    assert list((home / "odds").iterdir()) == []


def test_fetch_offline_error_says_what_to_do(tmp_path, monkeypatch):
    url = closed_port_url()
    point_mirrors(monkeypatch, url)
    with pytest.raises(OSError) as error:
        fetch_ecg5000(data_home=tmp_path)
    message = str(error.value)
    folder = tmp_path / "ecg5000"
    assert message.startswith(f"ECG5000: could not download ecg.csv into {folder}:\n"
                              f"  {url}/ecg5000/ecg.csv: ")
    assert "Connection refused" in message
    assert message.endswith(
        "\nCheck the network connection and try again. Without a network, download the file "
        "by hand from one of these addresses and put it in that folder, or set the "
        "environment variable SKLEARN_AE_DATA (or pass data_home=) to a folder with a "
        "'ecg5000' subfolder holding it.")
    assert leftovers(tmp_path) == []


def test_fetch_http_error_and_next_mirror(remote, monkeypatch, tmp_path):
    folder, home = remote
    empty = tmp_path / "empty"
    empty.mkdir()
    with http_server(empty) as (missing, _), http_server(folder) as (url, hits):
        point_mirrors(monkeypatch, closed_port_url(), missing, url)
        fetch_odds("pima", data_home=home)  # the third address serves it
        assert hits == {"/odds/pima.mat": 1}
        point_mirrors(monkeypatch, missing)
        with pytest.raises(OSError, match=re.escape(
                f"  {missing}/odds/wbc.mat: HTTP Error 404: File not found")):
            fetch_odds("wbc", data_home=home)


def test_fetch_download_if_missing_false(remote, monkeypatch):
    folder, home = remote
    with http_server(folder) as (url, hits):
        point_mirrors(monkeypatch, url)
        with pytest.raises(FileNotFoundError, match=re.escape(
                f"MNIST: train-images-idx3-ubyte.gz is not in {home / 'mnist'} and "
                "download_if_missing=False. Pass download_if_missing=True to download it "
                f"from {url}/mnist/train-images-idx3-ubyte.gz, or put the file there by "
                "hand.")):
            fetch_mnist(data_home=home, download_if_missing=False)
        assert not hits
        fetch_mnist(data_home=home)  # downloads
        X, _ = fetch_mnist(data_home=home, download_if_missing=False, return_X_y=True)
    assert X.shape == (4, 784)


def test_fetch_uses_the_data_home_environment_variable(remote, monkeypatch):
    folder, home = remote
    monkeypatch.setenv(DATA_HOME_ENV, str(home))
    with http_server(folder) as (url, _):
        point_mirrors(monkeypatch, url)
        fetch_odds("pima")
    assert (home / "odds" / "pima.mat").is_file()


def test_fetch_mirrors_and_checksums_cover_the_same_sets():
    assert set(_fetch.MIRRORS) == set(_fetch.CHECKSUMS)
    assert {name[: -len(".mat")] for name in _fetch.CHECKSUMS["odds"]} == set(ODDS_DATASETS)
    for subfolder, files in _fetch.CHECKSUMS.items():
        assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in files.values())
        assert all(base.endswith("/") for base in _fetch.MIRRORS[subfolder])


@pytest.mark.skipif(_real_data_home() is None,
                    reason="needs the real data sets: set SKLEARN_AE_DATA to the shared data folder")
def test_real_files_match_the_checksums():
    home = _real_data_home()
    for subfolder, files in _fetch.CHECKSUMS.items():
        for filename, digest in files.items():
            path = home / subfolder / filename
            if path.is_file():
                assert sha256(path) == digest, path


@pytest.mark.skipif(_real_data_home() is None,
                    reason="needs the real data sets: set SKLEARN_AE_DATA to the shared data folder")
def test_fetch_the_real_files_over_http(tmp_path, monkeypatch):
    # The real files, served from the shared data folder, pass the real checksums.
    with http_server(_real_data_home()) as (url, hits):
        point_mirrors(monkeypatch, url)
        ecg = fetch_ecg5000(data_home=tmp_path)
        X, y = fetch_fashion_mnist(subset="test", data_home=tmp_path, return_X_y=True)
        pima = fetch_odds("pima", data_home=tmp_path)
    assert len(hits) == 4
    assert ecg.data.shape == (4998, 140) and int(ecg.target.sum()) == 2919
    assert X.shape == (10000, 784) and np.bincount(y).tolist() == [1000] * 10
    assert pima.data.shape == (768, 8)
    assert leftovers(tmp_path) == []
