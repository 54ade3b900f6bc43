"""What a source's file really is, told by its bytes (issue 13, item 4): files that are not tables are refused with
the type, the file and the fix; UTF-16/32 text is read and the encoding named; duplicate mapped header names are
refused with their positions; a workbook whose first sheet is a cover page names the sheet to set; merged Excel cells
are filled; time-zone-aware Parquet timestamps become the client's local time. Each case goes through
``load_source`` (what ``dbmkit build``/``check`` run) or the CLI, and reconciles rows read = loaded + quarantined."""
from __future__ import annotations

import gzip
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dbmkit import cli
from dbmkit.config import ConfigError, SourceFile, load_config
from dbmkit.ingest import IngestError, detect_encoding, load_source
from dbmkit.ingest.filetype import file_kind

ROOT = Path(__file__).resolve().parents[1]
ORDERS = {"order_id": "order", "customer_id": "customer", "order_ts": "date", "net_amount": "amount"}
CSV = "order,customer,date,amount\nO1,C1,2024-01-02,5\nO2,C2,2024-01-03,6\n"


def load(tmp_path, name, columns=ORDERS, table="orders", **kw):
    con = duckdb.connect()
    spec = kw.pop("spec", None) or SourceFile(path=name, columns=columns, **kw)
    res = load_source(con, table, spec, base_dir=tmp_path)
    assert res.rows_read == res.rows_loaded + res.rows_quarantined
    return con, res


def refused(tmp_path, name, *words, **kw) -> str:
    with pytest.raises(IngestError) as e:
        load(tmp_path, name, **kw)
    msg = str(e.value)
    assert msg.startswith(f"{name}: ") and "\n  Fix: " in msg, msg
    missing = [w for w in words if w not in msg]
    assert not missing, (missing, msg)
    return msg


def rows(con, cols="order_id, customer_id, net_amount"):
    return con.execute(f"SELECT {cols} FROM src_orders ORDER BY source_row").fetchall()


# ------------------------------------------------------------------------------------------- files that are not tables
def test_a_png_renamed_csv_is_named_a_png_image(tmp_path):
    (tmp_path / "sales.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    refused(tmp_path, "sales.csv", "is a PNG image, not a CSV", "Fix: export the sheet or table as CSV")


def test_a_pdf_renamed_csv_is_named_a_pdf(tmp_path):
    (tmp_path / "sales.csv").write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    refused(tmp_path, "sales.csv", "is a PDF document", "a table in a PDF cannot be read")


@pytest.mark.parametrize("head, words", [
    (b"\xff\xd8\xff\xe0" + bytes(64), ["a JPEG image"]),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), ["an old Office file", "save it as .xlsx"]),
    (b"SQLite format 3\x00" + bytes(64), ["an SQLite database", "`url: sqlite:///"]),
    (bytes(range(256)) * 4, ["binary data, not text"]),
])
def test_other_files_that_are_not_tables(tmp_path, head, words):
    (tmp_path / "sales.csv").write_bytes(head)
    refused(tmp_path, "sales.csv", *words)


def test_a_password_protected_workbook_is_named_so(tmp_path):
    (tmp_path / "book.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))   # encrypted: OLE2
    refused(tmp_path, "book.xlsx", "password-protected (encrypted)", "remove the password")


def test_a_header_starting_like_a_bzip2_magic_is_text(tmp_path):
    (tmp_path / "s.csv").write_text("BZh_order,customer,date,amount\nO1,C1,2024-01-02,5\n")
    con, res = load(tmp_path, "s.csv", columns={**ORDERS, "order_id": "BZh_order"})
    assert rows(con) == [("O1", "C1", 5.0)]


def test_a_zip_of_several_files_renamed_csv_lists_them(tmp_path):
    with zipfile.ZipFile(tmp_path / "sales.csv", "w") as z:
        z.writestr("orders.csv", CSV)
        z.writestr("customers.csv", "id\n1\n")
    refused(tmp_path, "sales.csv", "a ZIP archive holding 2 files (orders.csv, customers.csv), not one CSV file",
            "unpack it")


def test_a_zip_or_gzip_of_one_csv_under_a_csv_name_is_unpacked(tmp_path):
    """They used to reach DuckDB as raw bytes: every line quarantined as 'not text'."""
    with zipfile.ZipFile(tmp_path / "z.csv", "w") as z:
        z.writestr("export/orders.csv", CSV)
    (tmp_path / "g.csv").write_bytes(gzip.compress(CSV.encode()))
    for name, note in (("z.csv", "a ZIP archive: read 'export/orders.csv' inside it"), ("g.csv", "gzip")):
        con, res = load(tmp_path, name)
        assert rows(con) == [("O1", "C1", 5.0), ("O2", "C2", 6.0)] and res.rows_quarantined == 0, name
        assert any(note in w for w in res.warnings), res.warnings


def test_a_compressed_file_must_hold_text(tmp_path):
    (tmp_path / "s.csv.gz").write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(300)))
    refused(tmp_path, "s.csv.gz", "the gzip file holds a PNG image, not CSV text", "compress only the CSV")
    (tmp_path / "u.csv.gz").write_bytes(gzip.compress(CSV.encode("utf-16")))         # UTF-16 inside is text
    con, res = load(tmp_path, "u.csv.gz")
    assert res.rows_loaded == 2 and res.encoding == "utf-16-le"


def test_a_workbook_or_parquet_under_a_csv_name_names_the_format_to_set(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(CSV))
    df.to_excel(tmp_path / "book.xlsx", index=False)
    (tmp_path / "book.csv").write_bytes((tmp_path / "book.xlsx").read_bytes())
    refused(tmp_path, "book.csv", "is an Excel workbook (.xlsx), not a CSV", "rename it to book.xlsx",
            "`format: excel`")
    con, res = load(tmp_path, "book.csv", format="excel")
    assert rows(con) == [("O1", "C1", 5.0), ("O2", "C2", 6.0)]
    df.to_parquet(tmp_path / "pq.csv")
    refused(tmp_path, "pq.csv", "is a Parquet file, not a CSV", "`format: parquet`")
    con, res = load(tmp_path, "pq.csv", format="parquet")
    assert res.rows_loaded == 2
    (tmp_path / "text.xlsx").write_text(CSV)
    refused(tmp_path, "text.xlsx", "is text (a CSV file?), not an Excel workbook", "rename it to text.csv")


# --------------------------------------------------------------------------------------------------------- encodings
ENCODED = {
    "utf16_le_bom": (b"\xff\xfe" + CSV.encode("utf-16-le"), "utf-16-le", "UTF-16 LE text (its byte-order mark"),
    "utf16_be_bom": (b"\xfe\xff" + CSV.encode("utf-16-be"), "utf-16-be", "UTF-16 BE text (its byte-order mark"),
    "utf16_le": (CSV.encode("utf-16-le"), "utf-16-le", "UTF-16 LE text (no byte-order mark: told by the NUL bytes"),
    "utf16_be": (CSV.encode("utf-16-be"), "utf-16-be", "UTF-16 BE text (no byte-order mark"),
    "utf32_le_bom": (CSV.encode("utf-32"), "utf-32-le", "UTF-32 LE text (its byte-order mark"),
    "utf32_be_bom": (b"\x00\x00\xfe\xff" + CSV.encode("utf-32-be"), "utf-32-be", "UTF-32 BE text (its byte-order"),
    "utf32_le": (CSV.encode("utf-32-le"), "utf-32-le", "UTF-32 LE text (no byte-order mark"),
}


@pytest.mark.parametrize("case", list(ENCODED))
def test_utf16_and_utf32_are_read_and_named(tmp_path, case):
    data, codec, note = ENCODED[case]
    (tmp_path / "sales.csv").write_bytes(data)
    con, res = load(tmp_path, "sales.csv")
    assert rows(con) == [("O1", "C1", 5.0), ("O2", "C2", 6.0)] and res.rows_quarantined == 0
    assert res.encoding == codec and any(note in w for w in res.warnings), res.warnings
    log = con.execute("SELECT encoding, warnings FROM load_log").fetchall()[0]
    assert log[0] == codec and "read as UTF-" in log[1]


def test_chinese_utf16_without_bom_and_a_contrary_encoding_setting(tmp_path):
    text = "订单,客户,日期,金额\nO1,王伟,2024-01-02,5\nO2,李娜,2024-01-03,6\n"
    (tmp_path / "cn.csv").write_bytes(text.encode("utf-16-le"))
    cols = {"order_id": "订单", "customer_id": "客户", "order_ts": "日期", "net_amount": "金额"}
    con, res = load(tmp_path, "cn.csv", columns=cols, encoding="gb18030")
    assert rows(con) == [("O1", "王伟", 5.0), ("O2", "李娜", 6.0)]
    assert any("the config says `encoding: gb18030` but the file is UTF-16 LE" in w and "`encoding: utf-16-le`" in w
               for w in res.warnings), res.warnings


def test_the_sniffer_does_not_take_plain_text_for_wide_text():
    plain = (("a,b\n1,2\n", "utf-8"), ("Renée,Zürich\n" * 20, "cp1252"), ("姓名,城市\n王伟,北京\n", "gb18030"))
    for text, enc in plain:
        k = file_kind(text.encode(enc))
        assert k.kind == "text" and k.encoding is None, (text, k)
    assert detect_encoding("a,b\n".encode("utf-32")) == "utf-32"          # with a BOM Python's codec reads the order
    assert detect_encoding("a,b\n1,2\n".encode("utf-16-be")) == "utf-16-be"


# ------------------------------------------------------------------------------------------------- duplicate headers
def test_an_exact_duplicate_mapped_header_is_refused_with_its_positions(tmp_path):
    (tmp_path / "sales.csv").write_text("order,customer,date,amount,amount\nO1,C1,2024-01-02,5,7\n")
    refused(tmp_path, "sales.csv", "the header has the name 'amount' twice: columns 4 and 5",
            "the mapping's net_amount ← 'amount' cannot tell which one is meant", "Fix: rename one of them",
            "'amount 2' for column 5")


def test_a_case_or_space_duplicate_mapped_header_is_refused(tmp_path):
    """It used to stop in DuckDB's binder ('Duplicate named argument')."""
    (tmp_path / "sales.csv").write_text("order,customer,date,amount,Amount \nO1,C1,2024-01-02,5,7\n")
    msg = refused(tmp_path, "sales.csv", "columns 4 ('amount') and 5 ('Amount ')", "ignoring case and spaces",
                  "net_amount ← 'amount'")
    assert "Binder" not in msg


def test_unmapped_duplicates_and_blank_headers_still_load(tmp_path):
    (tmp_path / "sales.csv").write_text("order,customer,date,amount,Note,note,,\nO1,C1,2024-01-02,5,a,b,c,d\n")
    con, res = load(tmp_path, "sales.csv")
    assert rows(con) == [("O1", "C1", 5.0)]
    con, res = load(tmp_path, "sales.csv", columns={**ORDERS, "channel": "column_7", "store_id": "note_2"})
    assert rows(con, "channel, store_id") == [("c", "b")]                   # the names the reader gives them


def test_a_duplicate_header_in_a_workbook_is_refused_too(tmp_path):
    pd.DataFrame([["O1", "C1", "2024-01-02", 5, "C9"]], columns=["order", "customer", "date", "amount", "Customer"]) \
        .to_excel(tmp_path / "s.xlsx", index=False)
    refused(tmp_path, "s.xlsx", "the header has the name 'customer' twice: columns 2 ('customer') and 5 ('Customer')")


# -------------------------------------------------------------------------------------------------- Excel workbooks
def _cover_workbook(p: Path) -> None:
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"Sales report": ["ACME Ltd", "2024"]}).to_excel(w, sheet_name="Cover", index=False)
        pd.DataFrame({"x": [1]}).to_excel(w, sheet_name="Notes", index=False)
        pd.read_csv(pd.io.common.StringIO(CSV)).to_excel(w, sheet_name="Orders 2024", index=False)


def test_a_cover_sheet_first_names_the_sheet_to_set(tmp_path):
    _cover_workbook(tmp_path / "book.xlsx")
    refused(tmp_path, "book.xlsx", "sheet 'Cover' (the first sheet) holds 0 of the 4 mapped columns",
            "sheet 'Orders 2024' holds 4", "'Cover' (0 of 4), 'Notes' (0 of 4), 'Orders 2024' (4 of 4)",
            "Fix: set `sheet: Orders 2024`")
    refused(tmp_path, "book.xlsx", "sheet 'Notes' (the sheet the config names)", sheet="Notes")
    con, res = load(tmp_path, "book.xlsx", sheet="Orders 2024")
    assert rows(con) == [("O1", "C1", 5.0), ("O2", "C2", 6.0)]


def test_merged_cells_are_filled_into_every_cell_of_their_range(tmp_path):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["Sales export"])                      # a merged title row above the header stays a title
    ws.merge_cells("A1:D1")
    ws.append(["order", "customer", "date", "amount"])
    ws.append(["O1", "C1", "2024-01-02", 5])
    ws.append([None, None, "2024-01-02", 6])
    ws.append([None, None, "2024-01-02", 7])
    ws.append(["O2", "C2", "2024-01-03", 8])
    ws.merge_cells("A3:A5")
    ws.merge_cells("B3:B5")
    wb.save(tmp_path / "lines.xlsx")
    con, res = load(tmp_path, "lines.xlsx")
    assert rows(con) == [("O1", "C1", 5.0), ("O1", "C1", 6.0), ("O1", "C1", 7.0), ("O2", "C2", 8.0)]
    assert res.rows_quarantined == 0 and res.header_row == 1
    note = next(w for w in res.warnings if "merged" in w)
    assert "2 merged cell range(s) below the header (A3:A5, B3:B5)" in note and "columns: order, customer" in note


def test_merged_cells_are_filled_when_openpyxl_reads_the_sheet(tmp_path, monkeypatch):
    from openpyxl import Workbook

    from dbmkit.ingest import files
    wb = Workbook()
    ws = wb.active
    for r in (["order", "customer", "date", "amount"], ["O1", "C1", "2024-01-02", 5], ["O1", None, "2024-01-02", 6]):
        ws.append(r)
    ws.merge_cells("B2:B3")
    wb.save(tmp_path / "lines.xlsx")
    assert files.merged_ranges(tmp_path / "lines.xlsx", "Sheet") == [(1, 1, 2, 1)]          # B2:B3, from the XML
    monkeypatch.setattr(files, "_read_excel_fast", lambda path, sheet: None)      # as without python-calamine
    con, res = load(tmp_path, "lines.xlsx")
    assert rows(con) == [("O1", "C1", 5.0), ("O1", "C1", 6.0)] and "B2:B3" in " ".join(res.warnings)


# ------------------------------------------------------------------------------------------------------- time zones
def _tz_parquet(p: Path) -> None:
    pd.DataFrame({"order": ["O1", "O2"], "customer": ["C1", "C2"],
                  "date": pd.to_datetime(["2024-03-01 10:00", "2024-07-01 23:30"]).tz_localize("Europe/Berlin"),
                  "amount": [5.0, 6.0]}).to_parquet(p)


def test_tz_aware_parquet_timestamps_become_the_clients_local_time(tmp_path):
    """They used to be quarantined, every row ('cannot read … as a date')."""
    _tz_parquet(tmp_path / "o.parquet")
    cfg = load_config({"client": "tz", "base_dir": str(tmp_path), "data": {"timezone": "Asia/Shanghai", "sources": {
        "orders": [{"path": "o.parquet", "columns": ORDERS}]}}})
    con, res = load(tmp_path, "o.parquet", spec=cfg.data.sources["orders"][0])
    got = [str(t) for (t,) in con.execute("SELECT order_ts FROM src_orders ORDER BY source_row").fetchall()]
    assert got == ["2024-03-01 17:00:00", "2024-07-02 05:30:00"]          # Berlin +1/+2 → Shanghai +8
    assert res.rows_quarantined == 0 and con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0
    assert any("column 'date' holds time-zone-aware timestamps: converted to the local time of Asia/Shanghai" in w
               for w in res.warnings), res.warnings
    con, res = load(tmp_path, "o.parquet")                                   # no config zone: UTC
    got = [str(t) for (t,) in con.execute("SELECT order_ts FROM src_orders ORDER BY source_row").fetchall()]
    assert got == ["2024-03-01 09:00:00", "2024-07-01 21:30:00"]
    con, res = load(tmp_path, "o.parquet", timezone="Europe/Berlin")        # a source's own zone
    assert str(con.execute("SELECT min(order_ts) FROM src_orders").fetchall()[0][0]) == "2024-03-01 10:00:00"


def test_a_wrong_time_zone_name_is_a_config_error():
    with pytest.raises(ConfigError, match=r"unknown time zone 'Europe/Berln' \(did you mean Europe/Berlin"):
        load_config({"client": "tz", "data": {"timezone": "Europe/Berln", "sources": {
            "orders": [{"path": "o.csv", "columns": ORDERS}]}}})


def test_the_client_zone_follows_a_set_override(tmp_path):
    cfg = load_config({"client": "tz", "base_dir": str(tmp_path), "data": {"sources": {
        "orders": [{"path": "o.parquet", "columns": ORDERS}]}}})
    assert cfg.data.sources["orders"][0].zone == "UTC"
    cfg2 = load_config(cfg, overrides={"data.timezone": "America/New_York"})
    assert cfg2.data.sources["orders"][0].zone == "America/New_York"


# ---------------------------------------------------------------------------------------------------- the commands
def _client(d: Path, name: str, data: str = "") -> Path:
    cfg = d / "shop.yaml"
    cfg.write_text(f"client: shop\ndata:\n{data}  sources:\n    orders:\n      - path: {name}\n        columns: "
                   "{order_id: order, customer_id: customer, order_ts: date, net_amount: amount}\n")
    return cfg


def test_the_build_keeps_the_clients_local_time(tmp_path, capsys):
    _tz_parquet(tmp_path / "o.parquet")
    cfg = _client(tmp_path, "o.parquet", data="  timezone: America/New_York\n")
    assert cli.main(["check", str(cfg), "--workdir", str(tmp_path / "work")]) == 0
    out = capsys.readouterr().out
    assert "quarantined       0" in out and "converted to the local time of America/New_York" in out, out
    con = duckdb.connect(str(tmp_path / "work" / "marketing.duckdb"), read_only=True)
    got = [str(t) for (t,) in con.execute("SELECT order_ts FROM orders ORDER BY order_ts").fetchall()]
    assert got == ["2024-03-01 04:00:00", "2024-07-01 17:30:00"]          # Berlin 10:00 (+1), 23:30 (+2) → New York


def _zip2(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.csv", CSV)
        z.writestr("b.csv", CSV)


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300)), ["the file is a PNG image, not a CSV", "Fix: export"]),
    (_zip2, ["the file is a ZIP archive holding 2 files (a.csv, b.csv), not one CSV file", "Fix: unpack it"]),
    (lambda p: p.write_bytes(b""), ["the file is empty (0 bytes)", "Fix: export the data again"]),
])
def test_check_names_the_file_type(tmp_path, capsys, make, words):
    make(tmp_path / "sales.csv")
    rc = cli.main(["check", str(_client(tmp_path, "sales.csv")), "--workdir", str(tmp_path / "work")])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert rc == 2 and f"[dbmkit] error: sales.csv: {words[0]}" in err and words[1] in err, err


def test_check_reads_utf16_and_says_so_and_a_header_only_file_loads_nothing(tmp_path, capsys):
    (tmp_path / "sales.csv").write_bytes(CSV.encode("utf-16"))
    rc = cli.main(["check", str(_client(tmp_path, "sales.csv")), "--workdir", str(tmp_path / "work")])
    out, err = capsys.readouterr()
    assert rc == 0 and "Traceback" not in err + out, err
    assert "loaded         2" in out and "warning: the file is UTF-16 LE text (its byte-order mark says so)" in out
    (tmp_path / "sales.csv").write_text("order,customer,date,amount\n")
    rc = cli.main(["check", str(_client(tmp_path, "sales.csv")), "--workdir", str(tmp_path / "work")])
    out, err = capsys.readouterr()
    assert rc == 1 and "Traceback" not in err + out
    assert "warning: no data rows (the file has a header only)" in out and "no orders were loaded" in out, out


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b""), ["the file is empty (0 bytes)"]),
    (lambda p: p.write_text("order,customer,date,amount\n"), ["single line ('order,customer,date,amount')",
                                                               "a header row and at least one row of data"]),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300)), ["the file is a PNG image, not a table"]),
    (_zip2, ["a ZIP archive holding 2 file(s) (a.csv, b.csv)", "unpack it"]),
])
def test_new_client_on_files_that_are_not_tables(tmp_path, capsys, make, words):
    path = tmp_path / "sales.csv"
    make(path)
    rc = cli.main(["new-client", "acme", str(path), "--dir", str(tmp_path / "clients")])
    err = capsys.readouterr().err
    assert rc == 2 and f"[dbmkit] error: {path}: " in err and all(w in err for w in words), err
    assert "Fix: " in err and "Traceback" not in err
    assert not (tmp_path / "clients" / "acme.yaml").exists()


def test_new_client_reads_utf16_without_bom_and_utf32_end_to_end(tmp_path):
    text = "order;customer;date;amount\n" + "".join(f"O{i};C{i % 7};2024-01-{1 + i % 28:02d};{i},50\n"
                                                    for i in range(40))
    for name, data in (("u16.csv", text.encode("utf-16-le")), ("u32.csv", text.encode("utf-32"))):
        (tmp_path / name).write_bytes(data)
        r = subprocess.run([sys.executable, "-m", "dbmkit.cli", "new-client", name[:3], str(tmp_path / name), "--dir",
                            str(tmp_path / "clients")], capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
        draft = (tmp_path / "clients" / f"{name[:3]}.yaml").read_text()
        assert "orders" in draft and "utf-" in draft, draft


def test_new_client_finds_the_table_behind_a_cover_sheet(tmp_path, capsys):
    """It used to stop with 'cannot make out a table in the file (StopIteration)'."""
    _cover_workbook(tmp_path / "book.xlsx")
    rc = cli.main(["new-client", "acme", str(tmp_path / "book.xlsx"), "--dir", str(tmp_path / "clients")])
    out, err = capsys.readouterr()
    assert rc == 0 and "Traceback" not in err, err
    draft = (tmp_path / "clients" / "acme.yaml").read_text()
    assert 'sheet: "Orders 2024"    # the workbook also has [\'Cover\', \'Notes\']' in draft, draft
    assert "order_id: \"order\"" in draft and "net_amount: \"amount\"" in draft


def test_text_timestamps_keep_their_clock_time_with_any_offset_form(tmp_path):
    (tmp_path / "o.csv").write_text("order,customer,date,amount\nO1,C1,2024-03-01T10:00:00+01:00,5\n"
                                    "O2,C2,2024-03-01 10:00:00+01,6\nO3,C3,2024-03-01 10:00:00-0530,7\n"
                                    "O4,C4,2024-03-01 10:00:00Z,8\n", encoding="utf-8")
    con, res = load(tmp_path, "o.csv")
    assert res.rows_quarantined == 0
    got = con.execute("SELECT strftime(order_ts, '%H:%M') FROM src_orders ORDER BY source_row").fetchall()
    assert [g[0] for g in got] == ["10:00"] * 4
