"""Pickling a fitted estimator: its versions are checked before torch reads its network.

A pickle records the versions of sklearn_ae, torch and skorch it was made with; loading it
elsewhere either works or raises a ``ValueError`` that names the versions to install
(:func:`check_pickle_versions`), instead of failing somewhere inside torch.
"""

import pickle
import re

import skorch
import torch

from . import _version


def _release(version):
    """``(major, minor)`` of a version string such as ``'2.13.0+cpu'``, or None."""
    match = re.match(r"(\d+)\.(\d+)", str(version))
    return (int(match[1]), int(match[2])) if match else None


def check_pickle_versions(name, saved_sklearn_ae, saved_torch, kind="pickle"):
    """Raise a clear error when a pickle made with these versions cannot be loaded here.

    The rule: a pickle loads with the release series of sklearn_ae it was made with (same
    major and minor version; patch releases keep the fitted attributes), and with the torch
    it was made with or a later release of the same major version (torch reads the files of
    its earlier releases, but promises nothing of older releases reading newer files).
    ``kind='file'`` words the errors for the files of :func:`sklearn_ae.io.dump`, which
    follow the same rule.
    """
    made, thing = ("pickled", "A pickle") if kind == "pickle" else ("saved", "A saved file")
    installed_version = _version.__version__  # read at each call: tests may patch it
    saved, installed = _release(saved_sklearn_ae), _release(installed_version)
    if saved != installed:
        series = f"{saved[0]}.{saved[1]}" if saved else saved_sklearn_ae
        raise ValueError(
            f"This {name} was {made} with sklearn_ae {saved_sklearn_ae}, but sklearn_ae "
            f"{installed_version} is installed. {thing} loads only with the release "
            f"series it was made with ({series}.*): the fitted attributes may change between "
            f"series. Install sklearn_ae {series}.* to load it (pip install "
            f"'sklearn_ae=={series}.*'), or fit the estimator again."
        )
    saved, installed = _release(saved_torch), _release(torch.__version__)
    if saved is not None and installed is not None and (
        installed[0] != saved[0] or installed < saved
    ):
        reason = "another major version" if installed[0] != saved[0] else "an older release"
        raise ValueError(
            f"This {name} was {made} with torch {saved_torch}, but torch {torch.__version__} "
            f"is installed, {reason}. Its network loads with torch {saved[0]}.{saved[1]} or a "
            f"later {saved[0]}.x release: install one (pip install "
            f"'torch>={saved[0]}.{saved[1]},<{saved[0] + 1}'), or fit the estimator again."
        )


class VersionedPickleMixin:
    """Pickles that record their versions and load a network trained on a GPU on a CPU.

    The fitted skorch net (``net_``) is pickled apart, as bytes, so that
    :meth:`__setstate__` checks the versions before torch reads it. Mixed in on the left of
    :class:`~sklearn.base.BaseEstimator`, whose own pickling (``_sklearn_version``) it
    extends.
    """

    def __getstate__(self):
        state = dict(
            super().__getstate__(),
            _sklearn_ae_version=_version.__version__,
            _torch_version=torch.__version__,
            _skorch_version=skorch.__version__,
        )
        if "net_" in state:
            state["net_"] = pickle.dumps(state["net_"], protocol=pickle.HIGHEST_PROTOCOL)
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved_sklearn_ae = state.pop("_sklearn_ae_version", None)
        saved_torch = state.pop("_torch_version", None)
        saved_skorch = state.pop("_skorch_version", None)
        name = type(self).__name__
        if saved_sklearn_ae is not None:
            check_pickle_versions(name, saved_sklearn_ae, saved_torch)
        if isinstance(state.get("net_"), bytes):
            try:
                # skorch maps a network trained on a GPU to the CPU when CUDA is missing.
                state["net_"] = pickle.loads(state["net_"])
            except Exception as exc:
                raise ValueError(
                    f"This {name} could not load its trained network, pickled with torch "
                    f"{saved_torch} and skorch {saved_skorch} (installed: torch "
                    f"{torch.__version__}, skorch {skorch.__version__}): {exc}. Install the "
                    "versions it was pickled with, or fit the estimator again."
                ) from exc
            state["device_"] = str(state["net_"].device)
        super().__setstate__(state)
