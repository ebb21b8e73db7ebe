"""What the dense family (AutoencoderTransformer) adds to the base: its layers, and what a
nonlinear PCA should do. The base is tested in test_base.py, through this family."""

import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from _instances import low_rank
from sklearn_ae import AutoencoderTransformer, DenoisingAutoencoder, VariationalAutoencoder

# --------------------------------------------------------------------------- training quality


def test_beats_pca_at_the_same_code_width(digits):
    # The point of a nonlinear PCA: lower reconstruction error than PCA for the same width.
    X, _ = digits
    ae = AutoencoderTransformer(n_components=8, max_iter=100, random_state=0).fit(X)
    pca = PCA(n_components=8).fit(X)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    assert -ae.score(X) < 0.8 * pca_mse


def test_codes_cluster_the_digits(digits):
    X, y = digits
    ae = AutoencoderTransformer(n_components=10, max_iter=60, random_state=0).fit(X)
    labels = KMeans(10, n_init=4, random_state=0).fit_predict(ae.transform(X))
    assert normalized_mutual_info_score(y, labels) > 0.5


# ------------------------------------------------------------------------------- architecture


def effective_rank(codes):
    """``(sum of singular values)**2 / sum of their squares`` of the centred codes."""
    s = np.linalg.svd(codes - codes.mean(axis=0), compute_uv=False)
    return s.sum() ** 2 / (s**2).sum()


def test_linear_code_layers_are_square_and_lower_the_rank_of_the_codes(digits):
    X, _ = digits
    params = dict(n_components=16, max_iter=20, random_state=0)
    plain = AutoencoderTransformer(**params).fit(X)
    irmae = AutoencoderTransformer(n_linear_code_layers=4, **params).fit(X)
    extra = list(irmae.net_.module_.encoder)[-4:]
    assert all(isinstance(m, torch.nn.Linear) and m.bias is None for m in extra)
    assert {tuple(m.weight.shape) for m in extra} == {(16, 16)}
    assert irmae.transform(X).shape == plain.transform(X).shape == (len(X), 16)
    # Measured on seeds 0 to 2: 10.9-11.4 against 12.2-12.6, with about the same error.
    assert effective_rank(irmae.transform(X)) < 0.95 * effective_rank(plain.transform(X))
    assert -irmae.score(X) < 1.5 * -plain.score(X)


def test_shallow_autoencoder_without_hidden_layers():
    X = low_rank()
    ae = AutoencoderTransformer(hidden_layer_sizes=(), max_iter=5, random_state=0)
    ae.fit(X)
    linear_layers = [m for m in ae.net_.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear_layers] == [(6, 2), (2, 6)]


def test_hidden_layer_sizes_must_hold_positive_integers():
    with pytest.raises(ValueError, match=re.escape(
            "hidden_layer_sizes must hold positive integers, got (8, 0). Pass e.g. (128,) or "
            "(256, 64), or () for no hidden layer.")):
        AutoencoderTransformer(hidden_layer_sizes=(8, 0)).fit(low_rank())


@pytest.mark.parametrize("n_components", [4, 5])
def test_a_code_as_wide_as_the_input_warns_that_it_can_copy_it(n_components):
    X = low_rank()[:, :4]
    msg = (f"AutoencoderTransformer: n_components={n_components} is not below the number of "
           "features of X (4), so the code can copy the input instead of learning its "
           "structure")
    with pytest.warns(UserWarning, match=re.escape(msg)):
        AutoencoderTransformer(n_components, max_iter=1).fit(X)


def test_a_denoiser_or_a_narrow_code_does_not_warn():
    X = low_rank()[:, :4]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*is not below the number of features")
        AutoencoderTransformer(3, max_iter=1, tol=1e9).fit(X)
        DenoisingAutoencoder(6, max_iter=1, tol=1e9).fit(X)  # the noise keeps it from copying
        VariationalAutoencoder(6, max_iter=1, tol=1e9).fit(X)  # and the KL term
    with pytest.warns(UserWarning, match="n_components=6 is not below"):
        DenoisingAutoencoder(6, noise=None, max_iter=1, tol=1e9).fit(X)
