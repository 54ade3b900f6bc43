"""The docstring examples of the build modules run and give what they show (one process per module, so the
examples that share a small workspace build it once)."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["dbmkit.ingest", "dbmkit.ingest.errors", "dbmkit.ingest.filetype", "dbmkit.ingest.files",
           "dbmkit.ingest.sql_sources", "dbmkit.ingest.staging", "dbmkit.ingest.numbers", "dbmkit.ingest.coercion",
           "dbmkit.ingest.load", "dbmkit.ingest.catalogue",
           "dbmkit.clean", "dbmkit.identity", "dbmkit.database", "dbmkit.database.store",
           "dbmkit.database.rules", "dbmkit.database.pipeline", "dbmkit.database.consent", "dbmkit.database.erasure",
           "dbmkit.database.quality", "dbmkit.database.sandbox", "dbmkit.database.ledger", "dbmkit.schema"]


# the modules whose examples build the same small workspace (tempdir/dbmkit_doc_database) run on one xdist worker,
# one after the other: two workers building it at once swap each other's database file away
SHARED_WORKSPACE = {"dbmkit.database.pipeline", "dbmkit.database.erasure", "dbmkit.database.quality",
                    "dbmkit.database.sandbox"}


@pytest.mark.parametrize("name", [pytest.param(m, marks=pytest.mark.xdist_group("doc_database"))
                                  if m in SHARED_WORKSPACE else m for m in MODULES])
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
