"""docs/DATA_MODEL.md: the canonical section is generated from dbmkit.schema and must not drift from it."""
from __future__ import annotations

from pathlib import Path

import duckdb

from dbmkit import database, schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "DATA_MODEL.md"


def _generated_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert schema.DOC_BEGIN in text and schema.DOC_END in text, "the generated-section markers are missing"
    return text.split(schema.DOC_BEGIN, 1)[1].split(schema.DOC_END, 1)[0]


def test_canonical_section_matches_schema():
    assert _generated_section().strip() == schema.markdown().strip(), (
        "docs/DATA_MODEL.md is out of date with dbmkit/schema.py: run "
        "`python -c 'from dbmkit import schema; schema.write_markdown()'`")


def test_every_canonical_table_and_column_is_documented():
    section = _generated_section()
    for table, cols in schema.TABLES.items():
        assert f"### {table}\n" in section
        block = section.split(f"### {table}\n", 1)[1].split("\n### ", 1)[0]
        for c in cols:
            assert f"| `{c.name}` |" in block, f"{table}.{c.name} missing from the doc"


def test_analysis_section_is_kept():
    text = DOC.read_text(encoding="utf-8")
    assert "## Analysis tables" in text.split(schema.DOC_END, 1)[1]
    for name in ("customer_summary", "rfm", "clv", "segments", "scores", "campaign_contacts", "campaign_results"):
        assert f"### {name}" in text


def test_ddl_of_every_documented_table_runs_with_its_keys_and_checks():
    con = duckdb.connect()
    for table in ("customers", "customer_records", "products", "area_demographics", "campaigns", "orders",
                  "order_items", "consents", "contacts", "responses", "email_events", "sms_events"):
        con.execute(database.ddl(table))
    cols = {r[0] for r in con.execute("SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'CHECK'")
            .fetchall()}
    assert {"orders", "order_items", "customers", "consents"} <= cols
    keys = {r[0] for r in con.execute("SELECT table_name FROM duckdb_constraints() "
                                      "WHERE constraint_type = 'PRIMARY KEY'").fetchall()}
    assert keys == set(schema.PRIMARY_KEYS)
