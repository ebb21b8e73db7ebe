"""Choose the default of ReconstructionOutlierDetector honestly: nested selection over sets.

Exploration script (issue 20), not part of ``run_all.py``. It

1. loads the 23 tabular outlier sets of ``shared/data`` (11 ODDS ``.mat``, 12 ADBench
   ``.npz``), each stratified-subsampled to at most 10,000 rows (``train_test_split``,
   ``random_state=0``), and splits each with
   ``StratifiedShuffleSplit(n_splits=3, test_size=0.4, random_state=0)``;
2. fits every named detector (the peers, the current default and candidate defaults) on the
   training part of every split (outliers included, labels unused), split *i* seeding the
   detector with ``random_state=i``, and records ROC-AUC and average precision of the
   outlier score on the test part, with fit and score times. Each (detector, set, split)
   result is cached in ``benchmarks/_out/explore_outlier_defaults.json`` as soon as it is
   measured, so that a rerun skips what is done;
3. reports the *out-of-fold* performance of choosing the default among the candidates:
   the 23 sets are split into 5 folds (``KFold(5, shuffle=True, random_state=0)`` over the
   sorted set names); for each fold, the candidate with the best mean ROC-AUC on the other
   four folds is chosen and scored on the held-out fold. The out-of-fold mean is the mean
   over the 23 sets of these held-out scores; the same with leave-one-set-out. Peers are
   not selected, they are fixed.

Peers get the inputs the issue describes: standardised with StandardScaler (fit on the
training part). Torch, OpenMP and MKL run on one thread (``--threads``).

Prototypes (``Proto``) train either the package's ``AutoencoderTransformer``
(``engine="package"``, candidates c*) or ``TorchAE``, a plain-torch replica of the same
network and training (``engine="torch"``, candidates t*, e*, g*, m*; checked: t0 0.7438 vs
the package's ``current`` 0.7419 / 0.7458 over seeds 0-2 / 10-12). Best found: "m5"
(10 autoencoders, half the rows capped at 2048 each, alternating robust and rank-Gaussian
scaling, per-batch 10%-trimmed MAE, score = reconstruction error + code-space 10-NN distance,
each standardised by the training median / MAD, averaged over members); chosen by every
fold (as its twin m4, identical below 4096 training rows).

Usage::

    python benchmarks/explore_outlier_defaults.py run  [--only NAME ...] [--sets SET ...]
    python benchmarks/explore_outlier_defaults.py report [--pool NAME ...]
    python benchmarks/explore_outlier_defaults.py timing [--only NAME ...]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

OUT_DIR = C.BENCH_DIR / "_out"
CACHE = OUT_DIR / "explore_outlier_defaults.json"
MAX_ROWS, N_SPLITS, TEST_SIZE, N_FOLDS = 10_000, 3, 0.4, 5
SETS = C.OUTLIER_SETS
PEERS = C.OutlierPeer.KINDS


# ------------------------------------------------------------------------------- data


def load_set(name):
    """``(X float64, y int)`` of one set, stratified-subsampled to at most MAX_ROWS rows."""
    return C.load_outlier_set(name, MAX_ROWS)


def splits_of(X, y):
    return C.outlier_splits(X, y, N_SPLITS, TEST_SIZE)


Peer = C.OutlierPeer


# ---------------------------------------------------------------- a small torch engine


class TorchAE:
    """The package's dense autoencoder, re-implemented in plain torch for the prototypes.

    Same network as ``AutoencoderTransformer(hidden_layer_sizes=hidden, n_components=k)``:
    Glorot-uniform weights, zero biases, the output bias started at the data's mean, ReLU
    hidden layers, linear code and output; Adam (``weight_decay=alpha``, coupled L2 as in
    the package), shuffled minibatches, the epoch's loss = batch losses weighted by batch
    size, and the package's stop on the training loss (an epoch that does not beat the last
    improving one by ``tol`` relative is a miss; ``patience`` misses stop). Written here so
    that the prototypes can change the loss (trimmed loss) without depending on the package
    internals, which are being refactored while this runs.

    ``trim``: per-batch trimmed loss: the per-row losses of a batch are sorted and only the
    ``1 - trim`` lowest are averaged, so that the rows the network rebuilds worst (the likely
    outliers of a contaminated training set) stop pulling it. ``loss``: 'mae' or 'mse'.
    """

    def __init__(self, n_components, hidden=(64,), loss="mae", alpha=1e-2, lr=2e-3,
                 batch_size=32, max_epochs=200, tol=1e-4, patience=10, trim=0.0,
                 trim_after=0, seed=0):
        self.__dict__.update({k: v for k, v in locals().items() if k != "self"})

    def _stack(self, sizes):
        import torch

        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = torch.nn.Linear(a, b)
            torch.nn.init.xavier_uniform_(lin.weight)
            torch.nn.init.zeros_(lin.bias)
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    def fit(self, X):
        import torch

        torch.manual_seed(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        X = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
        n, d = X.shape
        hidden = list(self.hidden)
        self.encoder = self._stack([d, *hidden, self.n_components])
        self.decoder = self._stack([self.n_components, *hidden[::-1], d])
        with torch.no_grad():
            self.decoder[-1].bias.copy_(X.mean(0))
        params = [*self.encoder.parameters(), *self.decoder.parameters()]
        opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.alpha)
        bs = min(self.batch_size, n)
        best, misses, self.n_iter_ = math.inf, 0, 0
        for epoch in range(self.max_epochs):
            perm = torch.randperm(n, generator=gen)
            Xp = X[perm]
            total = 0.0
            trim = self.trim if epoch >= self.trim_after else 0.0
            for i in range(0, n, bs):
                xb = Xp[i:i + bs]
                diff = self.decoder(self.encoder(xb)) - xb
                per_row = (diff.abs() if self.loss == "mae" else diff ** 2).mean(1)
                if trim > 0 and len(per_row) > 1:
                    keep = max(1, int(math.ceil((1 - trim) * len(per_row))))
                    per_row = torch.topk(per_row, keep, largest=False, sorted=False).values
                loss = per_row.mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss) * len(xb)
            self.n_iter_ += 1
            epoch_loss = total / n
            if epoch_loss < best * (1 - self.tol):
                best, misses = epoch_loss, 0
            else:
                misses += 1
                if misses >= self.patience:
                    break
        return self

    def _run(self, X, fn):
        import torch

        with torch.no_grad():
            out = fn(torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32)))
        return out.numpy().astype(np.float64)

    def reconstruct(self, X):
        return self._run(X, lambda x: self.decoder(self.encoder(x)))

    def transform(self, X):
        return self._run(X, self.encoder)


# ------------------------------------------------------------------------- prototypes


def _robust_scaler():
    from sklearn_ae._outlier import _RobustScaler

    return _RobustScaler(unit_variance=True).set_output(transform="default")


class RankGauss:
    """Per-column rank-Gaussian scaling with linear tails.

    Within the training range a value maps to ``Phi^-1((midrank - 0.5) / n)`` of its
    column (interpolated between the training values): every marginal becomes roughly
    standard normal, so a heavy-tailed, count, binary or near-constant column weighs like
    any other (a 0/1 column with 2% ones maps to about -0.03 / 2.3). Beyond the training
    range the map goes on linearly with slope 1 / (robust scale of the column: IQR / 1.349,
    the std where the IQR is 0, 1 where both are), so a new value more extreme than any
    training value still stands out, by how far it is.
    """

    def fit(self, X):
        from scipy.special import ndtri
        from scipy.stats import rankdata

        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        self.values_, self.z_ = [], []
        for col in X.T:
            v = np.unique(col)
            mid = rankdata(col, method="average")
            # midrank of each unique value
            order = np.argsort(col, kind="stable")
            sv, sm = col[order], mid[order]
            first = np.searchsorted(sv, v)
            z = ndtri((sm[first] - 0.5) / n)
            if len(v) == 1:
                z = np.zeros(1)
            self.values_.append(v)
            self.z_.append(z)
        q1, q3 = np.percentile(X, [25, 75], axis=0)
        std = X.std(axis=0)
        sc = (q3 - q1) / 1.349
        self.slope_ = 1.0 / np.where(sc > 0, sc, np.where(std > 0, std, 1.0))
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        out = np.empty_like(X)
        for j, (v, z) in enumerate(zip(self.values_, self.z_)):
            x = X[:, j]
            o = np.interp(x, v, z)
            hi, lo = x > v[-1], x < v[0]
            o[hi] = z[-1] + (x[hi] - v[-1]) * self.slope_[j]
            o[lo] = z[0] + (x[lo] - v[0]) * self.slope_[j]
            out[:, j] = o
        return out


class Scaling:
    """Feature scaling of the prototypes.

    ``kind``: 'robust' (the package's: median, IQR/1.349, std where the IQR is 0),
    'standard', or 'robust_sqrt' (robust, then the signed square-root squash
    ``sign(z) * (sqrt(1 + 2|z|) - 1)``, ~identity near 0, ~sqrt(2|z|) in the tails: heavy
    tails, counts and rare binary values no longer dominate the training loss, and the
    transform stays monotone and unbounded so extreme values still stand out), or
    'robust_log' (``sign(z) * log1p(|z|)``).
    ``clip``: training rows are clipped to [-clip, clip] (after squashing) for the fit only;
    rows are scored unclipped.
    """

    def __init__(self, kind="robust", clip=None):
        self.kind, self.clip = kind, clip

    def fit(self, X):
        from sklearn.preprocessing import StandardScaler

        if self.kind == "gauss":
            self.base_ = RankGauss().fit(X)
            return self
        self.base_ = (StandardScaler() if self.kind == "standard" else _robust_scaler()).fit(X)
        return self

    def transform(self, X):
        Z = np.asarray(self.base_.transform(X), dtype=np.float64)
        if self.kind == "robust_sqrt":
            Z = np.sign(Z) * (np.sqrt(1 + 2 * np.abs(Z)) - 1)
        elif self.kind == "robust_log":
            Z = np.sign(Z) * np.log1p(np.abs(Z))
        return Z

    def for_training(self, Z):
        return Z if self.clip is None else np.clip(Z, -self.clip, self.clip)


def _mad_scale(values, axis=0):
    """Robust spread: 1.4826 * MAD, the std where the MAD is 0, 1 where both are."""
    med = np.median(values, axis=axis, keepdims=True)
    mad = 1.482602218505602 * np.median(np.abs(values - med), axis=axis, keepdims=True)
    std = values.std(axis=axis, keepdims=True)
    spread = np.where(mad > 0, mad, np.where(std > 0, std, 1.0))
    return med, spread


class Proto:
    """A prototype default: a (small) ensemble of autoencoders and a standardised score.

    Every member is an :class:`AutoencoderTransformer` trained on the scaled data (a
    bootstrap / subsample of rows, a random subset of features, per ``max_samples``,
    ``max_features``). A member's score of a row is

        e = mean_j w_j |z_j - zhat_j|^p         (p = 1 for metric 'mae', 2 for 'mse')

    with w_j = 1 ('raw') or 1 / median_train |z_j - zhat_j|^p ('feature': per-feature
    standardised errors), optionally plus ``code_weight`` times the Mahalanobis distance of
    the member's code (code-space density term, 'T2'), each term standardised by the median
    and MAD of its values on the training rows; the detector's score is minus the mean over
    members of the standardised member scores.

    ``trim``: training is contamination-robust: after ``warmup`` of the epochs, each epoch
    trains (``partial_fit``, one epoch) only on the rows whose current reconstruction error
    is below the ``1 - trim`` quantile, so the rows that reconstruct worst stop pulling the
    network.
    """

    def __init__(self, *, scale="robust", clip=None, n_estimators=1, max_samples=None,
                 max_features=None, code="sqrt", hidden=64, loss="mae", alpha=1e-2,
                 batch_size=32, steps=8000, min_epochs=10, max_epochs=200, lr=2e-3,
                 trim=0.0, warmup=0.3, metric="mae", weighting="raw", code_weight=0.0,
                 dtype=np.float32, early_stop=True, engine="package", code_term="t2",
                 code_k=10, max_rows=None, code_ref="all", random_state=None):
        self.__dict__.update({k: v for k, v in locals().items() if k != "self"})

    # -- architecture -----------------------------------------------------------------
    def _code(self, d):
        if self.code == "sqrt":
            k = math.ceil(math.sqrt(d))
        elif self.code == "sqrt_half":
            k = math.ceil(math.sqrt(d) / 2)
        elif self.code == "log2":
            k = math.ceil(math.log2(d + 1))
        elif isinstance(self.code, int):
            k = self.code
        else:
            raise ValueError(self.code)
        return max(1, min(d - 1, k))

    def _hidden(self, d, n):
        h = self.hidden
        if h == "auto":  # between the code and the input, scaled with the rows
            h = int(np.clip(2 * math.sqrt(d) + 8, 16, 64))
        if isinstance(h, int):
            return (h,) if h else ()
        return tuple(h)

    def _epochs(self, n, batch):
        per_epoch = -(-n // batch)
        return int(np.clip(self.steps // per_epoch, self.min_epochs, self.max_epochs))

    # -- fit ----------------------------------------------------------------------------
    def fit(self, X):
        from sklearn_ae import AutoencoderTransformer

        rng = np.random.RandomState(self.random_state)
        kinds = self.scale if isinstance(self.scale, (tuple, list)) else (self.scale,)
        self.scalings_ = [Scaling(kind, self.clip).fit(X) for kind in kinds]
        views = [sc.transform(X) for sc in self.scalings_]
        n, d = views[0].shape
        self.members_ = []
        for m in range(self.n_estimators):
            Z = views[m % len(views)]
            Ztrain = self.scalings_[m % len(views)].for_training(Z)
            seed = int(rng.randint(np.iinfo(np.int32).max))
            r = np.random.RandomState(seed)
            rows = np.arange(n)
            if self.max_samples is not None:
                ms = self.max_samples
                ms = int(min(n, ms if isinstance(ms, int) else round(ms * n)))
                if self.max_rows is not None:
                    ms = min(ms, self.max_rows)
                rows = np.sort(r.choice(n, ms, replace=False))
            cols = np.arange(d)
            if self.max_features is not None and d > 2:
                mf = self.max_features
                k = (int(np.clip(round(r.uniform(0.5, 1.0) * d), 2, d)) if mf == "rand"
                     else int(np.clip(round(mf * d) if mf <= 1 else mf, 2, d)))
                cols = np.sort(r.choice(d, k, replace=False))
            Zm = np.ascontiguousarray(Ztrain[np.ix_(rows, cols)], dtype=self.dtype)
            dm = len(cols)
            batch = min(self.batch_size, len(rows))
            epochs = self._epochs(len(rows), batch)
            ae = AutoencoderTransformer(
                n_components=self._code(dm), hidden_layer_sizes=self._hidden(dm, len(rows)),
                loss=self.loss, alpha=self.alpha, batch_size=batch,
                learning_rate_init=self.lr, random_state=seed,
                n_iter_no_change=10 if self.early_stop else 10**6)
            if self.engine == "torch":
                ae = TorchAE(self._code(dm), self._hidden(dm, len(rows)), loss=self.loss,
                             alpha=self.alpha, lr=self.lr, batch_size=batch, max_epochs=epochs,
                             patience=10 if self.early_stop else 10**6, trim=self.trim,
                             trim_after=int(round(self.warmup * epochs)), seed=seed).fit(Zm)
            else:
              with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self.trim <= 0:
                    ae.set_params(max_iter=epochs).fit(Zm)
                else:
                    n_warm = max(1, int(round(self.warmup * epochs)))
                    ae.set_params(max_iter=n_warm).fit(Zm)
                    for _ in range(epochs - n_warm):
                        err = np.abs(ae.reconstruct(Zm) - Zm).mean(axis=1)
                        keep = err <= np.quantile(err, 1 - self.trim)
                        ae.partial_fit(Zm[keep])
            member = {"ae": ae, "cols": cols, "view": m % len(views)}
            E = self._errors(member, Z)
            if self.weighting == "feature":
                w = np.median(E, axis=0)
                pos = w[w > 0]
                floor = pos.min() if len(pos) else 1.0
                member["w"] = 1.0 / np.maximum(w, floor * 1e-3 if len(pos) else 1.0)
                # a feature always rebuilt exactly: its error weighs as the least error
            else:
                member["w"] = np.ones(len(cols))
            rec = (E * member["w"]).mean(axis=1)
            member["rec_stats"] = _mad_scale(rec)
            if self.code_weight:
                codes = ae.transform(np.ascontiguousarray(Z[:, cols], dtype=self.dtype))
                codes = np.asarray(codes, dtype=np.float64)
                mu = codes.mean(axis=0)
                cov = np.cov(codes, rowvar=False).reshape(codes.shape[1], codes.shape[1])
                cov += 1e-6 * np.trace(cov) / len(cov) * np.eye(len(cov)) + 1e-12 * np.eye(
                    len(cov))
                member["code_stats"] = (mu, np.linalg.inv(cov))
                if self.code_term == "knn":
                    from sklearn.neighbors import NearestNeighbors

                    ref = rows if self.code_ref == "bag" else np.arange(n)
                    k = min(self.code_k, len(ref) - 1)
                    member["nn"] = NearestNeighbors(n_neighbors=k + 1).fit(codes[ref])
                    member["k"] = k
                    dist, _ = member["nn"].kneighbors(codes)
                    inbag = np.zeros(n, bool)
                    inbag[ref] = True
                    # a reference row's nearest is itself: skip it; other rows use the k first
                    t2 = np.where(inbag, dist[:, 1:].mean(axis=1), dist[:, :-1].mean(axis=1))
                else:
                    t2 = self._t2(member, codes)
                member["t2_stats"] = _mad_scale(t2)
            self.members_.append(member)
        return self

    def _errors(self, member, Z):
        Zc = np.ascontiguousarray(Z[:, member["cols"]], dtype=self.dtype)
        diff = np.asarray(member["ae"].reconstruct(Zc), dtype=np.float64) - Zc
        return diff ** 2 if self.metric == "mse" else np.abs(diff)

    @staticmethod
    def _t2(member, codes):
        mu, prec = member["code_stats"]
        c = codes - mu
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", c, prec, c), 0))

    def score_samples(self, X):
        views = [sc.transform(X) for sc in self.scalings_]
        total = np.zeros(len(X))
        for member in self.members_:
            Z = views[member["view"]]
            rec = (self._errors(member, Z) * member["w"]).mean(axis=1)
            med, spread = member["rec_stats"]
            s = (rec - med.ravel()) / spread.ravel()
            if self.code_weight:
                codes = np.asarray(member["ae"].transform(
                    np.ascontiguousarray(Z[:, member["cols"]], dtype=self.dtype)), np.float64)
                if self.code_term == "knn":
                    dist, _ = member["nn"].kneighbors(codes, n_neighbors=member["k"])
                    t2 = dist.mean(axis=1)
                else:
                    t2 = self._t2(member, codes)
                med2, spread2 = member["t2_stats"]
                s = s + self.code_weight * (t2 - med2.ravel()) / spread2.ravel()
            total += s
        return -total / len(self.members_)


# ------------------------------------------------------------------------- registry


def candidates():
    """name -> factory(seed) of an unfitted detector with fit(X) and score_samples(X)."""
    from sklearn_ae import ReconstructionOutlierDetector

    reg = {p: (lambda s, p=p: Peer(p, s)) for p in PEERS}
    reg["current"] = lambda s: ReconstructionOutlierDetector(random_state=s)
    # the package's default after issue 20: m5 implemented in ReconstructionOutlierDetector
    # (trimming from the first epoch, int(0.1 b) rows dropped per batch); not a candidate
    reg["package default"] = lambda s: ReconstructionOutlierDetector(random_state=s)

    def proto(**kw):
        return lambda s: Proto(random_state=s, **kw)

    # c0: the current default, re-expressed as a Proto (float32; sanity check of the harness)
    reg["c0 proto-current"] = proto()
    # one change at a time from c0
    reg["c1 +T2"] = proto(code_weight=1.0)
    reg["c2 feature-weighted"] = proto(weighting="feature")
    reg["c3 sqrt-squash"] = proto(scale="robust_sqrt")
    reg["c4 trim10"] = proto(trim=0.1)
    reg["c5 ens5 featbag"] = proto(n_estimators=5, max_features="rand", steps=2000)
    reg["c6 ens5 half-rows"] = proto(n_estimators=5, max_samples=0.5, steps=2000)
    # the same on the torch engine (check), and what needs it
    reg["t0 torch-current"] = proto(engine="torch")
    reg["t4 trim10"] = proto(engine="torch", trim=0.1, warmup=0.0)
    reg["t7 +T2 w0.5"] = proto(engine="torch", code_weight=0.5)
    reg["t8 +codeKNN w1"] = proto(engine="torch", code_weight=1.0, code_term="knn")
    # combinations of what helped (trimmed loss, code-space kNN term, 5 members on half rows)
    reg["t9 trim10+codeKNN w1"] = proto(engine="torch", trim=0.1, code_weight=1.0,
                                        code_term="knn")
    reg["t10 trim10+codeKNN w0.5"] = proto(engine="torch", trim=0.1, code_weight=0.5,
                                           code_term="knn")
    reg["e1 ens5h trim10+codeKNN w1"] = proto(engine="torch", n_estimators=5, max_samples=0.5,
                                              steps=1600, trim=0.1, code_weight=1.0,
                                              code_term="knn")
    # rank-Gaussian scaling with linear tails (heavy-tailed / binary / count columns)
    reg["g1 gauss trim10"] = proto(engine="torch", scale="gauss", trim=0.1)
    reg["g2 gauss trim10+codeKNN w1"] = proto(engine="torch", scale="gauss", trim=0.1,
                                              code_weight=1.0, code_term="knn")
    reg["g3 ens5h gauss trim10+codeKNN w1"] = proto(engine="torch", scale="gauss",
                                                    n_estimators=5, max_samples=0.5,
                                                    steps=1600, trim=0.1, code_weight=1.0,
                                                    code_term="knn")
    # members alternate robust and rank-Gaussian scaling (two views of the columns)
    # (m1, m2: the same as m3 with w1 / w0.5, run with a bug that scored members in the
    # wrong view; their results were discarded, see _out/explore_discarded_m1m2.json)
    reg["m3 ens6h mixed trim10+codeKNN w1"] = proto(
        engine="torch", scale=("robust", "gauss"), n_estimators=6, max_samples=0.5,
        steps=1400, trim=0.1, code_weight=1.0, code_term="knn")
    reg["m4 ens10h mixed trim10+codeKNN w1"] = proto(
        engine="torch", scale=("robust", "gauss"), n_estimators=10, max_samples=0.5,
        steps=800, trim=0.1, code_weight=1.0, code_term="knn")
    # m4 with the rows per member capped at 2048 (bounded training cost for any n), and
    # also the kNN reference set = the member's own rows
    reg["m5 m4+rows<=2048"] = proto(
        engine="torch", scale=("robust", "gauss"), n_estimators=10, max_samples=0.5,
        max_rows=2048, steps=800, trim=0.1, code_weight=1.0, code_term="knn")
    reg["m6 m4+rows<=2048+bagref"] = proto(
        engine="torch", scale=("robust", "gauss"), n_estimators=10, max_samples=0.5,
        max_rows=2048, steps=800, trim=0.1, code_weight=1.0, code_term="knn", code_ref="bag")
    reg["t15 trim20+codeKNN w1"] = proto(engine="torch", trim=0.2, code_weight=1.0,
                                         code_term="knn")
    reg["e3 ens5h trim20+codeKNN w1"] = proto(engine="torch", n_estimators=5, max_samples=0.5,
                                              steps=1600, trim=0.2, code_weight=1.0,
                                              code_term="knn")
    reg["e4 ens10h trim10+codeKNN w1"] = proto(engine="torch", n_estimators=10,
                                               max_samples=0.5, steps=800, trim=0.1,
                                               code_weight=1.0, code_term="knn")
    reg["e2 ens5h trim10+codeKNN w0.5"] = proto(engine="torch", n_estimators=5,
                                                max_samples=0.5, steps=1600, trim=0.1,
                                                code_weight=0.5, code_term="knn")
    # seed noise: the same detectors seeded with random_state = split + 10 (same splits);
    # not candidates (names start with "seed+10"), excluded from the selection pool
    reg["seed+10 current"] = lambda s: ReconstructionOutlierDetector(random_state=s + 10)
    reg["seed+10 e1 ens5h trim10+codeKNN w1"] = lambda s: Proto(
        random_state=s + 10, engine="torch", n_estimators=5, max_samples=0.5, steps=1600,
        trim=0.1, code_weight=1.0, code_term="knn")
    reg["seed+10 m5 m4+rows<=2048"] = lambda s: Proto(
        random_state=s + 10, engine="torch", scale=("robust", "gauss"), n_estimators=10,
        max_samples=0.5, max_rows=2048, steps=800, trim=0.1, code_weight=1.0,
        code_term="knn")
    return reg


# --------------------------------------------------------------------------- caching


def load_cache():
    return C.load_json(CACHE)


def save_cache(cache):
    C.save_json(CACHE, cache)


def key(name, ds, split):
    return f"{name}|{ds}|{split}"


# -------------------------------------------------------------------------------- run


def cmd_run(args):
    from sklearn.metrics import average_precision_score, roc_auc_score

    reg = candidates()
    names = C.select(list(reg), args.only)
    sets = C.select(list(SETS), args.sets)
    cache = load_cache()
    for ds in sets:
        todo = [(n, i) for n in names for i in range(N_SPLITS) if key(n, ds, i) not in cache]
        if not todo:
            continue
        X, y = load_set(ds)
        splits = splits_of(X, y)
        for name, i in todo:
            train, test = splits[i]
            try:
                det = reg[name](i)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    det.fit(X[train])
                    t1 = time.perf_counter()
                    s = -np.asarray(det.score_samples(X[test]), dtype=np.float64)
                    t2 = time.perf_counter()
                if not np.isfinite(s).all():
                    raise ValueError("non-finite scores")
                res = {"auc": float(roc_auc_score(y[test], s)),
                       "ap": float(average_precision_score(y[test], s)),
                       "fit_s": t1 - t0, "score_s": t2 - t1}
            except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                traceback.print_exc()
                res = {"auc": float("nan"), "ap": float("nan"), "fit_s": float("nan"),
                       "score_s": float("nan"), "error": f"{type(exc).__name__}: {exc}"}
            cache = load_cache()  # pick up anything written meanwhile
            cache[key(name, ds, i)] = res
            save_cache(cache)
            print(f"{ds:17s} {X.shape!s:13s} split {i} {name:34s} auc {res['auc']:.3f} "
                  f"ap {res['ap']:.3f} fit {res['fit_s']:.2f}s", flush=True)
    return 0


# ----------------------------------------------------------------------------- report


def table(cache, names, sets, metric="auc"):
    """names x sets array of the mean over the splits (NaN where a split is missing)."""
    A = np.full((len(names), len(sets)), np.nan)
    for a, n in enumerate(names):
        for b, ds in enumerate(sets):
            vals = [cache.get(key(n, ds, i), {}).get(metric, np.nan) for i in range(N_SPLITS)]
            if len(vals) == N_SPLITS and all(v == v for v in vals):
                A[a, b] = float(np.mean(vals))
    return A


def fold_assignment(sets, n_folds=N_FOLDS, seed=0):
    from sklearn.model_selection import KFold

    folds = []
    for _, test in KFold(n_folds, shuffle=True, random_state=seed).split(sets):
        folds.append([sets[j] for j in test])
    return folds


def nested(A, pool, sets, folds):
    """Out-of-fold scores per set of choosing the best-mean candidate on the other folds."""
    oof = np.full(len(sets), np.nan)
    chosen = []
    for held in folds:
        inside = [b for b, ds in enumerate(sets) if ds not in held]
        out = [b for b, ds in enumerate(sets) if ds in held]
        means = np.nanmean(A[:, inside], axis=1)
        best = int(np.nanargmax(means))
        chosen.append(pool[best])
        oof[out] = A[best, out]
    return oof, chosen


def ranks(M):
    """Rank (1 = best) of each row within each column, ties averaged."""
    from scipy.stats import rankdata

    return np.vstack([rankdata(-M[:, b]) for b in range(M.shape[1])]).T


def cmd_report(args):
    cache = load_cache()
    reg = candidates()
    all_names = list(reg)
    peers = [p for p in PEERS if p in all_names]
    pool = C.select([n for n in all_names if n not in PEERS and not n.startswith("seed+")
                   and n != "package default"],
                  args.pool)
    sets = list(SETS)
    folds = fold_assignment(sets)
    print("Fold assignment of the sets (KFold(5, shuffle=True, random_state=0)):")
    for f, held in enumerate(folds):
        print(f"  fold {f}: {', '.join(held)}")
    A = table(cache, pool, sets)
    complete = [a for a in range(len(pool)) if not np.isnan(A[a]).any()]
    if len(complete) < len(pool):
        ref = table(cache, ["current"], sets)[0]
        print("incomplete (left out of the pool): mean AUC on the sets done, vs current there")
        for a in range(len(pool)):
            if a not in complete:
                done = ~np.isnan(A[a])
                print(f"  {pool[a]:40s} {done.sum():2d} sets {np.nanmean(A[a]) if done.any() else np.nan:.4f}"
                      f" vs current {np.nanmean(ref[done]) if done.any() else np.nan:.4f}")
    pool = [pool[a] for a in complete]
    A, AP = A[complete], table(cache, pool, sets, "ap")[:len(complete)]
    P, PAP = table(cache, peers, sets), table(cache, peers, sets, "ap")
    out = {}
    oof5, chosen5 = nested(A, pool, sets, folds)
    oofL, chosenL = nested(A, pool, sets, [[ds] for ds in sets])
    print(f"\n5-fold nested selection over {len(pool)} candidates: out-of-fold mean ROC-AUC "
          f"{np.mean(oof5):.4f}; chosen per fold: {chosen5}")
    from collections import Counter

    print(f"Leave-one-set-out: out-of-fold mean ROC-AUC {np.mean(oofL):.4f}; chosen: "
          f"{dict(Counter(chosenL))}")
    # AP of the out-of-fold choice
    idx = {n: a for a, n in enumerate(pool)}
    oof5_ap = np.array([AP[idx[chosen5[f]], b] for f, held in enumerate(folds)
                        for b, ds in enumerate(sets) if ds in held])
    order = [b for held in folds for b, ds in enumerate(sets) if ds in held]
    oof5_ap_sets = np.empty(len(sets))
    oof5_ap_sets[order] = oof5_ap
    # summary table: peers + OOF + each candidate (in-sample)
    impl = ["package default"]
    I, IAP = table(cache, impl, sets), table(cache, impl, sets, "ap")
    if np.isnan(I).any():
        impl, I, IAP = [], I[:0], IAP[:0]
    rows_names = peers + ["OOF 5-fold", "OOF leave-one-out"] + impl + pool
    M = np.vstack([P, oof5, oofL, I, A])
    Map = np.vstack([PAP, oof5_ap_sets, np.full(len(sets), np.nan), IAP, AP])
    best_peer = np.nanmax(P[[peers.index(p) for p in peers if p != "PyOD LOF"]], axis=0) \
        if peers else np.full(len(sets), np.nan)
    head_peers = [p for p in peers if p != "PyOD LOF"]
    print(f"\n{'detector':40s} {'meanAUC':>8s} {'meanAP':>7s} {'rank*':>6s} {'worst gap':>22s} "
          f"{'min AUC':>8s} {'fit s':>7s}")
    for r, n in enumerate(rows_names):
        comp = np.vstack([P[[peers.index(p) for p in head_peers]], M[r:r + 1]])
        rk = ranks(comp)[-1].mean()
        gap = M[r] - best_peer
        w = int(np.nanargmin(gap))
        fit = np.nan
        if n in reg:
            fits = [cache.get(key(n, ds, i), {}).get("fit_s", np.nan) for ds in sets
                    for i in range(N_SPLITS)]
            fit = float(np.nanmean(fits))
        print(f"{n:40s} {np.nanmean(M[r]):8.4f} {np.nanmean(Map[r]):7.4f} {rk:6.2f} "
              f"{gap[w]:+.3f} ({sets[w][:12]:12s}) {np.nanmin(M[r]):8.3f} {fit:7.2f}")
        out[n] = {"mean_auc": float(np.nanmean(M[r])), "mean_ap": float(np.nanmean(Map[r])),
                  "rank_vs_4_peers": float(rk), "worst_gap": float(gap[w]),
                  "worst_set": sets[w], "per_set_auc": dict(zip(sets, map(float, M[r])))}
    print("(rank*: mean rank among the 4 peers IsolationForest, ECOD, KNN, PyOD AE and this "
          "row, 1 = best; worst gap: AUC minus the best of those 4 peers on the worst set)")
    show = peers + ["OOF 5-fold"] + C.select(pool, args.show or ["current", "c0*"])
    print("\nPer-set ROC-AUC:")
    print(f"{'set':17s}" + "".join(f"{n[:11]:>12s}" for n in show))
    for b, ds in enumerate(sets):
        print(f"{ds[:17]:17s}" + "".join(f"{M[rows_names.index(n), b]:12.3f}" for n in show))
    print(f"{'mean':17s}" + "".join(f"{np.nanmean(M[rows_names.index(n)]):12.4f}"
                                    for n in show))
    if args.publish:
        publish(out, rows_names, peers, pool, folds, chosen5, chosenL, len(pool))
    summary = OUT_DIR / "explore_outlier_defaults.summary.json"
    summary.write_text(json.dumps({"folds": folds, "chosen_5fold": chosen5,
                                   "chosen_loso": chosenL, "rows": out}, indent=1))
    return 0


def publish(out, rows_names, peers, pool, folds, chosen5, chosenL, n_candidates):
    """Write the nested selection's summary as the section ``outlier-defaults`` of RESULTS.md."""
    from collections import Counter

    def label(name):
        if name in peers:
            return name
        if name.startswith("OOF"):
            return f"**{name} (the selection procedure, out of fold)**"
        if name == "current":
            return "the previous default, one autoencoder (in-sample)"
        if name == "package default":
            return "ReconstructionOutlierDetector() as shipped (the chosen candidate)"
        return f"{name} (in-sample)"

    rows = [[label(n), f"{out[n]['mean_auc']:.4f}",
             "" if out[n]["mean_ap"] != out[n]["mean_ap"] else f"{out[n]['mean_ap']:.4f}",
             f"{out[n]['rank_vs_4_peers']:.2f}",
             f"{out[n]['worst_gap']:+.3f} ({out[n]['worst_set']})"] for n in rows_names]
    fold_rows = [[f, ", ".join(held), chosen5[f]] for f, held in enumerate(folds)]
    body = f"""## Choosing the outlier detector's default out of fold (`explore_outlier_defaults.py`)

Date: {C.now()}

Command: `{C.command_line()}` (after `run`, which fits every detector and caches each result)

The protocol of issue 20. 23 sets (11 ODDS, 12 ADBench, `shared/data`; over 10,000 rows
stratified-subsampled to 10,000), 3 stratified 60/40 splits each; every detector is fit on
the training part (outliers included, labels unused) and scored on the test part (ROC-AUC
and average precision, mean over the splits). {n_candidates} candidate defaults (scalings,
trimmed loss, code-space terms, ensembles of autoencoders on subsets of rows or features;
listed by `python benchmarks/explore_outlier_defaults.py list`) are selected by nested
selection over the sets: for each fold of `KFold(5, shuffle=True, random_state=0)` over the
sets, the candidate with the best mean ROC-AUC on the other four folds is chosen and scored
on the held-out fold; the out-of-fold mean is the mean over the 23 sets of those held-out
scores. The same with leave-one-set-out. Peers (at their defaults, on standardised inputs)
are not selected. Every figure of a candidate row is **in-sample** (the mean over all 23
sets, the sets that chose among them); only the OOF rows estimate what the choice gives on
sets it was not made on. The candidates were designed while looking at results on all the
sets, so even the OOF figure is somewhat optimistic.

{C.md_table(["detector", "mean ROC-AUC", "mean AP", "mean rank*", "worst gap to the best peer"],
            rows)}

*Mean rank among the four peers IsolationForest, ECOD, KNN, PyOD AutoEncoder and the row
(1 = best). Worst gap: the row's AUC minus the best of those four peers, on its worst set.

Chosen per fold (5-fold):

{C.md_table(["fold", "held-out sets", "chosen on the other folds"], fold_rows)}

Leave-one-set-out chose: {dict(Counter(chosenL))}.

"m4" and "m5" are the same configuration below 4,096 training rows (m5 caps the rows of a
member at 2,048); the package implements m5, with the loss trimmed from the first epoch
(the prototype trimmed after 30% of the epochs) and `int(0.1 b)` rows dropped per batch.
The shipped detector's row comes from the same cache of results (other runs than the peers
and candidates); `bench_outliers.py` measures it beside the peers in one run.
"""
    C.publish("outlier-defaults", body, C.RESULTS_PATH)


def cmd_timing(args):
    import torch

    reg = candidates()
    names = C.select(list(reg), args.only)
    rng = np.random.RandomState(0)
    # 10,000 x 40: correlated continuous columns, a few binary and count ones
    Zl = rng.normal(size=(10_000, 8))
    X = np.hstack([Zl @ rng.normal(size=(8, 30)) + 0.3 * rng.normal(size=(10_000, 30)),
                   (rng.uniform(size=(10_000, 5)) < 0.1).astype(float),
                   rng.poisson(2.0, size=(10_000, 5)).astype(float)])
    print(f"timing on {X.shape} float64, torch threads {torch.get_num_threads()}")
    res = {}
    with warnings.catch_warnings():  # warm-up: lazy imports of torch/skorch/sklearn
        warnings.simplefilter("ignore")
        for n in names:
            reg[n](0).fit(X[:300, :6])
    for n in names:
        det = reg[n](0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            det.fit(X)
            t1 = time.perf_counter()
            det.score_samples(X)
            t2 = time.perf_counter()
        res[n] = {"fit_s": t1 - t0, "score_s": t2 - t1}
        print(f"{n:40s} fit {t1 - t0:7.2f} s  score {t2 - t1:6.3f} s", flush=True)
    path = OUT_DIR / "explore_outlier_defaults.timing.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(res)
    path.write_text(json.dumps(old, indent=1))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run", "report", "timing", "list"))
    parser.add_argument("--only", nargs="*", help="detector names (fnmatch patterns)")
    parser.add_argument("--sets", nargs="*", help="set names (fnmatch patterns)")
    parser.add_argument("--pool", nargs="*", help="candidates for the nested selection")
    parser.add_argument("--show", nargs="*", help="candidates in the per-set table")
    parser.add_argument("--publish", action="store_true",
                        help="report: write the summary into benchmarks/RESULTS.md")
    C.add_threads_argument(parser)
    args = parser.parse_args(argv)
    C.set_threads(args.threads)
    if args.command == "list":
        print("\n".join(candidates()))
        return 0
    return {"run": cmd_run, "report": cmd_report, "timing": cmd_timing}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
