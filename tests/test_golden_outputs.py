"""Every estimator computes what it computed when ``tests/data/golden_outputs.npz`` was recorded.

A guard for refactorings: ``golden_outputs.py`` fits about twenty seeded cases (every family,
the detector and the clusterer, warm starts, ``partial_fit``, early stopping, callbacks) and
compares their outputs with the recording. On the machine that recorded them they are
bit-identical (``python tests/golden_outputs.py`` says so array by array); on another CPU,
torch's kernels may round differently in the last bits, which training then carries on, so
the test allows a small tolerance. A change meant to alter results records them again
(``python tests/golden_outputs.py --record``) and says so in its commit.
"""

import numpy as np

from golden_outputs import GOLDEN_PATH, compute


def test_seeded_outputs_match_the_recording():
    with np.load(GOLDEN_PATH) as f:
        recorded = dict(f)
    computed = compute()
    assert sorted(computed) == sorted(recorded)
    for name, expected in recorded.items():
        np.testing.assert_allclose(computed[name], expected, rtol=1e-5, atol=1e-8,
                                   err_msg=name)
