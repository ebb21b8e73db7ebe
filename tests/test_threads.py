"""torch's threads for one block of code: :func:`sklearn_ae.utils.torch_threads`."""

import re

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.utils import torch_threads


class RecordThreads(Callback):
    """Record torch's thread count at every epoch of training (in ``seen``, shared by the
    copies of the callback that each fit trains with)."""

    seen = []

    def on_epoch_end(self, net, **kwargs):
        RecordThreads.seen.append(torch.get_num_threads())


@pytest.fixture
def two_threads():
    """torch on two threads for the test (whatever the worker's setting), restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_a_fit_in_the_block_runs_on_its_threads_and_the_callers_setting_comes_back(two_threads):
    RecordThreads.seen.clear()
    X = np.random.RandomState(0).uniform(size=(60, 5))
    ae = AutoencoderTransformer(2, max_iter=2, tol=1e9, callbacks=[RecordThreads()])
    with torch_threads(1):
        assert torch.get_num_threads() == 1
        ae.fit(X)
        codes = ae.transform(X)
    assert RecordThreads.seen == [1, 1]
    assert torch.get_num_threads() == 2
    # The thread count changes the speed, not the results.
    np.testing.assert_allclose(ae.transform(X), codes, rtol=1e-6)


def test_the_setting_comes_back_when_the_block_raises(two_threads):
    with pytest.raises(ValueError, match="NaN"):
        with torch_threads(1):
            AutoencoderTransformer(max_iter=2).fit(np.full((10, 3), np.nan))
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("n_threads", [0, -1, 1.5, "1", True, None])
def test_a_bad_number_of_threads_is_a_clear_error(n_threads, two_threads):
    msg = (f"torch_threads needs a number of threads, an int of at least 1; got {n_threads!r}."
           " Pass e.g. torch_threads(1).")
    with pytest.raises(ValueError, match=re.escape(msg)):
        with torch_threads(n_threads):
            pass  # pragma: no cover
    assert torch.get_num_threads() == 2
