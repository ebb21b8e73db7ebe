"""scikit-learn compatible autoencoders built on PyTorch and skorch."""

from ._dense import AutoencoderTransformer
from ._outlier import ReconstructionOutlierDetector

__version__ = "0.1.0"

__all__ = [
    "AutoencoderTransformer",
    "ReconstructionOutlierDetector",
    "__version__",
]
