"""The version of sklearn_ae, in one place: the package, its pickles and its build read it here."""

__version__ = "0.1.0"
