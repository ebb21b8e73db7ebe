"""Tests of the data-set loaders of ``sklearn_ae.datasets``.

Nothing is downloaded: every test writes small fake files in ``tmp_path`` in the exact
original formats (gzip idx, headerless ECG csv, MATLAB .mat). The last test reads the
real shared data, and is skipped unless ``SKLEARN_AE_DATA`` points at it.
"""

import gzip
import os
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from sklearn.utils import Bunch

from sklearn_ae.datasets import (
    ODDS_DATASETS,
    get_data_home,
    load_ecg5000,
    load_fashion_mnist,
    load_mnist,
    load_odds,
)
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
