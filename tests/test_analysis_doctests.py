"""The docstring examples of the analysis modules run and give what they show."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dbmkit.clv

# every module of the clv package carries an example
CLV_MODULES = ["dbmkit.clv"] + [f"dbmkit.clv.{m.name}" for m in pkgutil.iter_modules(dbmkit.clv.__path__)]
MODULES = ["dbmkit.rfm", "dbmkit.value", *CLV_MODULES, "dbmkit.datasets.real", "dbmkit.datasets.messages"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
