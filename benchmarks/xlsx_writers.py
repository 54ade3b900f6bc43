"""Excel writers on a 100,000-row × 12-column sheet (the size of a large send file or loyalty export):
``python benchmarks/xlsx_writers.py [ROWS] [WRITER …]`` — best of three runs, wall and CPU seconds.

* ``dbmkit``: :func:`dbmkit.xlsx.write_xlsx` (the one writer of the send file and the raw exports);
* ``dbmkit_titles``: the same with two title rows above the header (the loyalty export);
* ``xlsxwriter``: XlsxWriter in ``constant_memory`` mode (the maintained library that streams rows), typed
  ``write_string`` / ``write_number`` / ``write_datetime`` calls, strings never converted to formulas, numbers or
  URLs (``pip install xlsxwriter``; not a dependency of dbmkit);
* ``openpyxl``: ``DataFrame.to_excel`` with openpyxl (what the writers replaced; slow).

The frame: nine text columns (card numbers with leading zeros, names, phones, e-mails, addresses, …; 5 % missing),
a date column, an integer and a float column (5 % missing).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def frame(n: int = 100_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def txt(prefix, k):
        s = pd.Series(np.char.add(prefix, rng.integers(0, 10 ** k, n).astype(str)), dtype="str")
        return s.mask(rng.random(n) < 0.05)
    return pd.DataFrame({
        "CardNo": pd.Series(np.strings.zfill(rng.integers(0, 10 ** 9, n).astype(str), 9), dtype="str"),
        "Name": txt("SMITH, Ann ", 4), "Phone": txt("(212) 555-", 4),
        "Email": txt("ann.smith", 3).str.cat(["@example.com"] * n), "Address": txt("1 Main St & <Co> ", 3),
        "Postcode": txt("0", 4), "BirthDate": txt("03/0", 1),
        "Joined": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D"),
        "HomeStore": txt("Store ", 2), "Tier": pd.Series(np.where(rng.random(n) < 0.1, "Gold", "Member"), dtype="str"),
        "points": rng.integers(0, 5000, n),
        "spend": np.where(rng.random(n) < 0.05, np.nan, rng.gamma(2, 50, n).round(2)),
    })


def xlsxwriter_write(path, sheets: dict[str, pd.DataFrame]) -> None:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    fmt_date = wb.add_format({"num_format": 14})
    for name, df in sheets.items():
        ws = wb.add_worksheet(name)
        for j, c in enumerate(df.columns):
            ws.write_string(0, j, str(c))
        cols = []                                  # (kind, values) per column, converted once
        for c in df.columns:
            v = df[c]
            if pd.api.types.is_datetime64_any_dtype(v.dtype):
                cols.append(("d", [None if pd.isna(x) else x.to_pydatetime() for x in v]))
            elif pd.api.types.is_bool_dtype(v.dtype):
                cols.append(("b", v.tolist()))
            elif pd.api.types.is_numeric_dtype(v.dtype):
                cols.append(("n", v.astype(float).tolist()))
            else:
                cols.append(("s", [None if pd.isna(x) else str(x) for x in v.to_numpy(dtype=object)]))
        put = {"s": ws.write_string, "n": ws.write_number, "b": ws.write_boolean}
        for i in range(len(df)):                   # constant_memory: rows in order
            for j, (kind, vals) in enumerate(cols):
                x = vals[i]
                if x is None or x != x:
                    continue
                if kind == "d":
                    ws.write_datetime(i + 1, j, x, fmt_date)
                else:
                    put[kind](i + 1, j, x)
    wb.close()


def main(argv: list[str]) -> None:
    from dbmkit.xlsx import write_xlsx
    n = int(argv[0]) if argv and argv[0].isdigit() else 100_000
    which = [a for a in argv if not a.isdigit()] or ["dbmkit", "dbmkit_titles", "xlsxwriter"]
    df = frame(n)
    d = Path(tempfile.mkdtemp())
    writers = {
        "dbmkit": lambda: write_xlsx(d / "a.xlsx", {"Members": df}),
        "dbmkit_titles": lambda: write_xlsx(d / "b.xlsx", {"Members": df}, title_rows=["Member export", "note"]),
        "xlsxwriter": lambda: xlsxwriter_write(d / "c.xlsx", {"Members": df}),
        "openpyxl": lambda: df.to_excel(d / "d.xlsx", sheet_name="Members", index=False, engine="openpyxl"),
    }
    print(f"{n:,} rows × {df.shape[1]} columns; load average {os.getloadavg()[0]:.1f}")
    for w in which:
        wall, cpu = [], []
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            writers[w]()
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(f"{w:14s} best {min(wall):6.2f} s wall, {min(cpu):6.2f} s CPU")


if __name__ == "__main__":
    main(sys.argv[1:])
