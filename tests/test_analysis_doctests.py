"""The docstring examples of the analysis modules run and give what they show."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["dbmkit.rfm", "dbmkit.value", "dbmkit.clv", "dbmkit.datasets.real", "dbmkit.datasets.messages"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
