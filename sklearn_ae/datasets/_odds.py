"""Outlier-detection benchmark sets of ODDS (Rayana, 2016), from their ``.mat`` files."""

import numpy as np
import scipy.io
from sklearn.utils import Bunch

from ._home import find_file

#: The ODDS sets used by the benchmarks (any other ``<name>.mat`` in the folder loads too).
ODDS_DATASETS = ("breastw", "glass", "ionosphere", "letter", "lympho", "optdigits", "pima",
                 "satimage-2", "vertebral", "vowels", "wbc")


def check_odds_name(name):
    """Refuse anything but a plain file stem, so that a name cannot leave the folder."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"name must be the name of an ODDS set such as 'pima', got {name!r}.")


def load_odds(name, *, data_home=None, return_X_y=False):
    """Load one ODDS outlier-detection set.

    Reads ``data_home/odds/<name>.mat``, a MATLAB file with ``X`` and ``y``.

    Parameters
    ----------
    name : str
        Set name, e.g. ``'pima'``; see :data:`ODDS_DATASETS`.
    data_home : str or path-like, default=None
        Folder holding the ``odds`` subfolder; see :func:`get_data_home`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` float64 of shape (n_samples, n_features); ``target`` int of shape
        (n_samples,), 1 = outlier, 0 = inlier; ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True
    """
    check_odds_name(name)
    path = find_file(data_home, "odds", f"{name}.mat", f"ODDS set {name!r}",
                     "the .mat files of the ODDS library, odds.cs.stonybrook.edu")
    mat = scipy.io.loadmat(path)
    missing = {"X", "y"} - set(mat)
    if missing:
        raise ValueError(f"{path} lacks the variable(s) {sorted(missing)}; an ODDS .mat file "
                         "holds X and y.")
    data = np.asarray(mat["X"], dtype=np.float64)
    target = np.asarray(mat["y"]).ravel().astype(np.int64)
    if len(target) != len(data):
        raise ValueError(f"{path}: X has {len(data)} rows but y has {len(target)}; the file is "
                         "damaged.")
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target,
                 DESCR=f"ODDS '{name}': {data.shape[0]} samples, {data.shape[1]} features, "
                       f"{int(target.sum())} outliers (target 1).")
