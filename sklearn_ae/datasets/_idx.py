"""MNIST and Fashion-MNIST from their original idx ``.gz`` files."""

import gzip

import numpy as np
from sklearn.utils import Bunch

from ._home import find_file

_SUBSETS = {"train": "train", "test": "t10k"}


def _read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if found != magic:
        raise ValueError(f"{path} is not an idx file of the expected kind (magic {found}, "
                         f"expected {magic}); the file may be damaged or of another data set.")
    n_dims = magic & 0xFF
    offset = 4 + 4 * n_dims
    if len(data) < offset:
        raise ValueError(f"{path} ends inside its header ({len(data)} bytes); the file is "
                         "damaged: fetch the original file again.")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    expected = int(np.prod(shape))
    if len(data) - offset != expected:
        raise ValueError(f"{path} holds {len(data) - offset} bytes of data where its header "
                         f"announces shape {shape} ({expected} bytes); the file is damaged: "
                         "fetch the original file again.")
    # A writable copy: frombuffer over bytes would give a read-only array.
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape).copy()


def idx_file_names(subset):
    """``[(part, images file, labels file), ...]`` of a subset, train before test."""
    if subset not in ("train", "test", "all"):
        raise ValueError(f"subset must be 'train', 'test' or 'all', got {subset!r}.")
    parts = ["train", "test"] if subset == "all" else [subset]
    return [(part, f"{_SUBSETS[part]}-images-idx3-ubyte.gz",
             f"{_SUBSETS[part]}-labels-idx1-ubyte.gz") for part in parts]


def _load_idx_pair(name, subfolder, source, descr, subset, data_home, return_X_y, as_float):
    images, labels = [], []
    for part, images_file, labels_file in idx_file_names(subset):
        images.append(_read_idx(find_file(data_home, subfolder, images_file, name, source), 2051))
        labels.append(_read_idx(find_file(data_home, subfolder, labels_file, name, source), 2049))
        if len(images[-1]) != len(labels[-1]):
            raise ValueError(f"{name} {part} set: {len(images[-1])} images but "
                             f"{len(labels[-1])} labels; the files do not belong together.")
    images = np.concatenate(images) if len(images) > 1 else images[0]
    target = (np.concatenate(labels) if len(labels) > 1 else labels[0]).astype(np.int64)
    image_shape = images.shape[1:]
    data = images.reshape(len(images), -1)
    if as_float:
        data = data.astype(np.float32) / np.float32(255)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, images=data.reshape(-1, *image_shape),
                 feature_names=[f"pixel_{i}" for i in range(data.shape[1])], DESCR=descr)


def load_mnist(*, subset="train", data_home=None, return_X_y=False, as_float=True):
    """Load the MNIST handwritten digits (28x28 grey images, 10 classes).

    Reads the four original idx ``.gz`` files from ``data_home/mnist``.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The 60,000 training images, the 10,000 test images, or both (train first).
    data_home : str or path-like, default=None
        Folder holding the ``mnist`` subfolder; see :func:`get_data_home`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_float : bool, default=True
        If True, pixels are float32 in [0, 1]; else the raw uint8 values 0..255.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` of shape (n_samples, 784), ``target`` (digits 0..9) of shape (n_samples,),
        ``images`` of shape (n_samples, 28, 28) (a view of ``data``), ``feature_names`` and
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from sklearn_ae.datasets import load_mnist
    >>> X, y = load_mnist(subset="test", return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (10000, 784)
    """
    return _load_idx_pair("MNIST", "mnist", "the MNIST idx .gz files by LeCun, Cortes and Burges",
                          "MNIST handwritten digits, 28x28 grey pixels, labels 0..9.",
                          subset, data_home, return_X_y, as_float)


def load_fashion_mnist(*, subset="train", data_home=None, return_X_y=False, as_float=True):
    """Load Fashion-MNIST (28x28 grey images of clothing, 10 classes).

    Reads the four original idx ``.gz`` files from ``data_home/fashion_mnist``. Labels:
    0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
    8 Bag, 9 Ankle boot.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The 60,000 training images, the 10,000 test images, or both (train first).
    data_home : str or path-like, default=None
        Folder holding the ``fashion_mnist`` subfolder; see :func:`get_data_home`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_float : bool, default=True
        If True, pixels are float32 in [0, 1]; else the raw uint8 values 0..255.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` of shape (n_samples, 784), ``target`` of shape (n_samples,), ``images`` of
        shape (n_samples, 28, 28), ``feature_names`` and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True
    """
    return _load_idx_pair("Fashion-MNIST", "fashion_mnist",
                          "the Fashion-MNIST idx .gz files by Zalando Research",
                          "Fashion-MNIST, Zalando article images, 28x28 grey pixels, 10 classes.",
                          subset, data_home, return_X_y, as_float)
