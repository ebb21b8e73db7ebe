"""
==============================================================
Fashion-MNIST through a code of 64 values: autoencoder and PCA
==============================================================

This example is the first model of TensorFlow's autoencoder tutorial, written with
:class:`~sklearn_ae.AutoencoderTransformer`: Fashion-MNIST's 28 x 28 images (784 pixels)
squeezed through a code of 64 values and rebuilt. Its baseline is
:class:`~sklearn.decomposition.PCA` with 64 components, the best linear code of that width.
Both are judged on held-out images by the mean squared reconstruction error, and their
reconstructions are shown side by side.
"""

# %%
# The data
# --------
#
# The images are read from the folder named by the environment variable
# ``SKLEARN_AE_DATA`` (:func:`~sklearn_ae.datasets.fetch_fashion_mnist` would download
# them once; this example never downloads). Pixels are float32 in [0, 1]. If the files
# are missing, the example falls back to scikit-learn's bundled 8 x 8 digits with a code
# of 16 values, so that it still runs. With ``SKLEARN_AE_QUICK=1`` (the documentation's
# quick build) it trains on 20,000 images for fewer epochs.

import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ae.datasets import load_fashion_mnist

quick = os.environ.get("SKLEARN_AE_QUICK") == "1"
try:
    X_train, _ = load_fashion_mnist(subset="train", return_X_y=True)
    X_test, _ = load_fashion_mnist(subset="test", return_X_y=True)
    image_shape, n_components = (28, 28), 64
except FileNotFoundError as missing:
    print(f"NOTE: {missing}\nFalling back to scikit-learn's 8x8 digits: the figures of this run "
          "are the digits', not Fashion-MNIST's, which the text describes.")
    X, _ = load_digits(return_X_y=True)
    X_train, X_test = train_test_split((X / 16).astype(np.float32), random_state=0)
    image_shape, n_components = (8, 8), 16
if quick:
    X_train, X_test = X_train[:20_000], X_test[:2_000]
print(f"{len(X_train)} training and {len(X_test)} test images of {X_train.shape[1]} pixels")

# %%
# The autoencoder
# ---------------
#
# The tutorial's model is one dense layer each way: 784 pixels to a 64-value code and back,
# with a sigmoid output, trained by Adam on the squared error for 10 epochs. Here the
# encoder and decoder keep the default hidden layer of 128 units, the code stays linear
# (the tutorial's has a ReLU), and ``max_iter='auto'`` picks the number of epochs. The
# tutorial watches the loss on the test images while training; ``early_stopping=True``
# holds out 10% of the training images for that instead, keeps the weights of the best
# epoch, and records the validation loss.

import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer

autoencoder = AutoencoderTransformer(
    n_components=n_components, early_stopping=True, max_iter=30 if quick else "auto",
    random_state=0,
)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    autoencoder.fit(X_train)
print(f"{autoencoder.n_iter_} epochs in {time.perf_counter() - start:.0f} s "
      f"(max_iter_={autoencoder.max_iter_}, batch_size_={autoencoder.batch_size_})")

# %%
# The training and validation losses per epoch, drawn by
# :class:`~sklearn_ae.plotting.LossCurveDisplay`. The validation loss follows the training
# loss closely: with 60,000 images the network does not overfit in this budget.

import matplotlib.pyplot as plt

from sklearn_ae.plotting import LossCurveDisplay

LossCurveDisplay.from_estimator(autoencoder)
plt.show()

# %%
# Against PCA
# -----------
#
# PCA with the same number of components is fit on the same images. The error of both is
# the mean squared difference between a test image and its reconstruction; for the
# autoencoder it is ``-score(X_test)``. (PCA's own ``score`` is a log-likelihood.)

from sklearn.decomposition import PCA

start = time.perf_counter()
pca = PCA(n_components=n_components, random_state=0).fit(X_train)
pca_time = time.perf_counter() - start
X_pca = pca.inverse_transform(pca.transform(X_test))
print(f"PCA({n_components}), fit in {pca_time:.1f} s: "
      f"test MSE {np.mean((X_pca - X_test) ** 2):.4f}")
print(f"autoencoder({n_components}):           test MSE {-autoencoder.score(X_test):.4f}")

# %%
# The lines printed above give this run's test errors (and, after the fit, the
# autoencoder's fit time); the quick build and the digits fallback get other figures. For
# reference, ``benchmarks/bench_quality.py`` fits the same code width with every other
# parameter at its default (no early stopping: 26 epochs in batches of 200) on all 60,000
# training images; the ``quality`` section of ``benchmarks/RESULTS.md`` has a median test
# MSE of 0.00728 over three seeds, 0.702 times PCA(64)'s 0.01037, for a fit of 38.5 s on
# one CPU thread. PCA needs no training and is exact; the autoencoder buys its lower error
# with that fit.

# %%
# Reconstructions
# ---------------
#
# The first eight test images, PCA's reconstructions and the autoencoder's, drawn by
# :class:`~sklearn_ae.plotting.ReconstructionDisplay`. PCA's are blurred, with grey
# halos around the shapes; the autoencoder's are sharper and keep more of the patterns
# (the letters on the sweater, the checks of the shirt), though both lose fine detail.

from sklearn_ae.plotting import ReconstructionDisplay

display = ReconstructionDisplay.from_predictions(
    X_test, [X_pca, autoencoder.reconstruct(X_test[:8])], n_samples=8,
    image_shape=image_shape, name=[f"PCA({n_components})", f"autoencoder({n_components})"],
)
display.figure_.suptitle("Test images and their reconstructions")
plt.show()
