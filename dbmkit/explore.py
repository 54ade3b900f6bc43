"""Exploratory analysis (数据探索性分析): customers and revenue over time, revenue decomposition (收益的分解).

All queries run in DuckDB on the marketing database (``dbmkit/sql``).
"""
from __future__ import annotations

import pandas as pd

from . import sql as _sql

__all__ = ["monthly_revenue"]


def monthly_revenue(ws, by: str | None = None) -> pd.DataFrame:
    """Net revenue, completed orders and buying customers per month, optionally per value of an ``orders`` column.

    Returns columns month, group, revenue, orders, customers.
    """
    return _sql.run(ws, "monthly_revenue", by=by if by else _sql.Raw("'all'"))
