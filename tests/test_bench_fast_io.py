"""The fast writers and formatters behind the synthetic generator's speed (benchmarks/RESULTS.md) give exactly what
the slow pandas/openpyxl versions gave, and the benchmark's reference implementations agree with dbmkit."""
from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit.datasets import synthetic
from dbmkit.datasets.raw_exports import _money, _strftime, write_csv
from dbmkit.rfm import customer_summary
from dbmkit.xlsx import write_xlsx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import compare  # noqa: E402  (benchmarks/compare.py)

FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%d/%m/%Y %H:%M", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d",
           "%Y年%m月%d日"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2_208_988_800, 4_102_444_799)), min_size=1, max_size=40),
       st.sampled_from(FORMATS))
def test_strftime_equals_pandas(seconds, fmt):
    s = pd.Series(pd.to_datetime([None if x is None else pd.Timestamp(x, unit="s") for x in seconds]),
                  index=np.arange(len(seconds)) * 3)
    ours, theirs = _strftime(s, fmt), s.dt.strftime(fmt)
    assert ours.index.equals(theirs.index)
    assert ours.isna().equals(theirs.isna())
    assert (ours[ours.notna()] == theirs[theirs.notna()]).all()


def test_money_equals_python_formatting():
    x = np.array([0.5, 12.0, 999.99, 1000.0, 1234.5, 12345.67, 1234567.89, -1500.25, -3.2, 0.07, 49.99])
    got = _money(np.random.default_rng(1), x, "$", 0.3).tolist()
    rng = np.random.default_rng(1)
    want = [f"{v:,.2f}" if abs(v) >= 1000 and r < 0.5 else f"{v:.2f}" for v, r in zip(x, rng.random(len(x)))]
    sym = rng.random(len(x)) < 0.3
    want = ["$" + w if s else w for w, s in zip(want, sym)]
    assert got == want


@pytest.mark.parametrize("sep,encoding", [(",", "utf-8"), (";", "cp1252"), ("|", "utf-8"), ("\t", "utf-8"),
                                          (",", "utf-8-sig"), (";", "gb18030")])
def test_write_csv_is_byte_identical_to_pandas(tmp_path, sep, encoding):
    df = pd.DataFrame({
        "text": ["plain", 'with "quotes"', "with, comma;semi|pipe", "", None, "Zoë Müller", "张伟 北京"],
        "num": [1.5, np.nan, 0.1, 1e6, -2.25, 3.0, 12345.678],
        "int": [1, 2, 3, 4, 5, 6, 7],
        "flag": [True, False, True, True, False, False, True],
        "mixed": pd.array(["a", 1.5, None, "b", 7, "x y", ""], dtype=object),
    })
    if encoding == "cp1252":
        df.loc[6, "text"] = "Łódź"           # not in cp1252: replaced, as pandas does
    a, b = tmp_path / "pandas.csv", tmp_path / "ours.csv"
    df.to_csv(a, sep=sep, index=False, encoding=encoding, lineterminator="\n", errors="replace")
    write_csv(df, b, sep=sep, encoding=encoding)
    assert filecmp.cmp(a, b, shallow=False), (a.read_bytes()[:300], b.read_bytes()[:300])


def test_write_xlsx_reads_back_like_the_data(tmp_path):
    df = pd.DataFrame({"CardNo": ["001000753", "001000425", None], "Name": ["SANCHEZ, Andrew", "A & B <c>", " lead"],
                       "Joined": pd.to_datetime(["2024-01-02", None, "2025-03-04 10:00:00"], format="mixed"),
                       "Amount": [1.5, np.nan, 3.0]})
    path = tmp_path / "x.xlsx"
    write_xlsx(path, {"Members": df}, title_rows=["Loyalty programme — member export", "note"])
    back = pd.read_excel(path, sheet_name="Members", header=2, dtype=object, engine="openpyxl")
    assert list(back.columns) == list(df.columns)
    assert back["CardNo"].tolist()[:2] == ["001000753", "001000425"] and pd.isna(back["CardNo"].iloc[2])
    assert back["Name"].tolist() == ["SANCHEZ, Andrew", "A & B <c>", " lead"]
    assert pd.to_datetime(back["Joined"]).tolist()[0] == pd.Timestamp("2024-01-02")
    assert pd.isna(back["Joined"].iloc[1]) and pd.isna(back["Amount"].iloc[1])
    top = pd.read_excel(path, header=None, nrows=1, engine="openpyxl").iloc[0, 0]
    assert top == "Loyalty programme — member export"
    # the same data give the same file (fixed time stamps inside the archive)
    again = tmp_path / "y.xlsx"
    write_xlsx(again, {"Members": df}, title_rows=["Loyalty programme — member export", "note"])
    assert filecmp.cmp(path, again, shallow=False)


def test_raw_dir_writes_the_same_files_as_write_raw(tmp_path):
    kept = synthetic(n_people=600, seed=4, n_campaigns=2)
    kept.write_raw(tmp_path / "a")
    streamed = synthetic(n_people=600, seed=4, n_campaigns=2, raw_dir=tmp_path / "b")
    assert streamed.raw == {}
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir()) and "sources.yaml" in names
    assert all(filecmp.cmp(tmp_path / "a" / n, tmp_path / "b" / n, shallow=False) for n in names)
    pd.testing.assert_frame_equal(kept.truth["records"], streamed.truth["records"])


def test_benchmark_references_agree_with_customer_summary():
    tx = compare.make_transactions(3000, seed=5)
    ours = customer_summary(tx, "customer_id", "ts", "amount", as_of=compare.AS_OF)
    ref = compare.pandas_summary(tx).set_index("customer_id").loc[ours["customer_id"]]
    assert (ref["frequency"].to_numpy() == ours["frequency"].to_numpy()).all()
    assert np.allclose(ref["recency"].to_numpy(), ours["recency"].to_numpy())
    assert np.allclose(ref["T"].to_numpy(), ours["T"].to_numpy())
    assert np.allclose(ref["monetary_mean_repeat"].to_numpy(), ours["monetary_mean_repeat"].to_numpy(), rtol=1e-12)
    # the simulated BG/NBD customers are plausible summaries: recency within [0, T], repeaters have recency > 0
    s = compare.simulate_bgnbd(2000, seed=3)
    assert ((s["recency"] >= 0) & (s["recency"] <= s["T"] + 1e-9)).all()
    assert (s.loc[s["frequency"] > 0, "recency"] > 0).all()


def test_xlsx_cells_read_back_as_the_openpyxl_writer_gives_them(tmp_path):
    """The one xlsx writer (send file and raw exports) against pandas' openpyxl writer, read back by openpyxl:
    the same values, dates as dates, booleans as booleans, missing values empty."""
    import datetime as dt

    import openpyxl
    df = pd.DataFrame({
        "text": pd.Series(["Ann", None, "A & B <c>", " lead", "张三", "x"], dtype=object),
        "arrow": pd.Series(["a", "b", None, "d", "e", "f"], dtype="str"),
        "n": [1, -2, 3, 10 ** 12, 0, 7], "na_int": pd.array([1, None, 3, 4, None, 6], dtype="Int64"),
        "x": [1.5, np.nan, -2.0, 0.1, 1e16, 1 / 3], "flag": [True, False, True, False, True, False],
        "day": [dt.date(2026, 7, 7)] * 5 + [None],
        "ts": pd.to_datetime(["2026-07-07 10:30", "2026-07-08", None, "1999-12-31 23:59:59", "2026-01-01", None],
                             format="mixed"),
        "cat": pd.Categorical(["u", "v", "u", None, "v", "u"]),
    })
    ours, ref = tmp_path / "ours.xlsx", tmp_path / "openpyxl.xlsx"
    write_xlsx(ours, {"s": df})
    df.to_excel(ref, sheet_name="s", index=False, engine="openpyxl")
    a = [[(c.value, c.is_date) for c in r] for r in openpyxl.load_workbook(ours)["s"].iter_rows()]
    b = [[(c.value, c.is_date) for c in r] for r in openpyxl.load_workbook(ref)["s"].iter_rows()]
    assert a == b
    kinds = [{type(c.value) for c in col} for col in openpyxl.load_workbook(ours)["s"].iter_cols(min_row=2)]
    assert kinds == [{str, type(None)}, {str, type(None)}, {int}, {int, type(None)}, {float, type(None)}, {bool},
                     {dt.datetime, type(None)}, {dt.datetime, type(None)}, {str, type(None)}]   # -2.0 stays a float


def test_xlsx_strings_are_always_text(tmp_path):
    """Text that looks like a formula, a number, a boolean or a date stays text (openpyxl would write "=…" as a
    formula); control characters XML cannot hold are dropped."""
    import openpyxl
    texts = ["=1+1", "=HYPERLINK(\"http://x\")", "+1 212 555 0100", "-5", "007", "1.5", "TRUE", "2026-07-07",
             "@SUM(A1)", "a\x01b"]
    write_xlsx(tmp_path / "t.xlsx", {"s": pd.DataFrame({"v": texts, "o": pd.Series(texts, dtype=object)})},
               title_rows=["=title"])
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["s"]
    assert ws["A1"].value == "=title" and ws["A1"].data_type == "s"
    for col in ("A", "B"):
        cells = [ws[f"{col}{i}"] for i in range(3, 3 + len(texts))]
        assert [c.value for c in cells] == texts[:-1] + ["ab"]
        assert {c.data_type for c in cells} == {"s"}
