"""Download the data sets once into ``data_home``: the ``fetch_*`` functions.

Each ``fetch_*`` makes sure the original files are in ``data_home`` (downloading the missing
ones from their public source, verified against a SHA-256 checksum) and then reads them with
the matching ``load_*`` function, so that both return the same data.
"""

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request

from ._ecg5000 import load_ecg5000
from ._home import DATA_HOME_ENV, get_data_home
from ._idx import idx_file_names, load_fashion_mnist, load_mnist
from ._odds import ODDS_DATASETS, check_odds_name, load_odds

#: Where each data set's files are published: base addresses tried in order, to which the
#: file name is appended. Point an entry at a mirror of your own to download from there.
#: MNIST: LeCun's page no longer serves the files to scripts; these mirrors serve the
#: original files (PyTorch's and TensorFlow's). Fashion-MNIST: Zalando's own addresses.
#: ECG5000: the file of TensorFlow's "Intro to Autoencoders" tutorial. ODDS: the .mat
#: files of odds.cs.stonybrook.edu (whose own links go through a file-sharing service), as
#: committed unchanged in the PyOD repository.
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion_mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    "ecg5000": ("http://storage.googleapis.com/download.tensorflow.org/data/",),
    "odds": (
        "https://raw.githubusercontent.com/yzhao062/pyod/"
        "ef6d5e8dc828615f498286c1d6a22cbd02fd4cd2/notebooks/data/",
    ),
}

#: SHA-256 of each original file, by subfolder of ``data_home`` and file name. The idx files
#: are those whose MD5 the publishers list.
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
    "ecg5000": {
        "ecg.csv": "72ce7b040ca0c6ed36c3368e570c6ac4ddf20100476e47373c63b2395e012df1",
    },
    "odds": {
        "breastw.mat": "a2e3f7c7f61ddde87c4373f0c0539de996227b9659c70b3c227948ebf0c6062b",
        "glass.mat": "2c506e6e1e2ca1e82a905d10a90773151ff812c4bd969c71a12db5b2bb6e7921",
        "ionosphere.mat": "8ac5dfa6f47db4acdfe10615489b7f7dd015d79d5b381ce641e72baca3cfefb0",
        "letter.mat": "f4a229b0e2a6b0c9157ce27fa760bcbac0f948cd690b2f5d51c120e5450f2195",
        "lympho.mat": "031b907ecb50347720b08b38f8139d05635adeca9335a064d89d5569c27a5834",
        "optdigits.mat": "30c664cd6f3740a173277a27cd1028d471b06f0835a9902c9712749cec58c1c4",
        "pima.mat": "b6a5be8d548b9293d6958beceb1c77055591714d25d40d957eba87808456468f",
        "satimage-2.mat": "95c37a07cea2cb201f6900d14f521510e10b6b2f0074c06ac46d3157440ec67b",
        "vertebral.mat": "84b50b055f118f54b5c976650ccd284ab7c1adee822f8b3eb517c7e2c890d15e",
        "vowels.mat": "51d5397bad1ceeda22b7cd44fd58125c5d603c9c2edb53aa59933330e259ac7b",
        "wbc.mat": "afe6b26953cc196b9a480318c903e0edef22529c2f61bd02082438c6e70630a7",
    },
}

#: Seconds to wait for a server to answer or to send more bytes.
TIMEOUT = 60
_CHUNK = 1 << 20


class ChecksumError(OSError):
    """A downloaded file is not the original: its SHA-256 checksum differs."""


def _download(url, path, sha256):
    """Download `url` to `path`: into a temporary file beside it, verified, then renamed.

    ``os.replace`` is atomic, so `path` either does not exist or holds the whole, verified
    file, also when the download is interrupted or two processes fetch at once. Any failure
    removes the temporary file.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            while chunk := answer.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ChecksumError(
                f"the file's SHA-256 checksum is {digest.hexdigest()}, not the expected "
                f"{sha256}: it is damaged or not the original"
            )
        # mkstemp creates the file readable by its owner only; a data_home shared between
        # users must stay readable (os.umask would be process-wide, so no umask dance).
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fetch_files(what, subfolder, filenames, data_home, download_if_missing):
    """Make sure ``data_home/subfolder/<filename>`` exist, downloading the missing ones."""
    folder = get_data_home(data_home) / subfolder
    for filename in filenames:
        path = folder / filename
        if path.is_file():
            continue
        urls = [base + filename for base in MIRRORS[subfolder]]
        if not download_if_missing:
            raise FileNotFoundError(
                f"{what}: {filename} is not in {folder} and download_if_missing=False. Pass "
                f"download_if_missing=True to download it from {urls[0]}, or put the file "
                "there by hand."
            )
        folder.mkdir(parents=True, exist_ok=True)
        failures = []
        for url in urls:
            try:
                _download(url, path, CHECKSUMS[subfolder][filename])
                break
            except (OSError, http.client.HTTPException) as error:
                # An HTTPError says its status code; a plain URLError wraps the reason.
                reason = error.reason if type(error) is urllib.error.URLError else error
                failures.append(f"  {url}: {reason}")
        else:
            raise OSError(
                f"{what}: could not download {filename} into {folder}:\n"
                + "\n".join(failures)
                + "\nCheck the network connection and try again. Without a network, download "
                "the file by hand from one of these addresses and put it in that folder, or "
                f"set the environment variable {DATA_HOME_ENV} (or pass data_home=) to a "
                f"folder with a '{subfolder}' subfolder holding it."
            )


def fetch_mnist(*, subset="train", data_home=None, download_if_missing=True,
                return_X_y=False, as_float=True):
    """Load MNIST, downloading its original files into ``data_home`` the first time.

    The four idx ``.gz`` files (about 11 MB in all) are downloaded once into
    ``data_home/mnist``, from the first of ``MIRRORS['mnist']`` that answers, and verified
    against their SHA-256 checksums; later calls read the cached files. The data are then
    read by :func:`load_mnist`.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The 60,000 training images, the 10,000 test images, or both (train first). Only
        the files of the subset are downloaded.

    data_home : str or path-like, default=None
        Folder holding the ``mnist`` subfolder, created if needed; see
        :func:`get_data_home`.

    download_if_missing : bool, default=True
        If False, raise a FileNotFoundError instead of downloading a missing file.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_float : bool, default=True
        If True, pixels are float32 in [0, 1]; else the raw uint8 values 0..255.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_mnist`.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (n_samples, 784) and ``target`` of shape (n_samples,).

    See Also
    --------
    load_mnist : Read the files already in ``data_home``, never downloading.
    sklearn.datasets.fetch_openml : scikit-learn's way to download MNIST, as a csv-like table.

    Examples
    --------
    >>> from sklearn_ae.datasets import fetch_mnist
    >>> X, y = fetch_mnist(subset="test", return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (10000, 784)
    """
    files = [name for _, *names in idx_file_names(subset) for name in names]
    _fetch_files("MNIST", "mnist", files, data_home, download_if_missing)
    return load_mnist(subset=subset, data_home=data_home, return_X_y=return_X_y,
                      as_float=as_float)


def fetch_fashion_mnist(*, subset="train", data_home=None, download_if_missing=True,
                        return_X_y=False, as_float=True):
    """Load Fashion-MNIST, downloading its original files into ``data_home`` the first time.

    The four idx ``.gz`` files (about 30 MB in all) are downloaded once into
    ``data_home/fashion_mnist`` from Zalando Research's addresses
    (``MIRRORS['fashion_mnist']``), verified against their SHA-256 checksums; later calls
    read the cached files. The data are then read by :func:`load_fashion_mnist`.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The 60,000 training images, the 10,000 test images, or both (train first). Only
        the files of the subset are downloaded.

    data_home : str or path-like, default=None
        Folder holding the ``fashion_mnist`` subfolder, created if needed; see
        :func:`get_data_home`.

    download_if_missing : bool, default=True
        If False, raise a FileNotFoundError instead of downloading a missing file.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_float : bool, default=True
        If True, pixels are float32 in [0, 1]; else the raw uint8 values 0..255.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_fashion_mnist`.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (n_samples, 784) and ``target`` of shape (n_samples,).

    See Also
    --------
    load_fashion_mnist : Read the files already in ``data_home``, never downloading.

    Examples
    --------
    >>> from sklearn_ae.datasets import fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="test", return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (10000, 784)
    """
    files = [name for _, *names in idx_file_names(subset) for name in names]
    _fetch_files("Fashion-MNIST", "fashion_mnist", files, data_home, download_if_missing)
    return load_fashion_mnist(subset=subset, data_home=data_home, return_X_y=return_X_y,
                              as_float=as_float)


def fetch_ecg5000(*, data_home=None, download_if_missing=True, return_X_y=False):
    """Load ECG5000, downloading its csv into ``data_home`` the first time.

    The ``ecg.csv`` of TensorFlow's "Intro to Autoencoders" tutorial (about 8 MB) is
    downloaded once into ``data_home/ecg5000`` and verified against its SHA-256 checksum;
    later calls read the cached file. The data are then read by :func:`load_ecg5000`.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the ``ecg5000`` subfolder, created if needed; see
        :func:`get_data_home`.

    download_if_missing : bool, default=True
        If False, raise a FileNotFoundError instead of downloading a missing file.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_ecg5000`: 4998 heartbeats of 140 values, target
        1 = normal, 0 = abnormal.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (4998, 140) and ``target`` of shape (4998,).

    See Also
    --------
    load_ecg5000 : Read the file already in ``data_home``, never downloading.

    Examples
    --------
    >>> from sklearn_ae.datasets import fetch_ecg5000
    >>> X, y = fetch_ecg5000(return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (4998, 140)
    """
    _fetch_files("ECG5000", "ecg5000", ["ecg.csv"], data_home, download_if_missing)
    return load_ecg5000(data_home=data_home, return_X_y=return_X_y)


def fetch_odds(name, *, data_home=None, download_if_missing=True, return_X_y=False):
    """Load one ODDS outlier-detection set, downloading its ``.mat`` file the first time.

    The file ``<name>.mat`` of the ODDS library (Rayana, 2016) is downloaded once into
    ``data_home/odds`` and verified against its SHA-256 checksum; later calls read the
    cached file. The data are then read by :func:`load_odds`.

    Parameters
    ----------
    name : str
        One of :data:`ODDS_DATASETS`, e.g. ``'pima'``. Another name loads a file already
        in the folder, but cannot be downloaded.

    data_home : str or path-like, default=None
        Folder holding the ``odds`` subfolder, created if needed; see
        :func:`get_data_home`.

    download_if_missing : bool, default=True
        If False, raise a FileNotFoundError instead of downloading a missing file.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_odds`: target 1 = outlier, 0 = inlier.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (n_samples, n_features) and ``target`` of shape (n_samples,).

    See Also
    --------
    load_odds : Read the file already in ``data_home``, never downloading.

    Examples
    --------
    >>> from sklearn_ae.datasets import fetch_odds
    >>> X, y = fetch_odds("pima", return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (768, 8)
    """
    check_odds_name(name)
    filename = f"{name}.mat"
    folder = get_data_home(data_home) / "odds"
    if filename not in CHECKSUMS["odds"] and not (folder / filename).is_file():
        raise ValueError(
            f"There is no known source for the ODDS set {name!r}: fetch_odds downloads "
            f"{', '.join(ODDS_DATASETS)}. Put {filename} in {folder} to load it."
        )
    if filename in CHECKSUMS["odds"]:
        _fetch_files(f"ODDS set {name!r}", "odds", [filename], data_home, download_if_missing)
    return load_odds(name, data_home=data_home, return_X_y=return_X_y)
