"""The real data sets used by the examples and benchmarks.

The ``load_*`` functions read the original files (MNIST and Fashion-MNIST idx ``.gz``, the
ECG5000 csv, ODDS ``.mat``) from a local folder, ``data_home``, and never download. The
``fetch_*`` functions download the missing files once into ``data_home`` from their public
sources, verified against SHA-256 checksums, then read them with the matching loader.
"""

from ._ecg5000 import load_ecg5000
from ._fetch import fetch_ecg5000, fetch_fashion_mnist, fetch_mnist, fetch_odds
from ._home import get_data_home
from ._idx import load_fashion_mnist, load_mnist
from ._odds import ODDS_DATASETS, load_odds

__all__ = [
    "ODDS_DATASETS",
    "fetch_ecg5000",
    "fetch_fashion_mnist",
    "fetch_mnist",
    "fetch_odds",
    "get_data_home",
    "load_ecg5000",
    "load_fashion_mnist",
    "load_mnist",
    "load_odds",
]
