"""Utilities: discovery of the public estimators, and torch's threads for a block of code."""

from ._threads import torch_threads
from .discovery import all_estimators

__all__ = ["all_estimators", "torch_threads"]
