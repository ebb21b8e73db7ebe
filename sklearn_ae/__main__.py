"""The main job: PCA against AutoencoderTransformer on scikit-learn's bundled digits.

Run ``python -m sklearn_ae`` (or the ``sklearn-ae`` console script). It fits both models at a
few code widths, prints one table (held-out reconstruction MSE, k-means NMI on the codes, fit
time) and, when matplotlib is installed, saves a PNG of originals next to reconstructions.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

from ._dense import AutoencoderTransformer


class ProgressLine(Callback):
    """One line of progress per fit, rewritten in place on a terminal."""

    def __init__(self, label, stream=None):
        self.label = label
        self.stream = stream

    def on_epoch_end(self, net, **kwargs):
        stream = self.stream or sys.stdout
        epoch, loss = net.history[-1, "epoch"], net.history[-1, "train_loss"]
        total = net.max_epochs
        line = f"  {self.label}: epoch {epoch:>3}/{total} train loss {loss:.5f}"
        if stream.isatty():
            stream.write("\r" + line + ("\n" if epoch == total else ""))
        elif epoch == total or epoch % max(1, total // 4) == 0:
            stream.write(line + "\n")
        stream.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_ae",
        description="Compare PCA and AutoencoderTransformer on scikit-learn's digits.",
    )
    parser.add_argument("--n-components", type=int, nargs="+", default=[2, 8, 16],
                        help="code widths to compare (default: 2 8 16)")
    parser.add_argument("--max-iter", default="auto",
                        help="epochs of each autoencoder fit (default: auto)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--output", default="sklearn_ae_demo.png",
                        help="PNG of originals vs reconstructions (default: %(default)s)")
    parser.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    args = parser.parse_args(argv)
    if args.max_iter != "auto":
        args.max_iter = int(args.max_iter)
    return args


def evaluate(model, X_train, X_test, y_test, seed):
    start = time.perf_counter()
    with warnings.catch_warnings():
        # The demo's fits are short on purpose; their loss curves are printed instead.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train)
    fit_time = time.perf_counter() - start
    codes = model.transform(X_test)
    reconstruction = model.inverse_transform(codes)
    mse = float(np.mean((reconstruction - X_test) ** 2))
    clusters = KMeans(n_clusters=10, n_init=10, random_state=seed).fit_predict(codes)
    nmi = normalized_mutual_info_score(y_test, clusters)
    return {"mse": mse, "nmi": nmi, "fit_time": fit_time, "reconstruction": reconstruction}


def save_figure(path, X_test, rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_images = 10
    fig, axes = plt.subplots(len(rows) + 1, n_images, figsize=(n_images, len(rows) + 1.3))
    for j in range(n_images):
        axes[0, j].imshow(X_test[j].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        for i, (label, result) in enumerate(rows, start=1):
            axes[i, j].imshow(result["reconstruction"][j].reshape(8, 8), cmap="gray_r",
                              vmin=0, vmax=1)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("original", rotation=0, ha="right", va="center")
    for i, (label, result) in enumerate(rows, start=1):
        axes[i, 0].set_ylabel(f"{label}\nMSE {result['mse']:.4f}", rotation=0, ha="right",
                              va="center")
    fig.suptitle("Held-out digits and their reconstructions")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=args.random_state, stratify=y
    )
    print(f"Digits: {len(X_train)} training and {len(X_test)} held-out images of 8x8 pixels.")
    print("Fitting PCA and AutoencoderTransformer at each code width:")
    results = []
    for k in args.n_components:
        pca = evaluate(PCA(n_components=k, random_state=args.random_state),
                       X_train, X_test, y_test, args.random_state)
        results.append(("PCA", k, pca))
        label = f"AutoencoderTransformer(n_components={k})"
        ae = AutoencoderTransformer(
            n_components=k, max_iter=args.max_iter, random_state=args.random_state,
            callbacks=[ProgressLine(label)],
        )
        results.append(("AutoencoderTransformer", k, evaluate(ae, X_train, X_test, y_test,
                                                             args.random_state)))

    header = f"{'model':<24}{'n_components':>13}{'held-out MSE':>14}{'k-means NMI':>13}" \
             f"{'fit time (s)':>14}"
    print()
    print(header)
    print("-" * len(header))
    for name, k, r in results:
        print(f"{name:<24}{k:>13}{r['mse']:>14.5f}{r['nmi']:>13.3f}{r['fit_time']:>14.2f}")
    print()
    print("MSE: mean squared error of reconstructing the held-out images (pixels in [0, 1]).")
    print("NMI: normalized mutual information between KMeans(10) on the codes and the digits.")

    if not args.no_plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("matplotlib is not installed: no figure (pip install 'sklearn_ae[plot]').")
        else:
            widest = max(args.n_components)
            rows = [(f"{name} {k}", r) for name, k, r in results if k == widest]
            save_figure(args.output, X_test, rows)
            print(f"Saved originals vs reconstructions to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
