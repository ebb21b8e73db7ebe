"""
==============================================
Imputing missing values with an autoencoder
==============================================

This example fills the holes of a table with :class:`~sklearn_ae.AutoencoderImputer`, a
denoising autoencoder trained to rebuild entries it cannot see, and compares it with
scikit-learn's :class:`~sklearn.impute.IterativeImputer` (BayesianRidge, and ExtraTrees)
and the column mean (:class:`~sklearn.impute.SimpleImputer`), on scikit-learn's bundled
breast-cancer table with a share of its entries hidden at random. Each imputer is judged
by the error on the hidden entries and by the accuracy of a classifier trained on what it
filled in, and timed.
"""

# %%
# The data and the holes
# ----------------------
#
# 569 tumours described by 30 correlated measurements. Each entry is hidden with
# probability 0.3 (missing completely at random). The imputers see the table
# standardised on its observed values, as a StandardScaler in a Pipeline would give it.
# With ``SKLEARN_AE_QUICK=1`` (the documentation's quick build) the slow ExtraTrees peer
# is left out.

import os
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

quick = os.environ.get("SKLEARN_AE_QUICK") == "1"
X, y = load_breast_cancer(return_X_y=True)
rng = np.random.RandomState(0)
hidden = rng.rand(*X.shape) < 0.3
X_missing = np.where(hidden, np.nan, X)
scaler = StandardScaler().fit(X_missing)  # StandardScaler ignores NaN when fitting
Z_missing = scaler.transform(X_missing)
Z_true = scaler.transform(X)
print(f"{X.shape[0]} rows, {X.shape[1]} columns, {hidden.mean():.0%} of the entries hidden")

# %%
# The imputers
# ------------
#
# Every imputer at its defaults, seeded where it draws. ``AutoencoderImputer`` hides a
# quarter of the observed entries in every training batch and learns to rebuild them
# from the rest of the row; at ``transform`` it fills only the holes.

from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer

from sklearn_ae import AutoencoderImputer

imputers = {
    "mean (SimpleImputer)": SimpleImputer(),
    "IterativeImputer (BayesianRidge)": IterativeImputer(random_state=0),
    "AutoencoderImputer": AutoencoderImputer(random_state=0),
}
if not quick:
    imputers["IterativeImputer (ExtraTrees)"] = IterativeImputer(
        ExtraTreesRegressor(n_estimators=10, random_state=0), random_state=0)

filled, seconds = {}, {}
for name, imputer in imputers.items():
    start = time.perf_counter()
    filled[name] = imputer.fit_transform(Z_missing)
    seconds[name] = time.perf_counter() - start

# %%
# Error on the hidden entries, and a model trained on the filled table
# --------------------------------------------------------------------
#
# The root mean squared error over the hidden entries, in standard deviations of each
# column, and the 5-fold accuracy of a logistic regression trained on the filled table.
# The observed entries are left exactly as they were by every imputer.

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

print(f"{'imputer':34s} {'RMSE':>6s} {'accuracy':>9s} {'time':>7s}")
rmse = {}
for name, Z_filled in filled.items():
    rmse[name] = np.sqrt(np.mean((Z_filled[hidden] - Z_true[hidden]) ** 2))
    accuracy = cross_val_score(LogisticRegression(max_iter=2000), Z_filled, y, cv=5).mean()
    assert np.array_equal(Z_filled[~hidden], Z_missing[~hidden])
    print(f"{name:34s} {rmse[name]:6.3f} {accuracy:9.3f} {seconds[name]:6.2f}s")

# %%
# Plot
# ----
#
# The error of each imputer on the hidden entries (lower is better).

import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 3))
names = list(rmse)
ax.barh(names, [rmse[n] for n in names], color="tab:blue")
ax.set_xlabel("RMSE on the hidden entries (standard deviations)")
ax.set_title("Imputing 30% missing entries of breast_cancer")
fig.tight_layout()
plt.show()
