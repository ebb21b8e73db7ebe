"""ECG5000 heartbeats, as in TensorFlow's autoencoder tutorial."""

import numpy as np
from sklearn.utils import Bunch

from ._home import find_file


def load_ecg5000(*, data_home=None, return_X_y=False):
    """Load ECG5000: 4998 heartbeats of 140 samples each, labelled normal or abnormal.

    Reads ``data_home/ecg5000/ecg.csv`` (no header; 140 float columns, then the label).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the ``ecg5000`` subfolder; see :func:`get_data_home`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` float64 of shape (4998, 140); ``target`` int of shape (4998,) with
        1 = normal rhythm (2919 beats) and 0 = abnormal (2079), as in the file;
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True
    """
    path = find_file(data_home, "ecg5000", "ecg.csv", "ECG5000",
                     "the ecg.csv of TensorFlow's 'Intro to Autoencoders' tutorial")
    raw = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    if raw.shape[1] != 141:
        raise ValueError(f"{path} has {raw.shape[1]} columns; ECG5000's ecg.csv has 141 "
                         "(140 values and a label). Fetch the original file again.")
    data, labels = raw[:, :-1], raw[:, -1]
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{path}: the last column must hold the labels 0 and 1, found "
                         f"{np.unique(labels)[:5]}. Fetch the original file again.")
    target = labels.astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target,
                 DESCR="ECG5000 heartbeats (140 samples each); target 1 = normal, 0 = abnormal.")
