"""What "the same result" of two engines means (dbmkit/sql/same_result.py): the rule behind the Spark dialect
contract and the DuckDB-vs-Spark benchmark — tolerance, NULLs, dtypes, row order."""
from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from dbmkit.sql import same_result
from dbmkit.sql.same_result import RTOL, assert_same, differences, ordered


def _df(**cols):
    return pd.DataFrame(cols)


def test_docstring_examples():
    res = doctest.testmod(same_result, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0


def test_floats_within_the_tolerance_are_the_same_and_beyond_are_not():
    a = _df(id=["a", "b"], x=[1.0, 1e6])
    assert differences(a, a.assign(x=[1.0, 1e6 * (1 + RTOL / 10)])) == []
    out = differences(a, a.assign(x=[1.0, 1e6 * (1 + RTOL * 10)]))
    assert len(out) == 1 and "result.x: 1 values differ" in out[0]


def test_ids_nulls_dtypes_and_shape_are_compared():
    a = _df(id=["a", "b"], n=[1, 2], x=[1.0, np.nan])
    assert "result.id: 1 values differ" in differences(a, a.assign(id=["a", "c"]))[0]
    assert "NULLs differ in 1 rows" in differences(a, a.assign(x=[1.0, 2.0]))[0]
    assert "dtypes" in differences(a, a.assign(n=[1.0, 2.0]))[0]
    assert "2 rows vs 1" in differences(a, a.iloc[:1])[0]
    assert "columns" in differences(a, a[["n", "id", "x"]])[0]
    with pytest.raises(AssertionError, match="q.id"):
        assert_same("q", a, a.assign(id=["a", "c"]))


def test_row_order_does_not_matter_after_ordering():
    a = _df(id=["b", "a", "a"], x=[3.0, 2.0, 1.0], tags=[[1], [2], [3]])
    b = a.iloc[[2, 0, 1]]
    assert differences(a, b) != []
    o = ordered(a)
    assert list(o["x"]) == [1.0, 2.0, 3.0] and list(o.index) == [0, 1, 2]
    assert_same("q", o, ordered(b))
