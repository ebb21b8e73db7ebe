"""Sphinx configuration of the sklearn_ae documentation.

Build from the repository root with ``make docs``, or directly::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

Set ``SKLEARN_AE_QUICK=1`` (``make docs-quick``, what CI runs) to run every gallery example
on small data with few epochs, or ``SKLEARN_AE_DOCS_FAST=1`` (``make docs-noexec``) to lay
out the gallery without running the examples at all.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Import the checkout being documented, even where it is not installed in editable mode.
sys.path.insert(0, str(HERE.parent))

# The examples read the real data sets from the folder beside the checkout, as `make` does.
os.environ.setdefault("SKLEARN_AE_DATA", str((HERE / ".." / ".." / "shared" / "data").resolve()))

import sklearn_ae  # noqa: E402
# sphinx-gallery resolves the names an example uses, IterativeImputer (examples/plot_impute.py)
# included, which scikit-learn keeps behind this import.
import sklearn.experimental.enable_iterative_imputer  # noqa: E402, F401
import torch  # noqa: E402

# The gallery runs in this process. Its networks are small, so torch's intra-op threads do
# not speed them up, and on a shared machine they contend for the cores: on two busy cores
# the digits example ran in 15 s with one thread and in 280 s with torch's default of two.
torch.set_num_threads(1)

FAST = os.environ.get("SKLEARN_AE_DOCS_FAST", "") == "1"
QUICK = os.environ.get("SKLEARN_AE_QUICK", "") == "1"

# sphinx-gallery reruns only the examples whose source changed. Outputs of a quick run must
# not be kept by a full run (or the reverse): when the mode changes, every example reruns.
_MODE = "quick" if QUICK else "full"
_MODE_STAMP = HERE / "auto_examples" / ".gallery_mode"
RERUN_ALL = not FAST and (
    not _MODE_STAMP.is_file() or _MODE_STAMP.read_text().strip() != _MODE
)

# -- Project --------------------------------------------------------------------------------

project = "sklearn_ae"
author = "The sklearn_ae developers"
copyright = "The sklearn_ae developers"
version = release = sklearn_ae.__version__

# -- Numbers the prose quotes, taken from the code so that they cannot drift from it -------

from sklearn_ae import AutoencoderTransformer  # noqa: E402
from sklearn_ae._base import AUTO_MAX_EPOCHS, AUTO_MIN_EPOCHS, AUTO_STEPS  # noqa: E402


def _auto_epochs(n_samples, batch_size="auto"):
    """The epochs that ``max_iter='auto'`` gives ``n_samples`` samples at ``batch_size``."""
    estimator = AutoencoderTransformer(batch_size=batch_size)
    return estimator._resolve_max_iter(n_samples, estimator._resolve_batch_size(n_samples))


def _auto_steps(n_samples, batch_size="auto"):
    """The optimizer steps of a fit that trains all the epochs of ``max_iter='auto'``."""
    batch = AutoencoderTransformer(batch_size=batch_size)._resolve_batch_size(n_samples)
    return _auto_epochs(n_samples, batch_size) * -(-n_samples // batch)


_defaults = AutoencoderTransformer().get_params()
_default_batch = AutoencoderTransformer()._resolve_batch_size(10**9)  # 'auto' on large data
rst_prolog = f"""
.. |auto_steps| replace:: {AUTO_STEPS:,}
.. |auto_min_epochs| replace:: {AUTO_MIN_EPOCHS}
.. |auto_max_epochs| replace:: {AUTO_MAX_EPOCHS}
.. |auto_epochs_1300| replace:: {_auto_epochs(1300)}
.. |auto_epochs_60000| replace:: {_auto_epochs(60_000)}
.. |auto_steps_1300| replace:: {_auto_steps(1300):,}
.. |auto_steps_60000| replace:: {_auto_steps(60_000):,}
.. |auto_epochs_50000_b32| replace:: {_auto_epochs(50_000, 32)}
.. |auto_steps_50000_b32| replace:: {_auto_steps(50_000, 32):,}
.. |auto_fewest_batches| replace:: {AUTO_STEPS // AUTO_MAX_EPOCHS:,}
.. |auto_most_batches| replace:: {AUTO_STEPS // AUTO_MIN_EPOCHS:,}
.. |auto_fewest_rows| replace:: {AUTO_STEPS // AUTO_MAX_EPOCHS * _default_batch:,}
.. |auto_most_rows| replace:: {AUTO_STEPS // AUTO_MIN_EPOCHS * _default_batch:,}
.. |auto_fewest_rows_b32| replace:: {AUTO_STEPS // AUTO_MAX_EPOCHS * 32:,}
.. |auto_most_rows_b32| replace:: {AUTO_STEPS // AUTO_MIN_EPOCHS * 32:,}
.. |default_learning_rate_init| replace:: ``{_defaults["learning_rate_init"]:g}``
.. |default_alpha| replace:: ``{_defaults["alpha"]:g}``
"""

# -- General --------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
root_doc = "index"
default_role = "literal"

# -- autodoc / autosummary / numpydoc -------------------------------------------------------

autosummary_generate = True
# The signature carries the types already written in the numpydoc Parameters section.
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- intersphinx: configured, but nothing is fetched (the build needs no network) ----------

intersphinx_mapping = {}

# -- sphinx-gallery --------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    # SKLEARN_AE_DOCS_FAST=1: lay out the gallery without running the examples.
    "plot_gallery": not FAST,
    "run_stale_examples": RERUN_ALL,
    "doc_module": ("sklearn_ae",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_ae": None},
    "remove_config_comments": True,
    "min_reported_time": 1,
}

# -- HTML ------------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"sklearn_ae {release}"
html_theme_options = {
    "description": "scikit-learn compatible autoencoders on PyTorch",
    "fixed_sidebar": True,
}

# -- Methods inherited from scikit-learn -----------------------------------------------------
# scikit-learn's own docstrings (get_params, set_output, ...) cite labels of scikit-learn's
# site, which this site does not have. Their methods are named on each class page with a link
# to scikit-learn's reference instead of being documented again here.


def _from_sklearn_ae(member):
    return (getattr(member, "__module__", None) or "").startswith("sklearn_ae")


def _sklearn_methods(cls):
    """Public methods of ``cls`` that it inherits unchanged from scikit-learn."""
    return sorted(
        name
        for name in dir(cls)
        if not name.startswith("_")
        and callable(getattr(cls, name))
        and not _from_sklearn_ae(getattr(cls, name))
    )


def _skip_sklearn_methods(app, what, name, obj, skip, options):
    if what == "class" and callable(obj) and not _from_sklearn_ae(obj):
        return True
    return None


from sklearn_ae.utils import all_estimators  # noqa: E402

autosummary_context = {
    "sklearn_methods": {
        f"{cls.__module__.split('._')[0]}.{name}": _sklearn_methods(cls)
        for name, cls in all_estimators()
    },
}


def _stamp_gallery_mode(app, exception):
    # A run that did not execute the examples leaves outputs that no later run may keep.
    if FAST or exception is not None:
        _MODE_STAMP.unlink(missing_ok=True)
    elif _MODE_STAMP.parent.is_dir():
        _MODE_STAMP.write_text(_MODE)


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_methods)
    app.connect("build-finished", _stamp_gallery_mode)
