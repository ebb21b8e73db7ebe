"""scikit-learn compatible autoencoders built on PyTorch and skorch."""

from ._clustering import DeepEmbeddedClustering
from ._conv import ConvAutoencoder
from ._dense import AutoencoderTransformer, DenoisingAutoencoder
from ._impute import AutoencoderImputer
from ._outlier import ReconstructionOutlierDetector
from ._sequence import SequenceAutoencoder
from ._timeseries import TimeSeriesOutlierDetector
from ._variational import VariationalAutoencoder
from ._version import __version__

__all__ = [
    "AutoencoderImputer",
    "AutoencoderTransformer",
    "ConvAutoencoder",
    "DeepEmbeddedClustering",
    "DenoisingAutoencoder",
    "ReconstructionOutlierDetector",
    "SequenceAutoencoder",
    "TimeSeriesOutlierDetector",
    "VariationalAutoencoder",
    "__version__",
]
