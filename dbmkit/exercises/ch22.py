"""Exercises of chapter 22 (value: deciles, Pareto and profitability)."""
from __future__ import annotations

from . import exercise


@exercise("22.1", "Share of sales made by the top 10 % of customers",
          hint="dbm.value.decile_table(ws.table('customer_summary')) — the value_share of decile 1 (a number "
               "between 0 and 1).",
          solution="answer = dbm.value.decile_table(ws.table('customer_summary'))['value_share'].iloc[0]")
def _top_decile(ws):
    from ..value import decile_table
    return float(decile_table(ws.table("customer_summary"))["value_share"].iloc[0])


@exercise("22.2", "Customers who make the first 10 % of sales",
          hint="dbm.value.purchase_deciles(ws.table('customer_summary')) — the number of customers in part 1.",
          solution="answer = int(dbm.value.purchase_deciles(ws.table('customer_summary'))['customers'].iloc[0])")
def _first_tenth(ws):
    from ..value import purchase_deciles
    return int(purchase_deciles(ws.table("customer_summary"))["customers"].iloc[0])


@exercise("22.3", "Gini coefficient of net revenue per customer",
          hint="dbm.value.gini(values) on the monetary_total column of the customer summary.",
          solution="answer = dbm.value.gini(ws.table('customer_summary')['monetary_total'])")
def _gini(ws):
    from ..value import gini
    return float(gini(ws.table("customer_summary")["monetary_total"]))


@exercise("22.4", "Unprofitable customers",
          hint="dbm.value.profitability(ws, cost_per_return=cost_per_return, include_acquisition=True) and count "
               "the customers flagged unprofitable (contribution below zero after acquisition cost).",
          solution="p = dbm.value.profitability(ws, cost_per_return=cost_per_return, include_acquisition=True)\n"
                   "answer = int(p['unprofitable'].sum())")
def _unprofitable(ws, cost_per_return=0.0):
    from ..value import profitability
    return int(profitability(ws, cost_per_return=cost_per_return, include_acquisition=True)["unprofitable"].sum())
