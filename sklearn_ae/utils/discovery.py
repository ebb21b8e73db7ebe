"""Find the public estimators of sklearn_ae, like :func:`sklearn.utils.all_estimators`."""

import inspect

from sklearn.base import BaseEstimator


def all_estimators():
    """List the public estimator classes of sklearn_ae.

    Returns
    -------
    estimators : list of (name, class) tuples
        Every concrete :class:`~sklearn.base.BaseEstimator` subclass exported by
        ``sklearn_ae``, sorted by name.
    """
    import sklearn_ae

    found = []
    for name in sklearn_ae.__all__:
        obj = getattr(sklearn_ae, name)
        if (
            inspect.isclass(obj)
            and issubclass(obj, BaseEstimator)
            and not inspect.isabstract(obj)
        ):
            found.append((name, obj))
    return sorted(found)
