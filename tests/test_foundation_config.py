"""The client config: valid configs load, every error names the field and the fix."""
from __future__ import annotations

from pathlib import Path

import pytest

from dbmkit.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]


def test_demo_config_loads():
    cfg = load_config(ROOT / "clients" / "demo.yaml")
    assert cfg.client == "demo"
    assert cfg.is_synthetic and cfg.data.synthetic.n_people == 20_000
    assert cfg.economics.cost_per_contact["mail"] == pytest.approx(0.85)
    assert cfg.workdir_path() == ROOT / "work" / "demo"


def test_defaults_fill_in():
    cfg = load_config({"client": "acme", "data": {"synthetic": {"n_people": 100}}})
    assert cfg.title == "Acme"
    assert cfg.campaign.control_share == 0.10
    assert set(cfg.economics.cost_per_contact) == {"email", "sms", "mail", "phone"}


def _problems(raw) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as e:
        load_config(raw)
    return e.value.problems


def test_unknown_fields_suggest_the_right_name():
    probs = dict(_problems({"client": "x", "data": {"synthetic": {"n_peple": 5}}, "econmics": {}}))
    assert "did you mean 'n_people'" in probs["data.synthetic.n_peple"]
    assert "did you mean 'economics'" in probs["econmics"]


def test_bad_values_name_field_and_fix():
    probs = dict(_problems({"client": "a b", "currency": "dollars", "data": {"synthetic": {}},
                            "campaign": {"control_share": 1.5}}))
    assert "letters, digits" in probs["client"]
    assert "three-letter ISO code" in probs["currency"]
    assert "campaign.control_share" in probs


def test_data_needs_exactly_one_source_kind():
    (field, msg), = _problems({"client": "x", "data": {}})
    assert field == "data" and "exactly one of" in msg


def test_sources_check_tables_and_columns():
    (field, msg), = _problems({"client": "x", "data": {"sources": {"order": [{"path": "a.csv"}]}}})
    assert "did you mean 'orders'" in msg
    (field, msg), = _problems({"client": "x", "data": {"sources": {
        "orders": [{"path": "a.csv", "columns": {"order_date": "Date"}}]}}})
    assert "did you mean 'order_ts'" in msg
    (field, msg), = _problems({"client": "x", "data": {"sources": {"customers": [{"path": "c.csv"}]}}})
    assert "needs at least a sales file" in msg


def test_sql_source_needs_url():
    probs = _problems({"client": "x", "data": {"sources": {"orders": [{"sql": "select 1"}]}}})
    assert any("needs `url`" in m for _, m in probs)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("client: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(p)


def test_overrides_and_relative_paths(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("client: t\nworkdir: w\ndata:\n  synthetic: {n_people: 100}\n")
    cfg = load_config(p, overrides={"campaign.budget": 5000, "analysis.rfm.bins": 4})
    assert cfg.campaign.budget == 5000 and cfg.analysis.rfm.bins == 4
    assert cfg.workdir_path() == (tmp_path / "w").resolve()
    assert cfg.resolve("data/x.csv") == (tmp_path / "data" / "x.csv").resolve()


def test_workdir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("DBMKIT_WORKDIR", str(tmp_path / "elsewhere"))
    cfg = load_config({"client": "t", "data": {"synthetic": {"n_people": 100}}})
    assert cfg.workdir_path() == (tmp_path / "elsewhere").resolve()
