"""Where the data files live: ``data_home``."""

import os
from pathlib import Path

#: Environment variable naming the data folder when no ``data_home`` is passed.
DATA_HOME_ENV = "SKLEARN_AE_DATA"


def get_data_home(data_home=None):
    """Return the folder the loaders read from.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder. If None, the environment variable ``SKLEARN_AE_DATA`` names it, else
        ``~/sklearn_ae_data``. The folder is not created.

    Returns
    -------
    data_home : pathlib.Path
        The folder, with ``~`` expanded.
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~") / "sklearn_ae_data"
    return Path(data_home).expanduser()


def find_file(data_home, subfolder, filename, what, source):
    """Path of ``data_home/subfolder/filename``, or a FileNotFoundError saying where to put it."""
    folder = get_data_home(data_home) / subfolder
    path = folder / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"{what}: {filename} was not found in {folder}. Put the original file there "
            f"({source}), or pass data_home= (or set the environment variable "
            f"{DATA_HOME_ENV}) to a folder that has a '{subfolder}' subfolder holding it."
        )
    return path
