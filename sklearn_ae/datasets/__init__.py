"""Loaders for the real data sets used by the examples and benchmarks.

They read the original files (MNIST and Fashion-MNIST idx ``.gz``, the ECG5000 csv, ODDS
``.mat``) from a local folder, ``data_home``; nothing is downloaded.
"""

from ._ecg5000 import load_ecg5000
from ._home import get_data_home
from ._idx import load_fashion_mnist, load_mnist
from ._odds import ODDS_DATASETS, load_odds

__all__ = [
    "ODDS_DATASETS",
    "get_data_home",
    "load_ecg5000",
    "load_fashion_mnist",
    "load_mnist",
    "load_odds",
]
