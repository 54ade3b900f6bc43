"""Exercises of chapter 20 (explore: customers and revenue over time)."""
from __future__ import annotations

from . import exercise


@exercise("20.1", "Active customers at the analysis date",
          hint="Count the customers with a completed purchase in the last `active_days` days up to ws.as_of — the "
               "last row of dbm.explore.customers_over_time(ws, active_days) holds the stock of active customers.",
          solution="answer = dbm.explore.customers_over_time(ws, active_days)['active'].iloc[-1]")
def _active(ws, active_days=None):
    from ..explore import customers_active
    return customers_active(ws, active_days)


@exercise("20.2", "The acquisition channel that loses the most customers",
          hint="dbm.explore.churn_by_channel(ws, by='acquisition_channel') lists the churn rate per channel, worst "
               "first; answer with the channel's name as a string (e.g. 'store').",
          solution="c = dbm.explore.churn_by_channel(ws)\nanswer = c[c['group'] != '(all)']['group'].iloc[0]")
def _worst_channel(ws, period_days=365):
    from ..explore import churn_by_channel
    c = churn_by_channel(ws, period_days=period_days)
    return str(c[c["group"] != "(all)"].sort_values("churn_rate", ascending=False)["group"].iloc[0])


@exercise("20.3", "How many times more a multi-channel customer spends per order",
          hint="dbm.explore.multichannel_spend(ws.table('customer_summary')) has revenue_per_order for the rows "
               "'multi' and 'single'; divide one by the other. Per order, not per customer: multi-channel customers "
               "order more often, and part of that is why they found a second channel.",
          solution="m = dbm.explore.multichannel_spend(ws.table('customer_summary')).set_index('channels')\n"
                   "answer = m.loc['multi', 'revenue_per_order'] / m.loc['single', 'revenue_per_order']",
          rel_tol=1e-3)
def _multi_ratio(ws):
    from ..explore import multichannel_spend
    m = multichannel_spend(ws.table("customer_summary")).set_index("channels")
    return float(m.loc["multi", "revenue_per_order"] / m.loc["single", "revenue_per_order"])


@exercise("20.4", "The month with the most new customers",
          hint="Find the row of dbm.explore.customers_over_time(ws) with the largest new_customers and answer with "
               "its month as text 'YYYY-MM'.",
          solution="f = dbm.explore.customers_over_time(ws)\n"
                   "answer = f.loc[f['new_customers'].idxmax(), 'month'].strftime('%Y-%m')")
def _peak_month(ws):
    from ..explore import customers_over_time
    f = customers_over_time(ws)
    return f.loc[f["new_customers"].idxmax(), "month"].strftime("%Y-%m")
