import os

import pytest
import torch

from _instances import scaled_digits

# Under pytest-xdist each worker gets one core: torch's own threads would fight for it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture
def digits():
    """scikit-learn's bundled 8x8 digits scaled to [0, 1], with their labels."""
    return scaled_digits()
