"""When two engines give the same result: the comparison behind the Spark dialect contract
(tests/test_spark_contract.py) and the DuckDB-vs-Spark benchmark (benchmarks/engines.py).

Same result: the same columns, the same number of rows, the same dtypes, the same NULLs, ids and other non-float
values equal, floats equal to 1e-9 relative (``RTOL``). Rows tied on a query's ORDER BY may come in any order on either
engine, so both tables are first put in one order by every column (:func:`ordered`).

>>> a = pd.DataFrame({"id": ["b", "a"], "x": [2.0, 1.0]})
>>> b = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0 + 1e-12]})
>>> differences(ordered(a), ordered(b))
[]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["RTOL", "ATOL", "ordered", "differences", "assert_same"]

RTOL = 1e-9
ATOL = 1e-12


def ordered(df: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by every column whose values can be compared (list and struct columns are carried along)."""
    if df.empty:
        return df.reset_index(drop=True)
    keys = [c for c in df.columns if not isinstance(df[c].iloc[0], (list, dict, np.ndarray))]
    return df.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)


def differences(a: pd.DataFrame, b: pd.DataFrame, name: str = "result") -> list[str]:
    """What differs between the tables ``a`` and ``b`` (row by row, in their order); empty when they are the same."""
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns {list(a.columns)} vs {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows vs {len(b)}"]
    out = []
    if list(a.dtypes.astype(str)) != list(b.dtypes.astype(str)):
        out.append(f"{name}: dtypes {list(a.dtypes.astype(str))} vs {list(b.dtypes.astype(str))}")
    for c in a.columns:
        x, y = a[c], b[c]
        na_x, na_y = x.isna().to_numpy(), y.isna().to_numpy()
        if (na_x != na_y).any():
            out.append(f"{name}.{c}: NULLs differ in {int((na_x != na_y).sum())} rows")
            continue
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            xv, yv = x.to_numpy(float)[~na_x], y.to_numpy(float)[~na_y]
            bad = ~np.isclose(xv, yv, rtol=RTOL, atol=ATOL)
        else:
            xv, yv = x[~na_x].to_numpy(), y[~na_y].to_numpy()
            bad = np.asarray(xv != yv)
        if bad.any():
            out.append(f"{name}.{c}: {int(bad.sum())} values differ, e.g. {xv[bad][:3]} vs {yv[bad][:3]}")
    return out


def assert_same(name: str, a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Raise AssertionError naming every difference between ``a`` (e.g. DuckDB's) and ``b`` (Spark's)."""
    problems = differences(a, b, name)
    assert not problems, "; ".join(problems)
