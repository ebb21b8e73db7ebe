"""scikit-learn compatible autoencoders built on PyTorch and skorch."""

from ._dense import AutoencoderTransformer

__version__ = "0.1.0"

__all__ = ["AutoencoderTransformer", "__version__"]
