"""Config limits: YAML aliases ("billion laughs") are refused before validation, and every config problem —
a date that does not exist, a folder instead of a file, a wrong --set, a huge value — is a ConfigError with one
line per problem, never a traceback from YAML, pydantic or Python."""
from __future__ import annotations

from pathlib import Path

import pytest

from dbmkit.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]
GOOD = "client: acme\ndata:\n  synthetic: {n_people: 100}\n"


def _bomb(levels: int = 9) -> str:
    """One YAML list whose items are 10, 100, 1000 … "lol"s once the aliases are expanded (10^9 in the last)."""
    items = ['&a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    items += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "[" + ",\n             ".join(items) + "]"


def _error(path: Path, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        load_config(path, **kw)
    err = e.value
    assert len(err.problems) == 1
    assert str(err).splitlines() == [f"The client config in {path} has 1 problem(s):",
                                     f"  - {err.problems[0][0]}: {err.problems[0][1]}"]
    assert len(str(err)) < 600
    return err


def test_billion_laughs_in_a_valid_field_is_refused_before_validation(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text("client: acme\ndata:\n  sources:\n    orders:\n      - path: o.csv\n"
                 "        columns: {order_id: a, order_ts: b, net_amount: c}\n"
                 f"        constants: {{channel: {_bomb()}}}\n")
    err = _error(p)
    field, msg = err.problems[0]
    assert field == "config" and msg.startswith("line 8, column 19: YAML alias '*a0'")
    assert "aliases" in msg and "write the values out in full" in msg
    # a merge key is an alias too; the shipped configs use none and load
    q = tmp_path / "merge.yaml"
    q.write_text("base: &base {n_people: 100}\nclient: acme\ndata:\n  synthetic:\n    <<: *base\n")
    assert _error(q).problems[0][1].startswith("line 5, column 9: YAML alias '*base'")
    for name in ("demo.yaml", "cdnow.yaml", "complete_journey.yaml"):
        assert load_config(ROOT / "clients" / name).client
    assert load_config(ROOT / "tests" / "small_client.yaml").client == "small"


def test_a_date_that_does_not_exist_names_its_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(GOOD + "analysis_date: 2024-13-45\n")
    msg = _error(p).problems[0][1]
    assert msg.startswith("not valid YAML at line 4, column 16: '2024-13-45' is not a date")
    assert "YYYY-MM-DD" in msg


def test_a_folder_a_huge_file_or_deep_nesting_is_one_clear_line(tmp_path):
    assert "is a folder" in _error(tmp_path).problems[0][1]
    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "# " + "x" * 2_000_000 + "\n")
    assert "more than a client config can hold" in _error(big).problems[0][1]
    deep = tmp_path / "deep.yaml"
    deep.write_text(GOOD + "campaign:\n  name: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than" in _error(deep).problems[0][1]


def test_wrong_overrides_and_huge_values_are_one_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(GOOD)
    field, msg = _error(p, overrides={"client.name": "x"}).problems[0]
    assert field == "client.name" and "client is a value, not a section" in msg
    field, msg = _error(p, overrides={"data.synthetic.n_people": "many\n" * 10_000}).problems[0]
    assert field == "data.synthetic.n_people" and "valid integer" in msg and len(msg) < 200
