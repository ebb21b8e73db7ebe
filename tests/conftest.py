import os

import pytest
import torch

# Under pytest-xdist each worker gets one core: torch's own threads would fight for it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture
def digits():
    """scikit-learn's bundled 8x8 digits scaled to [0, 1], with their labels."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y
