"""Utilities: discovery of the public estimators."""

from .discovery import all_estimators

__all__ = ["all_estimators"]
