"""Issue 20 end to end on one client: an overridden chapter, an added chapter and a crosswalk of known id links.

The client is the web-accounts + loyalty-cards client of tests/test_customer_links.py (its links file joins records
that fuzzy matching keeps apart). Its folder gets an edited copy of chapter 11 (the identity chapter, which counts the
links) and a chapter 35 of its own; the report runs both in order, the index marks them, chapter 11's page shows what
the links did, and the database holds the linked records as one person.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dbmkit import cli, report
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_customer_links import _write  # noqa: E402  (the linked client's files)

EDITED = "For this client the crosswalk comes from the loyalty desk."
pytestmark = pytest.mark.xdist_group("client_chapters")


@pytest.fixture(scope="module")
def adapted(tmp_path_factory):
    d = tmp_path_factory.mktemp("adapted")
    cfg = _write(d / "client", links=True, ledger=True)
    assert cli.main(["override-chapter", str(cfg), "11"]) == 0
    assert cli.main(["new-chapter", str(cfg), "35", "Loyalty desk review", "--name", "35_links_loyalty"]) == 0
    folder = load_config(cfg).client_notebooks_path()
    copy = folder / "11_build_clean_merge.ipynb"
    nb = json.loads(copy.read_text(encoding="utf-8"))
    title = next(i for i, c in enumerate(nb["cells"])
                 if c["cell_type"] == "markdown" and "# 11" in "".join(c["source"]))
    nb["cells"].insert(title + 1, {"cell_type": "markdown", "id": "client-note", "metadata": {}, "source": EDITED})
    copy.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    out = d / "report"
    res = report.run_report(cfg, out=out, workdir=d / "client" / "work", phases=["11", "35"], progress=False)
    return {"cfg": cfg, "out": out, "res": res, "folder": folder}


def test_the_report_runs_the_client_chapters_in_order_and_marks_them(adapted):
    out = adapted["out"]
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    got = [(c["file"], c["kind"], c["status"]) for c in status["chapters"]]
    assert got == [("11_build_clean_merge", "overridden", "ok"), ("35_links_loyalty", "added", "ok")], status
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-chapter="11_build_clean_merge" data-kind="overridden"' in index
    assert 'data-chapter="35_links_loyalty" data-kind="added"' in index
    page = (out / "11_build_clean_merge.html").read_text(encoding="utf-8")
    assert EDITED in page                                        # the client's copy ran
    assert "links applied" in page                               # the identity chapter counts the known links


def test_the_links_merged_the_linked_records(adapted):
    ws = Workspace(load_config(adapted["cfg"]))
    person = ws.sql("SELECT record_id, customer_id FROM customer_records").set_index("record_id")["customer_id"]
    for group in (["W001", "C-5001"], ["W003", "C-5003", "W004"]):
        assert person[group].nunique() == 1, group
    assert person["W008"] not in set(person.drop("W008"))


def test_check_counts_the_links_and_accepts_the_client_chapters(adapted, capsys):
    assert cli.main(["check", str(adapted["cfg"])]) == 0
    out = capsys.readouterr().out
    assert "known id links" in out
    assert "Client notebooks: every rule kept" in out
