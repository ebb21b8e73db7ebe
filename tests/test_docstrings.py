"""Every public parameter, fitted attribute and method of every estimator is documented."""

import inspect

import numpy as np
import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc

import sklearn_ae
from _instances import FAST_PARAMS
from sklearn_ae.utils import all_estimators

ESTIMATORS = all_estimators()


def _documented(section):
    names = set()
    for item in section:
        # numpydoc allows "a, b : type" for several names at once; "**kwargs" documents the
        # parameter that inspect names "kwargs".
        names.update(name.strip().lstrip("*") for name in item.name.split(","))
    return names


@pytest.mark.parametrize("name, cls", ESTIMATORS)
def test_every_parameter_is_documented(name, cls):
    params = set(inspect.signature(cls.__init__).parameters) - {"self"}
    documented = _documented(ClassDoc(cls)["Parameters"])
    assert params - documented == set(), f"{name}: undocumented parameters"
    assert documented - params == set(), f"{name}: documented parameters that do not exist"


@pytest.mark.parametrize("name, cls", ESTIMATORS)
def test_every_fitted_attribute_is_documented(name, cls):
    X = np.random.RandomState(0).uniform(size=(40, 5))
    est = cls(**FAST_PARAMS[name]).fit(X)
    fitted = {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
    documented = _documented(ClassDoc(cls)["Attributes"])
    assert fitted - documented == set(), f"{name}: undocumented fitted attributes"
    # feature_names_in_ is only set for DataFrames; everything else documented must exist.
    assert documented - fitted - {"feature_names_in_"} == set(), f"{name}: stale attributes"


@pytest.mark.parametrize("name, cls", ESTIMATORS)
def test_public_methods_have_numpydoc_docstrings(name, cls):
    doc = ClassDoc(cls)
    assert doc["Summary"] and doc["See Also"] and doc["Examples"], name
    for method_name, method in inspect.getmembers(cls, inspect.isfunction):
        if method_name.startswith("_") or method_name.startswith("set_"):
            continue  # set_output / set_params / set_*_request come from scikit-learn
        mdoc = FunctionDoc(method)
        assert mdoc["Summary"], f"{name}.{method_name} has no summary"
        params = set(inspect.signature(method).parameters) - {"self"}
        assert params <= _documented(mdoc["Parameters"]), f"{name}.{method_name}"
        assert mdoc["Returns"], f"{name}.{method_name}: no Returns"


def test_public_names_are_exported():
    assert set(sklearn_ae.__all__) >= {name for name, _ in ESTIMATORS}
    for name in sklearn_ae.__all__:
        assert hasattr(sklearn_ae, name)


# ------------------------------------------------------- Displays and data-set functions

import sklearn_ae.datasets  # noqa: E402
import sklearn_ae.plotting  # noqa: E402

DISPLAYS = [(name, getattr(sklearn_ae.plotting, name)) for name in sklearn_ae.plotting.__all__]
DATASET_FUNCTIONS = [
    (name, getattr(sklearn_ae.datasets, name))
    for name in sklearn_ae.datasets.__all__
    if name.startswith(("fetch_", "load_"))
]
DISPLAY_METHODS = ("plot", "from_estimator", "from_predictions", "from_codes")


@pytest.mark.parametrize("name, cls", DISPLAYS)
def test_display_docstrings(name, cls):
    doc = ClassDoc(cls)
    assert doc["Summary"] and doc["See Also"] and doc["Examples"], name
    params = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert _documented(doc["Parameters"]) == params, name
    methods = [m for m in DISPLAY_METHODS if hasattr(cls, m)]
    assert "plot" in methods and "from_estimator" in methods, name
    for method_name in methods:
        method = getattr(cls, method_name)
        mdoc = FunctionDoc(method)
        assert mdoc["Summary"], f"{name}.{method_name} has no summary"
        params = set(inspect.signature(method).parameters) - {"self"}
        assert _documented(mdoc["Parameters"]) == params, f"{name}.{method_name}"
        assert mdoc["Returns"], f"{name}.{method_name}: no Returns"


@pytest.mark.parametrize("name, cls", DISPLAYS)
def test_display_attributes_are_documented(name, cls):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    minimal = {
        "LatentSpaceDisplay": lambda: cls(np.zeros((3, 2))),
        "LossCurveDisplay": lambda: cls([1.0, 0.5]),
        "ReconstructionDisplay": lambda: cls(np.zeros((2, 4)), np.ones((2, 4))),
        "ReconstructionErrorDisplay": lambda: cls([1.0, 2.0]),
    }
    try:
        display = minimal[name]().plot()
    finally:
        plt.close("all")
    set_by_plot = {k for k in vars(display) if k.endswith("_") and not k.startswith("_")}
    documented = _documented(ClassDoc(cls)["Attributes"])
    assert set_by_plot == documented, name
    assert {"ax_", "figure_"} <= documented, name


@pytest.mark.parametrize("name, func", DATASET_FUNCTIONS)
def test_dataset_functions_are_documented(name, func):
    doc = FunctionDoc(func)
    assert doc["Summary"] and doc["Returns"], name
    params = set(inspect.signature(func).parameters)
    assert _documented(doc["Parameters"]) == params, name
    if name.startswith("fetch_"):
        assert doc["See Also"] and doc["Examples"], name
