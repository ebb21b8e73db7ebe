"""Save and load fitted estimators without pickle: files that loading never runs code from.

A pickle can run any code when it is loaded, so a pickle from an untrusted source must not
be loaded. :func:`dump` writes a fitted estimator as data only: one zip file holding

- ``schema.json``: the versions it was made with and the estimator as a tree of JSON
  values: parameters, fitted attributes, nested estimators, each object named by its class
  (for instance ``"sklearn_ae._dense.AutoencoderTransformer"``);
- ``data.safetensors``: the numeric arrays and tensors (the network's weights, the
  optimizer's state, fitted arrays), in the safetensors format, which holds raw numbers and
  nothing else.

:func:`load` reads these two entries and nothing else. It builds objects only of the
classes of an allow-list: the estimators and internal classes of sklearn_ae, scikit-learn's
estimators (as :func:`sklearn.utils.all_estimators` lists them) and the torch modules of
sklearn_ae. A class name found in a file is looked up in that list, never imported; any
other name raises an error, unless the caller passes the class itself in ``trusted`` (the
module of an estimator that takes a user's network, for instance). Objects are rebuilt by
setting their attributes, without calling ``__init__`` or any other method of theirs,
except ``__setstate__`` for scikit-learn's estimators (which checks their version) and
the rebuilding of the fitted network, from the architecture recorded in the file, with the
package's own code.

Why not skops (``skops.io``), which has the same goal: it does not know skorch nets and
torch modules, which would then have to be stored by pickle or by a custom extension of
skops; safetensors plus JSON keeps every byte of the file inspectable and adds one small
dependency.

Needs the ``persist`` extra: ``pip install sklearn_ae[persist]`` (safetensors).
"""

import functools
import json
import re
import zipfile

import numpy as np
import sklearn
import skorch
import torch
from sklearn.base import BaseEstimator
from skorch.history import History
from torch import nn as _nn

from . import _version
from ._net import AutoencoderNet, KeepBestEarlyStopping
from ._persistence import VersionedPickleMixin, check_pickle_versions
from ._training import configure, make_net

__all__ = ["UntrustedTypeError", "dump", "load"]

#: The layout of the files; a file of a later layout is refused with a clear error.
FORMAT_VERSION = 1
_FORMAT = "sklearn_ae.io"
_SCHEMA, _DATA = "schema.json", "data.safetensors"

#: numpy dtypes stored as arrays (safetensors holds these and nothing else).
_NUMERIC_KINDS = "biuf"


class UntrustedTypeError(TypeError):
    """A file names a class that :func:`load` does not build unless told to trust it."""


def _name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _subclasses(cls):
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found


def _allowed_classes(trusted=()):
    """The classes :func:`load` builds, by qualified name: an allow-list, never an import."""
    classes = dict(_built_in_classes())
    for cls in trusted or ():
        if not isinstance(cls, type):
            raise TypeError(f"trusted must hold classes, got {cls!r}.")
        classes[_name(cls)] = cls
    return classes


@functools.cache
def _built_in_classes():
    """The allow-list without the caller's classes (scikit-learn's list is slow to walk)."""
    from sklearn.utils import all_estimators as sklearn_estimators

    from .utils import all_estimators

    classes = {cls for _, cls in sklearn_estimators()}
    classes |= {cls for _, cls in all_estimators()}
    # The package's own estimators and internal classes (scalers, nets, modules).
    classes |= {c for c in _subclasses(BaseEstimator) if c.__module__.startswith("sklearn_ae.")}
    classes |= {c for c in _subclasses(AutoencoderNet) if c.__module__.startswith("sklearn_ae.")}
    classes |= {c for c in _subclasses(_nn.Module) if c.__module__.startswith("sklearn_ae.")}
    return {_name(cls): cls for cls in classes}


# ---------------------------------------------------------------------------------- dump


class _Writer:
    """Turns Python values into JSON nodes, and arrays into entries of the safetensors file."""

    def __init__(self):
        self.arrays, self.seen = {}, {}  # seen: id of an estimator -> its reference number

    def array(self, value, kind):
        key = f"{kind}{len(self.arrays)}"
        self.arrays[key] = np.ascontiguousarray(value)
        return {"__type__": kind, "key": key}

    def encode(self, value, where):
        if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
            return {"__type__": "numpy_scalar", "dtype": value.dtype.str,
                    "value": value.item()}
        if value is None or isinstance(value, (bool, int, float, str)):
            if type(value) not in (type(None), bool, int, float, str):  # e.g. an IntEnum
                raise TypeError(f"{where}: cannot save a {type(value).__name__} safely.")
            return value
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple) and type(value) is tuple:
            return {"__type__": "tuple",
                    "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            return {"__type__": "dict", "items": [
                [self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]}
        if isinstance(value, np.ndarray):
            if value.dtype.kind in _NUMERIC_KINDS:
                return self.array(value, "ndarray")
            if value.dtype.kind in "OU" and all(isinstance(v, str) for v in value.flat):
                return {"__type__": "str_array", "shape": list(value.shape),
                        "items": [str(v) for v in value.flat]}
        if isinstance(value, np.dtype) and value.kind in _NUMERIC_KINDS:
            return {"__type__": "numpy_dtype", "name": value.str}
        if isinstance(value, torch.Tensor):
            return self.array(value.detach().cpu().numpy(), "tensor")
        if isinstance(value, torch.Size):
            return {"__type__": "torch_size", "items": list(value)}
        if isinstance(value, torch.dtype):
            return {"__type__": "torch_dtype", "name": str(value).removeprefix("torch.")}
        if isinstance(value, np.random.RandomState):
            return {"__type__": "random_state",
                    "state": self.encode(value.get_state(), f"{where}.get_state()")}
        if isinstance(value, type):
            return {"__type__": "class", "class": _name(value)}
        if isinstance(value, AutoencoderNet):
            return self.net(value, where)
        if isinstance(value, BaseEstimator):
            # An estimator met twice (a detector's estimator_ is its estimators_[0]) is
            # stored once and referred to, so that it is one object again when loaded.
            if id(value) in self.seen:
                return {"__type__": "ref", "id": self.seen[id(value)][0]}
            self.seen[id(value)] = (len(self.seen), value)  # keeps it alive: ids stay unique
            return {"__type__": "object", "id": self.seen[id(value)][0],
                    **self.estimator(value, where)}
        if isinstance(value, _nn.Module):
            # Loading would have to rebuild it, and its constructor's arguments are unknown.
            raise TypeError(
                f"{where}: cannot save a {type(value).__name__} instance safely: loading "
                "builds a module from its class and arguments only. Pass the class and its "
                "arguments (encoder=MyEncoder, encoder__width=64) to save the estimator "
                "with sklearn_ae.io, or use pickle for a file that you will only load "
                "yourself."
            )
        if type(value).__name__ in ("KDTree", "BallTree"):  # rebuilt from the fitted rows
            return {"__type__": "neighbors_tree"}
        raise TypeError(
            f"{where}: cannot save a {type(value).__name__} safely (only numbers, strings, "
            "arrays, tensors, containers of these and estimators). Set it to data, or use "
            "pickle for a file that you will only load yourself."
        )

    def estimator(self, est, where):
        if isinstance(est, VersionedPickleMixin):
            state = BaseEstimator.__getstate__(est)  # the network stays an object
        else:
            state = est.__getstate__()
        return {"class": _name(type(est)), "state": self.encode(
            {str(k): v for k, v in state.items()}, f"{where}.{type(est).__name__}")}

    def net(self, net, where):
        module = net.module
        module_kwargs = net.get_params_for("module") if isinstance(module, type) else None
        if not isinstance(module, type):
            raise TypeError(f"{where}: cannot save a net built around a module instance.")
        where = f"{where} (the net)"
        return {
            "__type__": "net",
            "class": _name(type(net)),
            "module": _name(module),
            "module_kwargs": self.encode(module_kwargs, f"{where}.module_kwargs"),
            "module_state": self.encode(dict(net.module_.state_dict()), f"{where}.module_"),
            "optimizer_state": self.encode(net.optimizer_.state_dict(),
                                           f"{where}.optimizer_"),
            "history": self.encode([dict(row) for row in net.history], f"{where}.history"),
        }


def dump(estimator, file):
    """Save a fitted (or unfitted) estimator to a file that is safe to load.

    The file holds data only (see the module's documentation): :func:`load` never runs code
    found in it, unlike :func:`pickle.load`. It records the versions of sklearn_ae, torch
    and scikit-learn, and loads under the same rule as the estimator's pickles.

    Parameters
    ----------
    estimator : estimator
        An estimator of sklearn_ae, of scikit-learn, or a pipeline of them. Parameters and
        fitted attributes must be data (numbers, strings, arrays, tensors, estimators):
        callbacks and functions cannot be saved this way.

    file : str, path-like or file-like object
        Where to write; by convention with the extension ``.skae``.

    See Also
    --------
    load : Load the estimator back.
    pickle.dump : Saves anything, but its files must come from a trusted source.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.io import dump, load
    >>> X = np.random.RandomState(0).normal(size=(50, 4))
    >>> ae = AutoencoderTransformer(n_components=2, max_iter=2, random_state=0).fit(X)
    >>> buffer = io.BytesIO()
    >>> dump(ae, buffer)
    >>> bool(np.array_equal(load(buffer).transform(X), ae.transform(X)))
    True
    """
    from safetensors.numpy import save as save_arrays

    writer = _Writer()
    tree = writer.encode(estimator, "estimator")
    schema = {
        "format": _FORMAT,
        "format_version": FORMAT_VERSION,
        "name": type(estimator).__name__,
        "versions": {"sklearn_ae": _version.__version__, "torch": torch.__version__,
                     "skorch": skorch.__version__, "sklearn": sklearn.__version__},
        "object": tree,
    }
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_SCHEMA, json.dumps(schema))
        archive.writestr(_DATA, save_arrays(writer.arrays))


# ---------------------------------------------------------------------------------- load


class _Reader:
    """Builds values from JSON nodes; objects only of the allowed classes."""

    def __init__(self, arrays, allowed):
        self.arrays, self.allowed, self.objects = arrays, allowed, {}

    def lookup(self, name):
        if not isinstance(name, str) or name not in self.allowed:
            raise UntrustedTypeError(
                f"The file names the class {name!r}, which sklearn_ae.io.load does not "
                "build: only the estimators of sklearn_ae and scikit-learn and the modules "
                "of sklearn_ae are loaded. If you trust the file and the class, pass the "
                "class itself in trusted=[...]."
            )
        return self.allowed[name]

    def stored(self, node):
        key = node.get("key")
        if key not in self.arrays:
            raise ValueError(f"The file refers to an array {key!r} that it does not hold.")
        return self.arrays[key]

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            raise ValueError(f"The file holds an unexpected value {node!r}.")
        kind = node.get("__type__")
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind == "dict":
            return {self.decode(k): self.decode(v) for k, v in node["items"]}
        if kind == "numpy_scalar":
            return np.dtype(self.numeric_dtype(node["dtype"])).type(node["value"])
        if kind == "ndarray":
            return self.stored(node).copy()
        if kind == "str_array":
            if not all(isinstance(item, str) for item in node["items"]):
                raise ValueError("The file holds an array of strings with other values.")
            return np.array(node["items"], dtype=object).reshape(node["shape"])
        if kind == "numpy_dtype":
            return self.numeric_dtype(node["name"])
        if kind == "tensor":
            return torch.from_numpy(self.stored(node).copy())
        if kind == "torch_size":
            return torch.Size([int(v) for v in node["items"]])
        if kind == "torch_dtype":
            dtype = getattr(torch, str(node["name"]), None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError(f"The file names an unknown torch dtype {node['name']!r}.")
            return dtype
        if kind == "random_state":
            state = np.random.RandomState()
            state.set_state(self.decode(node["state"]))
            return state
        if kind == "class":
            return self.lookup(node["class"])
        if kind == "object":
            obj = self.estimator(node)
            self.objects[node.get("id")] = obj
            return obj
        if kind == "ref":
            if node.get("id") not in self.objects:
                raise ValueError(f"The file refers to an object {node.get('id')!r} it does "
                                 "not hold before.")
            return self.objects[node["id"]]
        if kind == "neighbors_tree":
            return _TREE
        if kind == "net":
            return _NetNode(node)
        raise ValueError(f"The file holds a value of an unknown kind {kind!r}.")

    @staticmethod
    def numeric_dtype(name):
        dtype = np.dtype(str(name))
        if dtype.kind not in _NUMERIC_KINDS:
            raise ValueError(f"The file names the dtype {name!r}; only numbers are loaded.")
        return dtype

    def estimator(self, node):
        cls = self.lookup(node["class"])
        if not issubclass(cls, BaseEstimator):  # modules are built by the nets' code only
            raise UntrustedTypeError(f"{node['class']!r} is not an estimator.")
        state = self.decode(node["state"])
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise ValueError(f"The state of a {cls.__name__} in the file is not a dict.")
        nets = {k: v for k, v in state.items() if isinstance(v, _NetNode)}
        obj = cls.__new__(cls)
        if issubclass(cls, VersionedPickleMixin):
            BaseEstimator.__setstate__(obj, state)  # versions are checked once, by load
        elif hasattr(obj, "__setstate__"):
            obj.__setstate__(state)  # scikit-learn's version check
        else:
            obj.__dict__.update(state)
        if getattr(obj, "_tree", None) is _TREE:
            obj._tree = _rebuild_tree(obj)
        for key, net in nets.items():
            setattr(obj, key, self.net(net.node, obj))
            if key == "net_":
                obj.device_ = "cpu"
        return obj

    def net(self, node, owner):
        """The fitted skorch net of ``owner``, rebuilt by the package's code on the CPU."""
        net_class = self.lookup(node["class"])
        module = self.lookup(node["module"])
        if not (isinstance(net_class, type) and issubclass(net_class, AutoencoderNet)):
            raise UntrustedTypeError(f"{node['class']!r} is not a net of sklearn_ae.")
        if not (isinstance(module, type) and issubclass(module, _nn.Module)):
            raise UntrustedTypeError(f"{node['module']!r} is not a torch module.")
        kwargs = self.decode(node["module_kwargs"])
        dtype = kwargs.pop("dtype", None)
        net = make_net(net_class, module, name=type(owner).__name__, device="cpu",
                       callbacks=[("early_stopping", KeepBestEarlyStopping())],
                       module_kwargs=kwargs, dtype=dtype)
        probe = np.zeros((2, owner.n_features_in_),
                         dtype=np.float32 if dtype == torch.float32 else np.float64)
        config = owner._training_config(probe, owner.batch_size_, owner.max_iter_,
                                        False, 0, None)
        configure(net, config)
        with torch.random.fork_rng(devices=[]):  # the weights are overwritten below
            net.initialize()
        state = self.decode(node["module_state"])
        _allocate_optional_buffers(net.module_, state)
        net.module_.load_state_dict(state, strict=True)
        net.optimizer_.load_state_dict(self.decode(node["optimizer_state"]))
        net.history = History(self.decode(node["history"]))
        return net


def _allocate_optional_buffers(module, state):
    """Give the buffers that a new module registers as None (set once fitted, such as the
    dense module's ``fill_values``) a tensor of the saved shape, so that the saved state
    loads into them."""
    for key, value in state.items():
        path, _, leaf = key.rpartition(".")
        owner = module.get_submodule(path) if path else module
        if leaf in owner._buffers and owner._buffers[leaf] is None:
            owner._buffers[leaf] = torch.empty_like(value)


class _NetNode:
    """A net's node, rebuilt once the estimator that owns it is."""

    def __init__(self, node):
        self.node = node


_TREE = object()  # a KDTree or BallTree, rebuilt from the fitted rows


def _rebuild_tree(neighbors):
    from sklearn.neighbors import BallTree, KDTree

    tree = {"kd_tree": KDTree, "ball_tree": BallTree}[neighbors._fit_method]
    return tree(neighbors._fit_X, neighbors.leaf_size, metric=neighbors.effective_metric_,
                **(neighbors.effective_metric_params_ or {}))


def _read(file):
    """``(schema, arrays)`` of a file; never unpickles anything."""
    from safetensors.numpy import load as load_arrays

    try:
        with zipfile.ZipFile(file) as archive:
            schema = json.loads(archive.read(_SCHEMA))
            data = archive.read(_DATA)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            "This is not a file written by sklearn_ae.io.dump (a zip of schema.json and "
            f"data.safetensors): {exc}. A pickle must be loaded with pickle, and only from "
            "a trusted source."
        ) from exc
    if not isinstance(schema, dict) or schema.get("format") != _FORMAT:
        raise ValueError("This is not a file written by sklearn_ae.io.dump.")
    if not isinstance(schema.get("format_version"), int) or (
        schema["format_version"] > FORMAT_VERSION
    ):
        raise ValueError(
            f"This file has the layout {schema.get('format_version')!r}, written by a later "
            f"sklearn_ae (version {schema.get('versions', {}).get('sklearn_ae')}); this one "
            f"reads layouts up to {FORMAT_VERSION}. Upgrade sklearn_ae to load it."
        )
    try:
        arrays = load_arrays(data)
    except Exception as exc:  # safetensors parses raw numbers only; anything else is refused
        raise ValueError(f"The arrays of this file cannot be read as safetensors: {exc}") from exc
    return schema, arrays


def load(file, *, trusted=None):
    """Load an estimator saved by :func:`dump`, without running code from the file.

    Only classes of an allow-list are built (the estimators of sklearn_ae and scikit-learn,
    the modules of sklearn_ae); any other class name raises :class:`UntrustedTypeError`
    before anything is built. The fitted network is rebuilt on the CPU, with its weights,
    optimizer state and history, so that the estimator predicts as it did and can be
    trained on (``partial_fit``, ``warm_start``).

    Parameters
    ----------
    file : str, path-like or file-like object
        A file written by :func:`dump`.

    trusted : sequence of type or None, default=None
        Further classes to build, e.g. the torch module of an estimator that takes a user's
        network. Pass classes, not names: only what you import yourself is trusted.

    Returns
    -------
    estimator : estimator
        The estimator.

    Raises
    ------
    ValueError
        If the file is not one of :func:`dump`'s, or was made with versions of sklearn_ae
        or torch that cannot load here (the rule and messages of the pickles).
    UntrustedTypeError
        If the file names a class outside the allow-list and ``trusted``.

    See Also
    --------
    dump : Save an estimator.

    Examples
    --------
    >>> import io
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_ae.io import dump, load
    >>> buffer = io.BytesIO()
    >>> dump(StandardScaler().fit([[0.0], [2.0]]), buffer)
    >>> load(buffer).mean_
    array([1.])
    """
    if hasattr(file, "seek"):
        file.seek(0)
    schema, arrays = _read(file)
    versions = schema.get("versions") or {}
    name = re.sub(r"[^\w.]", "", str(schema.get("name", "estimator")))[:100]
    check_pickle_versions(name, str(versions.get("sklearn_ae")), versions.get("torch"),
                          kind="file")
    reader = _Reader(arrays, _allowed_classes(trusted))
    try:
        return reader.decode(schema.get("object"))
    except UntrustedTypeError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, RuntimeError) as exc:
        # A damaged or hand-made file: its data do not fit what they claim to be.
        raise ValueError(
            f"This file could not be loaded: {type(exc).__name__}: {exc}. It was not "
            "written by sklearn_ae.io.dump, or it was changed since."
        ) from exc
