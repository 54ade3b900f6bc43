"""Exercises of chapter 40 (evaluate: lift over control, ROI and KPIs). Expected answers come from the workspace."""
from __future__ import annotations

from . import exercise


def _results(ws):
    return ws.table("campaign_results")


@exercise("40.1", "Absolute lift in response rate",
          hint="r = ws.table('campaign_results'); rates = r.groupby('group')['responded'].mean(); "
               "rates['treatment'] - rates['control']",
          solution="r = ws.table('campaign_results')\nrates = r.groupby('group')['responded'].mean()\n"
                   "answer = rates['treatment'] - rates['control']")
def _lift(ws):
    rates = _results(ws).groupby("group")["responded"].mean()
    return float(rates["treatment"] - rates["control"])


@exercise("40.2", "Incremental responses",
          hint="(treated rate − control rate) × the number of rows with group == 'treatment'",
          solution="r = ws.table('campaign_results')\nrates = r.groupby('group')['responded'].mean()\n"
                   "answer = (rates['treatment'] - rates['control']) * (r['group'] == 'treatment').sum()",
          rel_tol=1e-3, abs_tol=0.05)
def _incremental(ws):
    r = _results(ws)
    rates = r.groupby("group")["responded"].mean()
    return float((rates["treatment"] - rates["control"]) * (r["group"] == "treatment").sum())


@exercise("40.3", "Open rate of the first e-mail campaign",
          hint="Find the campaign: ws.sql(\"SELECT campaign_id FROM campaigns WHERE channel = 'email' ORDER BY "
               "start_date LIMIT 1\"); then count DISTINCT customer_id with event IN ('opened','clicked') and with "
               "event IN ('delivered','opened','clicked') in email_events for it, and divide.",
          solution="cid = ws.sql(\"SELECT campaign_id FROM campaigns WHERE channel = 'email' ORDER BY start_date "
                   "LIMIT 1\")['campaign_id'].iloc[0]\n"
                   "k = dbm.evaluate.email_kpis(ws).set_index('campaign_id')\nanswer = k.loc[cid, 'open_rate']")
def _open_rate(ws):
    from ..evaluate import email_kpis
    cid = ws.sql("SELECT campaign_id FROM campaigns WHERE channel = 'email' ORDER BY start_date, campaign_id "
                 "LIMIT 1")["campaign_id"].iloc[0]
    return float(email_kpis(ws).set_index("campaign_id").loc[cid, "open_rate"])


@exercise("40.4", "ROI of the campaign",
          hint="margin per contact: r.groupby('group')['margin'].mean(); cost = treated contacts × cost per contact "
               "of their channel (ws.cfg.economics.cost_per_contact) + ws.cfg.economics.campaign_fixed_cost",
          solution="r = ws.table('campaign_results')\nt = r[r['group'] == 'treatment']\n"
                   "m = r.groupby('group')['margin'].mean()\n"
                   "cost = t['channel'].map(ws.cfg.economics.cost_per_contact).sum() + "
                   "ws.cfg.economics.campaign_fixed_cost\n"
                   "answer = ((m['treatment'] - m['control']) * len(t) - cost) / cost", rel_tol=1e-3, abs_tol=1e-4)
def _roi(ws):
    r = _results(ws)
    t = r[r["group"] == "treatment"]
    m = r.groupby("group")["margin"].mean()
    cost = float(t["channel"].map(dict(ws.cfg.economics.cost_per_contact)).fillna(0).sum()
                 + ws.cfg.economics.campaign_fixed_cost)
    return float(((m["treatment"] - m["control"]) * len(t) - cost) / cost)
