"""How many threads torch computes with, for one block of code: :func:`torch_threads`."""

import contextlib
from numbers import Integral

import torch


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run the block with torch on ``n_threads`` threads, then restore the caller's setting.

    torch computes each operation (a matrix product, a convolution) on a pool of threads,
    one per core by default. On a machine whose cores are busy with other work, that pool
    waits on its slowest thread: with one of two cores taken by another process, a fit took
    five times longer on torch's default of two threads than on one. In the spirit of
    threadpoolctl's ``threadpool_limits``, this sets the pool's size for the block only
    (training and inference alike) and puts back the caller's setting afterwards, also when
    the block raises.

    The setting is torch's, global to the process: fits in other threads of the process
    during the block use it too.

    Parameters
    ----------
    n_threads : int
        Number of threads, at least 1. ``1`` is the safe choice on a shared or busy machine,
        and for several fits running side by side in processes (e.g.
        ``GridSearchCV(n_jobs=...)``).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.utils import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     ae = AutoencoderTransformer(max_iter=2, random_state=0).fit(np.eye(20))
    >>> torch.get_num_threads() == before
    True
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, Integral) or n_threads < 1:
        raise ValueError(
            f"torch_threads needs a number of threads, an int of at least 1; got "
            f"{n_threads!r}. Pass e.g. torch_threads(1)."
        )
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
