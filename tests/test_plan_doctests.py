"""The docstring examples of the campaign-planning modules run and give what they show."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["dbmkit.campaign", "dbmkit.campaign.settings", "dbmkit.campaign.selection", "dbmkit.campaign.personalise",
           "dbmkit.campaign.budget", "dbmkit.campaign.control", "dbmkit.campaign.export", "dbmkit.widgets",
           "dbmkit.power", "dbmkit.xlsx"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
