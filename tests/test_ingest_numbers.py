"""Numbers read right or flagged (issue 13, item 3): the decimal convention of each numeric column is detected from
its values and read with a note, or the rows are quarantined with the fix; non-finite and absurd amounts are
refused; ids a spreadsheet wrote in scientific notation stop the load; transactions dated outside the plausible
window are quarantined; a quote that never closes sets aside its own line only, with the line's full text.
Every case: rows read = loaded + quarantined."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit import cli
from dbmkit.config import SourceFile
from dbmkit.ingest import IngestError, Limits, load_source
from dbmkit.ingest.numbers import decide_convention, number_value

ORDERS = {"order_id": "Invoice", "order_ts": "Date", "customer_id": "Customer", "net_amount": "Amount"}


def load(tmp_path, text, table="orders", columns=ORDERS, name="f.csv", limits=None, **kw):
    (tmp_path / name).write_text(text, encoding="utf-8")
    con = duckdb.connect()
    res = load_source(con, table, SourceFile(path=name, columns=columns, **kw), base_dir=tmp_path, limits=limits)
    assert res.rows_read == res.rows_loaded + res.rows_quarantined                # the reconciliation rule
    assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == res.rows_quarantined
    return con, res


def amounts(con, table="orders", col="net_amount"):
    return [r[0] for r in con.execute(f"SELECT {col} FROM src_{table} ORDER BY source_row").fetchall()]


def reasons(con):
    return con.execute("SELECT source_row, reason FROM quarantine ORDER BY source_row").fetchall()


def orders_file(values, delim=";"):
    head = delim.join(["Invoice", "Date", "Customer", "Amount"])
    rows = [delim.join([str(i), "2024-01-05", f"C{i}", v]) for i, v in enumerate(values, 1)]
    return "\n".join([head, *rows]) + "\n"


# ------------------------------------------------------------------------------------------------ the case
def test_european_amounts_in_a_semicolon_file_are_read_right_with_a_note(tmp_path):
    con, res = load(tmp_path, orders_file(["1.234,56", "12,5", "1 234,56", "1\u00a0234,56", "1\u202f234,00"]))
    assert amounts(con) == [1234.56, 12.5, 1234.56, 1234.56, 1234.0]
    assert res.rows_quarantined == 0
    assert res.notes == ["f.csv column Amount: comma decimals, '.' and ' ' thousands — '1.234,56' read as 1234.56 "
                         "(set `decimal: ','` to make it explicit)"]
    log = con.execute("SELECT warnings FROM load_log").fetchall()[0][0]
    assert log == "note: " + res.notes[0]


@pytest.mark.parametrize("values, expected", [
    (["1234.56", "12.5"], [1234.56, 12.5]),
    (["1,234.56", "1,234,567.5"], [1234.56, 1234567.5]),
    (["1.234,56", "1.234.567,5"], [1234.56, 1234567.5]),
    (["1234,56", "0,5"], [1234.56, 0.5]),
    (["1 234,56", "2 000 000,10"], [1234.56, 2000000.1]),
    (["1'234.56", "CHF 1’000.50"], [1234.56, 1000.5]),
    (["€ 1.234,56", "12,50 €", "EUR 3,10", "4,00 EUR"], [1234.56, 12.5, 3.1, 4.0]),
    (["$1,234.56", "£12.50", "¥1,000.00", "12.50 USD"], [1234.56, 12.5, 1000.0, 12.5]),
    (["12.50-", "(1,234.00)", "-3.25", "( 7.10 )"], [-12.5, -1234.0, -3.25, -7.1]),
])
def test_each_convention_is_read_right(tmp_path, values, expected):
    con, res = load(tmp_path, orders_file(values, delim="\t"))
    assert res.rows_quarantined == 0, reasons(con)
    assert amounts(con) == pytest.approx(expected)


def test_negatives_in_parentheses_get_a_note(tmp_path):
    con, res = load(tmp_path, orders_file(["(12.00)", "5.00"], delim=","))
    assert amounts(con) == [-12.0, 5.0]
    assert res.notes == ["f.csv column Amount: 1 value(s) in parentheses read as negative (e.g. (12.00) → -12.00)"]


def test_plain_decimals_need_no_note(tmp_path):
    con, res = load(tmp_path, orders_file(["1,234.56", "12.50", "7"], delim="\t"))
    assert amounts(con) == [1234.56, 12.5, 7.0] and res.notes == [] and res.rows_quarantined == 0


# ------------------------------------------------------------------------------------------------ ambiguity
def test_ambiguous_values_follow_the_semicolon_hint_when_they_agree(tmp_path):
    con, res = load(tmp_path, orders_file(["1,234", "5,678", "7"]))
    assert amounts(con) == [1.234, 5.678, 7.0]
    assert res.notes == ["f.csv column Amount: values such as '1,234' fit both conventions; ',' was read as the "
                         "decimal mark (read as 1.234, as the file's delimiter suggests) — set `decimal: ','` to make "
                         "it explicit"]


def test_ambiguous_values_that_disagree_are_quarantined_with_the_fix(tmp_path):
    con, res = load(tmp_path, orders_file(["1,234", "5.678", "7"]))
    assert amounts(con) == [7.0]
    assert reasons(con) == [
        (2, "net_amount: '1,234' is ambiguous (a thousands separator or a decimal mark?): set `decimal: '.'` or "
            "`decimal: ','` for this source"),
        (3, "net_amount: '5.678' is ambiguous (a thousands separator or a decimal mark?): set `decimal: '.'` or "
            "`decimal: ','` for this source")]


def test_ambiguous_values_without_a_hint_are_quarantined_and_an_explicit_decimal_settles_them(tmp_path):
    con, res = load(tmp_path, orders_file(["1,234", "2,000"], delim="\t"))
    assert res.rows_loaded == 0 and res.rows_quarantined == 2
    assert all("is ambiguous" in r for _, r in reasons(con))
    con, res = load(tmp_path, orders_file(["1,234", "2,000"], delim="\t"), decimal=".")
    assert amounts(con) == [1234.0, 2000.0] and res.notes == []


def test_a_value_against_the_columns_convention_is_quarantined(tmp_path):
    con, res = load(tmp_path, orders_file(["1,234.56", "12.50", "3.10", "12,5"], delim="\t"))
    assert amounts(con) == [1234.56, 12.5, 3.1]
    assert reasons(con) == [(5, "net_amount: '12,5' has a decimal comma but the column's other values use a decimal "
                                "point: correct the value, or set `decimal:` for this source")]


def test_an_explicit_decimal_wins_and_values_that_do_not_read_under_it_are_quarantined(tmp_path):
    con, res = load(tmp_path, orders_file(["12,5", "1.234,56", "3"]), decimal=".")
    assert amounts(con) == [3.0]
    assert [r for _, r in reasons(con)] == [
        "net_amount: '12,5' does not read with `decimal: '.'` set for this source (it has a decimal comma): correct "
        "the value, or the setting",
        "net_amount: '1.234,56' does not read with `decimal: '.'` set for this source (it has a decimal comma): "
        "correct the value, or the setting"]
    con, res = load(tmp_path, orders_file(["12,5", "1.234,56", "3"]), decimal=",")
    assert amounts(con) == [12.5, 1234.56, 3.0] and res.notes == []


def test_separators_that_fit_no_convention_are_quarantined(tmp_path):
    con, res = load(tmp_path, orders_file(["1.234.56", "12,34.5", "8.00"], delim="\t"))
    assert amounts(con) == [8.0]
    assert [r for _, r in reasons(con)] == [
        "net_amount: '1.234.56' is not a number (its separators fit neither 1,234.56 nor 1.234,56)",
        "net_amount: '12,34.5' is not a number (its separators fit neither 1,234.56 nor 1.234,56)"]


# ------------------------------------------------------------------------------------------------ limits
def test_non_finite_and_absurd_amounts_are_refused(tmp_path):
    con, res = load(tmp_path, orders_file(["1e308", "1e400", "inf", "-2e9", "999999999", "12.5"], delim=","))
    assert amounts(con) == [999999999.0, 12.5]
    assert reasons(con) == [
        (2, "net_amount: '1e308' is beyond the limit of ±1,000,000,000 (`data.max_amount`): a typing error or a test "
            "value?"),
        (3, "net_amount: '1e400' is not a finite number"),
        (4, "net_amount: 'inf' is not a number"),
        (5, "net_amount: '-2e9' is beyond the limit of ±1,000,000,000 (`data.max_amount`): a typing error or a test "
            "value?")]


def test_the_amount_limit_is_configurable(tmp_path):
    con, res = load(tmp_path, orders_file(["150", "99.5"], delim=","), limits=Limits(max_amount=100))
    assert amounts(con) == [99.5]
    assert reasons(con) == [(2, "net_amount: '150' is beyond the limit of ±100 (`data.max_amount`): a typing error "
                                "or a test value?")]


def test_an_absurd_quantity_is_refused_so_quantity_times_price_stays_finite(tmp_path):
    cols = {"order_id": "inv", "order_ts": "day", "customer_id": "cust", "product_id": "sku", "quantity": "qty",
            "unit_price": "price"}
    text = "inv,day,cust,sku,qty,price\n1,2024-01-05,C1,P1,1e300,1e8\n2,2024-01-05,C1,P2,2,3.5\n"
    con, res = load(tmp_path, text, table="sales_lines", columns=cols)
    assert amounts(con, "sales_lines", "quantity * unit_price") == [7.0]
    assert reasons(con) == [(2, "quantity: '1e300' is beyond the limit of ±1,000,000 (`data.max_quantity`): a "
                                "typing error or a test value?")]


# ------------------------------------------------------------------------------------------------ ids
@pytest.mark.parametrize("value, delim", [("1.23457E+11", ","), ("1,23457E+11", ";")])
def test_ids_in_scientific_notation_stop_the_load_with_the_fix(tmp_path, value, delim):
    rows = [delim.join(["Invoice", "Date", "Customer", "Amount"]), delim.join(["1", "2024-01-05", "C9", "5"]),
            delim.join(["2", "2024-01-05", value, "6"]), delim.join(["3", "2024-01-06", value, "7"])]
    (tmp_path / "f.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(IngestError) as e:
        load_source(duckdb.connect(), "orders", SourceFile(path="f.csv", columns=ORDERS), base_dir=tmp_path)
    assert (e.value.file, e.value.column, e.value.row) == ("f.csv", "Customer", 3)
    assert str(e.value) == (
        f"f.csv, column 'Customer', row 3: 2 value(s) of customer_id are numbers in scientific notation (e.g. "
        f"'{value}'): a spreadsheet rounded the long numbers, their last digits are lost and different customers "
        f"would become one\n  Fix: export the column 'Customer' again as text (in Excel: select the column, Format "
        f"Cells → Text, before saving as CSV; or export from the orders system directly); the rounded values cannot "
        f"be repaired")


def test_long_numeric_ids_and_codes_with_an_e_are_not_stopped(tmp_path):
    con, res = load(tmp_path, "Invoice,Date,Customer,Amount\n3E12,2024-01-05,123456789012,5\n"
                              "7E+X,2024-01-05,000123,6\n")
    assert con.execute("SELECT order_id, customer_id FROM src_orders ORDER BY source_row").fetchall() == \
        [("3E12", "123456789012"), ("7E+X", "000123")]


# ------------------------------------------------------------------------------------------------ dates
def test_dates_outside_the_plausible_window_are_quarantined(tmp_path):
    text = ("Invoice,Date,Customer,Amount\n1,0001-01-05,C1,5\n2,1899-12-30,C2,6\n3,2024-01-01,C3,7\n"
            "4,2026-01-03,C4,8\n5,2099-05-01 10:00,C5,9\n")
    con, res = load(tmp_path, text, limits=Limits(latest=dt.date(2025, 12, 31)))
    assert amounts(con) == [7.0]
    assert reasons(con) == [
        (2, "order_ts: date before the plausible dates (0001-01-05: they start 1990-01-01, `data.dates`)"),
        (3, "order_ts: date before the plausible dates (1899-12-30: they start 1990-01-01, `data.dates`)"),
        (5, "order_ts: date after the plausible dates (2026-01-03: they end 2025-12-31, `data.dates`)"),
        (6, "order_ts: date in the future (2099-05-01 10:00:00, after the plausible dates, which end 2025-12-31: "
            "`data.dates`)")]
    con, res = load(tmp_path, text, limits=Limits(earliest=dt.date(1, 1, 1), latest=dt.date(2100, 1, 1)))
    assert res.rows_loaded == 5


def _client(d, orders_text, extra=""):
    (d / "orders.csv").write_text(orders_text, encoding="utf-8")
    cfg = d / "shop.yaml"
    cfg.write_text("client: shop\nanalysis_date: 2024-12-31\ndata:\n" + extra + "  sources:\n    orders:\n"
                   "      - path: orders.csv\n        columns: {order_id: Invoice, customer_id: Customer, "
                   "order_ts: Date, net_amount: Amount}\n")
    return cfg


def test_check_shows_the_note_and_a_plausible_period(tmp_path, capsys):
    rows = [f"{i};2024-{1 + i % 12:02d}-05;C{i % 7};{i},50" for i in range(1, 40)] + \
        ["40;0001-01-05;C1;1.234,56", "41;1899-12-30;C2;12,5"]
    cfg = _client(tmp_path, "Invoice;Date;Customer;Amount\n" + "\n".join(rows) + "\n")
    cli.main(["check", str(cfg), "--workdir", str(tmp_path / "work")])
    out = capsys.readouterr().out
    assert ("      note: orders.csv column Amount: comma decimals, '.' thousands — '1.234,56' read as 1234.56 (set "
            "`decimal: ','` to make it explicit)") in out
    assert "Period: orders from 2024-01-05 to 2024-12-05 (11 months)" in out
    assert "order_ts: date before the plausible dates (0001-01-05: they start 1990-01-01, `data.dates`)" in out
    assert "fix: a placeholder or broken date" in out


def test_the_date_window_is_set_in_the_config(tmp_path, capsys):
    cfg = _client(tmp_path, "Invoice,Date,Customer,Amount\n1,1985-03-01,C1,5\n2,2024-03-01,C2,6\n",
                  extra="  dates: {earliest: 1980-01-01}\n")
    cli.main(["check", str(cfg), "--workdir", str(tmp_path / "work")])
    assert "Period: orders from 1985-03-01 to 2024-03-01" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------ quoting
def test_an_unclosed_quote_sets_aside_its_own_line_only(tmp_path):
    rows = ["Invoice,Date,Customer,Amount"] + [f"{i},2024-01-05,C{i},{i}.5" for i in range(1, 41)]
    rows[4] = '4,2024-01-05,"C4 ' + "x" * 600 + ',4.5'                      # line 5 of the file: data row 4
    con, res = load(tmp_path, "\n".join(rows) + "\n")
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (40, 39, 1)
    q = con.execute("SELECT source_row, reason, raw_values FROM quarantine").fetchall()
    assert q == [(5, "unreadable line: a quote opens but never closes properly (set aside on its own, the lines "
                     "after it were read as usual)", rows[4])]
    assert len(q[0][2]) > 600                                               # the full raw text, not cut at 500
    got = con.execute("SELECT source_row, customer_id FROM src_orders ORDER BY source_row").fetchall()
    assert got == [(i + 1, f"C{i}") for i in range(1, 41) if i != 4]


def test_several_broken_quotes_and_a_real_multiline_value(tmp_path):
    text = ('Invoice,Date,Customer,Amount\n1,2024-01-05,"C1\nsecond line",1.5\n2,2024-01-05,"C2,2.5\n'
            '3,2024-01-05,C3,3.5\n4,2024-01-05,C4,4.5\n5,2024-01-05,"C5,5.5\n6,2024-01-05,C6,6.5\n')
    con, res = load(tmp_path, text)
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (6, 4, 2)
    assert con.execute("SELECT source_row, customer_id FROM src_orders ORDER BY source_row").fetchall() == \
        [(2, "C1 second line"), (5, "C3"), (6, "C4"), (8, "C6")]
    assert con.execute("SELECT source_row, raw_values FROM quarantine ORDER BY source_row").fetchall() == \
        [(4, '2,2024-01-05,"C2,2.5'), (7, '5,2024-01-05,"C5,5.5')]


# ------------------------------------------------------------------------------------------------ round trip
STYLES = {
    "1234.56": lambda x: f"{x:.2f}",
    "1,234.56": lambda x: f"{x:,.2f}",
    "1.234,56": lambda x: f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", "."),
    "1234,56": lambda x: f"{x:.2f}".replace(".", ","),
    "1 234,56": lambda x: f"{x:,.2f}".replace(",", " ").replace(".", ","),
    "1\u00a0234,56": lambda x: f"{x:,.2f}".replace(",", "\u00a0").replace(".", ","),
    "1\u202f234,56": lambda x: f"{x:,.2f}".replace(",", "\u202f").replace(".", ","),
    "1'234.56": lambda x: f"{x:,.2f}".replace(",", "'"),
}
SIGNS = [lambda s: "-" + s, lambda s: "(" + s + ")", lambda s: s + "-"]
MONEY = [lambda s: s, lambda s: "€" + s, lambda s: s + " €", lambda s: "EUR " + s, lambda s: s + " CHF",
         lambda s: "$" + s, lambda s: "£ " + s, lambda s: "¥" + s]


@settings(max_examples=60, deadline=None)
@given(cents=st.lists(st.integers(-10 ** 11, 10 ** 11), min_size=1, max_size=8),
       style=st.sampled_from(sorted(STYLES)), sign=st.sampled_from(range(3)), money=st.sampled_from(range(8)))
def test_amounts_round_trip_in_every_convention(cents, style, sign, money):
    values = [Decimal(c) / 100 for c in cents]
    texts = []
    for x in values:
        s = MONEY[money](STYLES[style](abs(x)))
        texts.append(SIGNS[sign](s) if x < 0 else s)
    con = duckdb.connect()
    con.execute("CREATE TABLE s (i INT, v VARCHAR)")
    con.executemany("INSERT INTO s VALUES (?, ?)", list(enumerate(texts)))
    conv = decide_convention(con, "s", "v", "v", explicit=None, hint=None)
    got = [r[0] for r in con.execute(f"SELECT {number_value('v', conv, 1e9)} FROM s ORDER BY i").fetchall()]
    assert got == [float(x) for x in values], (texts, conv)


def test_typed_sources_keep_their_numbers_without_a_note(tmp_path):
    """A Parquet file's numbers are numbers: 1.234 stays 1.234 (no thousands guess, no note)."""
    pd.DataFrame({"Invoice": ["1", "2", "3"], "Date": ["2024-01-05"] * 3, "Customer": ["C1", "C2", "C3"],
                  "Amount": [1.234, 1234.5, 2.0e-05]}).to_parquet(tmp_path / "f.parquet")
    con = duckdb.connect()
    res = load_source(con, "orders", SourceFile(path="f.parquet", columns=ORDERS), base_dir=tmp_path)
    assert amounts(con) == [1.234, 1234.5, 2.0e-05] and res.notes == [] and res.rows_quarantined == 0


def test_a_line_duckdb_rejects_keeps_its_full_text(tmp_path):
    long_line = "2,2024-01-05,C2," + "9" * 700 + ",extra"                 # one field too many
    con, res = load(tmp_path, f"Invoice,Date,Customer,Amount\n1,2024-01-05,C1,5\n{long_line}\n3,2024-01-06,C3,6\n")
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (3, 2, 1)
    assert con.execute("SELECT source_row, raw_values FROM quarantine").fetchall() == [(3, long_line)]
