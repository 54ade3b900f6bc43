"""`dbmkit report --set key=value`: dotted settings are validated like the config file (a misspelt name says which
setting was meant, a refused value names the field and the rule, nothing runs), reach every chapter through the
notebooks' `overrides` parameter, change the plan, and are listed on the report's index page, in status.json and in
each chapter's provenance note."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from dbmkit.config import ConfigError, OverrideError, load_config, setting_paths
from dbmkit.overrides import effective_overrides, load_with_sets, parse_sets

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "small_client.yaml"
GOOD = "client: t\ndata:\n  synthetic: {n_people: 300}\ncampaign:\n  budget: 2000\n"


def _cli(args: list[str], timeout: int = 900, **env) -> subprocess.CompletedProcess:
    import os
    e = {k: v for k, v in os.environ.items() if not k.startswith("DBMKIT_")}
    e.update(env)
    return subprocess.run([sys.executable, "-m", "dbmkit.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=e, timeout=timeout)


def _errors(r) -> list[str]:
    return [ln for ln in r.stderr.splitlines() if ln.startswith("[dbmkit] error:")]


# ------------------------------------------------------------------------------------------ parsing and validation
def test_values_are_yaml_scalars():
    got = parse_sets(["campaign.budget=500", "campaign.control_share=0.2", "evaluate.bootstrap=0",
                      "campaign.channel=email", "report.phases=[1, 2]", "campaign.offer=15% off",
                      "campaign.name=Spring: 20% off", "analysis.k_segments=null", "x.y=true"])
    assert got == {"campaign.budget": 500, "campaign.control_share": 0.2, "evaluate.bootstrap": 0,
                   "campaign.channel": "email", "report.phases": [1, 2], "campaign.offer": "15% off",
                   "campaign.name": "Spring: 20% off", "analysis.k_segments": None, "x.y": True}
    for bad in ("campaign.budget", "=5", "campaign.budget="):
        with pytest.raises(OverrideError):
            parse_sets([bad])


def test_overrides_apply_and_validate_like_the_file(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(GOOD)
    cfg, sets = load_with_sets(p, ["campaign.budget=500", "analysis.rfm.bins=4", "analysis.clv_horizon_months=24",
                                   "campaign.control_share=0.2", "report.phases=[1, 2]", "campaign.name=yes",
                                   "economics.cost_per_contact.email=0.05"])
    assert (cfg.campaign.budget, cfg.analysis.rfm.bins, cfg.analysis.clv_horizon_months) == (500, 4, 24)
    assert cfg.campaign.control_share == 0.2 and cfg.report.phases == ["1", "2"]
    assert cfg.campaign.name == "yes"                      # YAML's true, given to a text setting as written
    assert cfg.economics.cost_per_contact["email"] == 0.05 and cfg.economics.cost_per_contact["mail"] == 0.85
    assert effective_overrides(cfg, sets)["report.phases"] == ["1", "2"]
    assert load_with_sets(p, ["campaign.budget=null"])[0].campaign.budget is None      # null clears a setting
    assert "campaign.budget" in setting_paths() and "data.synthetic.n_people" in setting_paths()
    assert "base_dir" not in setting_paths()


@pytest.mark.parametrize("item, field, words", [
    ("campaign.budgt=500", "campaign.budgt", ["unknown setting", "did you mean 'campaign.budget'"]),
    ("budget=500", "budget", ["did you mean 'campaign.budget'"]),
    ("campain.control_share=0.2", "campain.control_share", ["did you mean 'campaign.control_share'"]),
    ("analysis.rfm.binz=4", "analysis.rfm.binz", ["did you mean 'analysis.rfm.bins'"]),
    ("base_dir=/tmp", "base_dir", ["unknown setting"]),
    ("campaign.budget=-1", "campaign.budget", ["greater than 0"]),
    ("campaign.control_share=2", "campaign.control_share", ["less than 0.9"]),
    ("analysis.rfm.bins=many", "analysis.rfm.bins", ["valid integer"]),
    ("campaign.channel=fax", "campaign.channel", ["'email'"]),
    ("economics.cost_per_contact.fax=1", "economics.cost_per_contact", ["unknown channel"]),
    ("campaign.budget.max=1", "campaign.budget.max", ["is a value, not a section"]),
])
def test_a_wrong_override_is_one_clear_problem(tmp_path, item, field, words):
    p = tmp_path / "c.yaml"
    p.write_text(GOOD)
    with pytest.raises(OverrideError) as e:
        load_with_sets(p, [item])
    assert [f for f, _ in e.value.problems] == [field]
    line = e.value.lines()[0]
    assert line.startswith(item.split("=")[0] + "=") and all(w in line for w in words), line
    assert isinstance(e.value, ConfigError)


def test_a_broken_file_is_blamed_on_the_file_not_the_override(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(GOOD.replace("budget: 2000", "budget: -5"))
    with pytest.raises(ConfigError) as e:
        load_config(p, overrides={"campaign.control_share": 0.2})
    assert not isinstance(e.value, OverrideError) and e.value.problems[0][0] == "campaign.budget"


def test_workspace_takes_overrides_as_a_dict_or_json(tmp_path):
    import dbmkit as dbm
    cfg = {"client": "t", "workdir": str(tmp_path), "data": {"synthetic": {"n_people": 300}}}
    ws = dbm.workspace(cfg, build=False, overrides={"campaign.budget": 500})
    assert ws.cfg.campaign.budget == 500 and ws.overrides == {"campaign.budget": 500}
    ws = dbm.workspace(cfg, build=False, overrides='{"analysis.rfm.bins": 3}')
    assert ws.cfg.analysis.rfm.bins == 3
    ws = dbm.workspace(cfg, build=False, overrides=None)            # a notebook opened by hand
    assert ws.cfg.campaign.budget is None and not ws.overrides


def test_every_chapter_takes_the_overrides_parameter():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1 and "\noverrides = None" in params[0].source, path.name
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "(config, overrides=overrides)" in code and "dbm.workspace(config)" not in code, path.name


# ------------------------------------------------------------------------------------------ the command line
@pytest.mark.parametrize("item, words", [
    ("campaign.budgt=500", ["--set campaign.budgt=500: unknown setting", "did you mean 'campaign.budget'"]),
    ("campaign.budget=-1", ["--set campaign.budget=-1:", "greater than 0"]),
])
def test_report_with_a_wrong_set_stops_before_anything_runs(tmp_path, item, words):
    out, work = tmp_path / "rep", tmp_path / "work"
    r = _cli(["report", str(SMALL), "--out", str(out), "--workdir", str(work), "--set", item], timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    errs = _errors(r)
    assert len(errs) == 1 and all(w in errs[0] for w in words), r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists() and not work.exists()                  # nothing was written


def test_check_and_build_take_set_too(tmp_path):
    r = _cli(["check", str(SMALL), "--workdir", str(tmp_path / "w"), "--set", "data.match_threshold=1.5"],
             timeout=120)
    assert r.returncode == 2 and "--set data.match_threshold=1.5:" in r.stderr and "less than 1" in r.stderr
    r = _cli(["build", str(SMALL), "--workdir", str(tmp_path / "w"), "--set", "data.synthetic.n_peopl=300"],
             timeout=120)
    assert r.returncode == 2 and "did you mean 'data.synthetic.n_people'" in r.stderr


@pytest.fixture(scope="module")
def budget_run(tmp_path_factory):
    """Chapter 31 of the small client run by `dbmkit report --set campaign.budget=500` (the file says 4000)."""
    d = tmp_path_factory.mktemp("cli_set")
    work, out = d / "work", d / "rep"
    r = _cli(["report", str(SMALL), "--workdir", str(work), "--out", str(out), "--phases", "31",
              "--set", "campaign.budget=500"], timeout=1200)
    return r, work, out


@pytest.mark.slow          # one report run of chapter 31 on the small client: about a minute
def test_set_budget_changes_the_plan_and_the_report_says_so(budget_run):
    from dbmkit.campaign import plan_campaign
    from dbmkit.client_workspace import Workspace
    r, work, out = budget_run
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "settings changed for this run: campaign.budget=500.0" in r.stdout
    kpis = json.loads((out / "kpis.json").read_text())
    ws = Workspace(load_config(SMALL, overrides={"workdir": str(work)}))
    assert ws.cfg.campaign.budget == 4000
    capped = plan_campaign(Workspace(load_config(SMALL, overrides={"workdir": str(work), "campaign.budget": 500})))
    assert kpis["planned_contacts"] == capped.kpis()["planned_contacts"]
    assert kpis["planned_contacts"] < plan_campaign(ws).kpis()["planned_contacts"]     # the budget binds
    # the send file keeps to the budget: contact costs + the fixed cost ≤ 500
    sent = pd.read_csv(out / "campaign_list.csv")
    cost = sent["channel"].map(ws.cfg.economics.cost_per_contact).sum() + ws.cfg.economics.campaign_fixed_cost
    assert len(sent) == kpis["planned_contacts"] and cost <= 500
    # the chapter saw it, and the report records it
    nb = (out / "notebooks" / "31_plan_budget_test.ipynb").read_text()
    assert "budget 500.0" in nb and "settings changed: `campaign.budget=500.0`" in nb
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-override="campaign.budget"' in index and "campaign.budget = 500.0" in index
    assert json.loads((out / "status.json").read_text())["overrides"] == {"campaign.budget": 500.0}


# ------------------------------------------------------------------------------------------ every chapter, every run
def test_a_chapter_sees_the_override_even_when_an_earlier_run_stored_its_table(tmp_path, monkeypatch):
    """`rfm` stored by a run with 5 bins is not what a later `--set analysis.rfm.bins=3` run reads: the tables made
    with other settings are computed again."""
    from dbmkit import report
    n = 150
    pd.DataFrame({"order": [f"O{i}" for i in range(n)], "customer": [f"C{i % 40}" for i in range(n)],
                  "date": pd.date_range("2024-01-01", periods=n, freq="2D").strftime("%Y-%m-%d"),
                  "amount": [5.0 + (i * 7) % 50 for i in range(n)]}).to_csv(tmp_path / "orders.csv", index=False)
    cfg = tmp_path / "shop.yaml"
    cfg.write_text("client: shop\ndata:\n  sources:\n    orders:\n      - path: orders.csv\n"
                   "        columns: {order_id: order, customer_id: customer, order_ts: date, net_amount: amount}\n")
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('config = ""\noverrides = None', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import dbmkit as dbm\nws = dbm.workspace(config, overrides=overrides)\n"
                                          "dbm.record('rfm_levels', int(ws.table('rfm')['r_score'].max()))\n"
                                          "dbm.record('budget_seen', ws.cfg.campaign.budget)")]
    nbformat.write(nb, str(nbdir / "21_analyze_rfm.ipynb"))
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(nbdir))
    seen = []
    for sets in ({}, {"analysis.rfm.bins": 3, "campaign.budget": 800}, {}):
        res = report.run_report(cfg, out=tmp_path / "rep", workdir=tmp_path / "work", phases=["21"], progress=False,
                                overrides=sets or None)
        assert res.ok, [r.message for r in res.runs]
        seen.append((res.kpis["rfm_levels"], res.kpis["budget_seen"]))
    assert seen == [(5, None), (3, 800.0), (5, None)]


@pytest.mark.slow          # one more run of chapter 31 on the same work folder (the database is reused)
def test_compare_prints_what_the_budget_moved(budget_run):
    r, work, out = budget_run
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    base = out.parent / "rep_base"
    r0 = _cli(["report", str(SMALL), "--workdir", str(work), "--out", str(base), "--phases", "31", "-v"],
              timeout=1200)
    assert r0.returncode == 0, r0.stdout[-3000:] + r0.stderr[-3000:]
    # -v: a line per chapter instead of the bar; report.log has every line with its time
    assert "[dbmkit]   31_plan_budget_test: ok in " in r0.stdout and "chapter/s" not in r0.stdout
    log = (base / "report.log").read_text(encoding="utf-8").splitlines()
    assert any(x[19:].startswith("    31_plan_budget_test: ok in ") for x in log)
    assert all(x[:4] == "20" + x[2:4] and x[10] == " " for x in log) and "report written in" in log[-1]
    a, b = (json.loads((p / "kpis.json").read_text()) for p in (base, out))
    c = _cli(["compare", str(base), str(out)])
    assert c.returncode == 0, c.stderr
    lines = c.stdout.splitlines()
    assert lines[1].startswith("B: ") and "--set campaign.budget=500.0" in lines[1]
    row = next(x for x in lines if x.startswith("Planned contacts"))
    want = b["planned_contacts"] - a["planned_contacts"]
    assert want < 0 and f"{a['planned_contacts']:,}" in row and f"{b['planned_contacts']:,}" in row
    assert f"{want:+,} (".replace("-", "−") in row
    assert lines[-1].endswith("the same (as the pages round them).")
    assert not any(x.startswith("Planned contacts") for x in _cli(["compare", str(out), str(out)]).stdout.splitlines())
    missing = _cli(["compare", str(base), str(out.parent / "nothing_here")])
    assert missing.returncode == 2 and "no kpis.json there" in missing.stderr and "Traceback" not in missing.stderr
