"""Display objects in scikit-learn's style, to look at autoencoders.

Each Display is made by ``from_estimator`` (or ``from_predictions`` / ``from_codes``)
and draws with ``plot``; the axes and figure are kept as ``ax_`` and ``figure_``, the
artists as attributes ending in ``_``. matplotlib is imported only when a plot is made.
"""

from ._latent_space import LatentSpaceDisplay
from ._loss_curve import LossCurveDisplay
from ._reconstruction import ReconstructionDisplay
from ._reconstruction_error import ReconstructionErrorDisplay

__all__ = [
    "LatentSpaceDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
    "ReconstructionErrorDisplay",
]
