"""The gallery examples say so when they fall back to other data.

Each example reads a real data set from ``SKLEARN_AE_DATA`` and, where it is missing, runs
on scikit-learn's digits or synthetic data instead, whose figures differ from those its
text describes. The fallback must be announced in the run's output, not silent. (The
documentation's build runs every example; this test reads their code.)
"""

import ast
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("plot_*.py"))


def fallbacks(path):
    """The ``except FileNotFoundError`` handlers of an example."""
    tree = ast.parse(path.read_text())
    return [
        handler for handler in ast.walk(tree)
        if isinstance(handler, ast.ExceptHandler)
        and isinstance(handler.type, ast.Name) and handler.type.id == "FileNotFoundError"
    ]


def prints(handler):
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id == "print"
        for statement in handler.body for node in ast.walk(statement)
    )


def test_the_examples_are_found():
    assert len(EXAMPLES) >= 8
    assert sum(bool(fallbacks(path)) for path in EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_fallback_prints_a_notice(path):
    for handler in fallbacks(path):
        assert prints(handler), f"{path.name}, line {handler.lineno}: a silent fallback"
