"""Exercises of chapter 21 (RFM analysis)."""
from __future__ import annotations

from . import exercise


def _scores(ws, bins=None, method=None):
    from ..rfm import rfm_scores, rfm_segments, rfm_settings
    settings = rfm_settings(ws.cfg)
    if bins is not None:
        settings["bins"] = bins
    if method is not None:
        settings["method"] = method
    return rfm_segments(rfm_scores(ws.table("customer_summary"), **settings))


@exercise("21.1", "Customers who are Champions",
          hint="Score the customer summary with dbm.rfm.rfm_scores (the chapter's bins and method), name the "
               "segments with dbm.rfm.rfm_segments, and count the rows whose segment is 'Champions'.",
          solution="sc = dbm.rfm.rfm_segments(dbm.rfm.rfm_scores(ws.table('customer_summary'), bins=bins, "
                   "method=method))\nanswer = int((sc['segment'] == 'Champions').sum())")
def _champions(ws, bins=None, method=None):
    return int((_scores(ws, bins, method)["segment"] == "Champions").sum())


@exercise("21.2", "Customers who bought in the last 30 days",
          hint="With your own cut-offs the top R class is 'bought within 30 days': count the customers of "
               "ws.table('customer_summary') whose days_since_last is at most 30 — or score with "
               "recency_breaks=[30, 90, 180, 365] and count r_score == 5.",
          solution="s = ws.table('customer_summary')\nanswer = int((s['days_since_last'] <= 30).sum())")
def _recent(ws):
    s = ws.table("customer_summary")
    return int((s["days_since_last"] <= 30).sum())


@exercise("21.3", "The segment with the highest past response rate",
          hint="dbm.rfm.rfm_cell_table(contacts, by='segment') ranks the segments; sort by response_rate and "
               "answer with the segment's English name (a string).",
          solution="cells = dbm.rfm.rfm_cell_table(dbm.rfm.campaign_rfm_contacts(ws), by='segment')\n"
                   "answer = cells.sort_values('response_rate', ascending=False)['segment'].iloc[0]")
def _best_segment(ws):
    from ..rfm import campaign_rfm_contacts, rfm_cell_table
    cells = rfm_cell_table(campaign_rfm_contacts(ws), by="segment")
    return str(cells.sort_values("response_rate", ascending=False)["segment"].iloc[0])


@exercise("21.4", "Break-even response rate of a direct-mail contact",
          hint="Break-even response rate = cost per contact / margin per response. Take the mail cost from "
               "ws.cfg.economics.cost_per_contact['mail'] and the margin per response over all past contacts: "
               "sum of response_margin / number of responders (treatment group only).",
          solution="k = dbm.rfm.campaign_rfm_contacts(ws)\nt = k[k['group'] != 'control']\n"
                   "mpr = t['response_margin'].sum() / t['responded'].sum()\n"
                   "answer = ws.cfg.economics.cost_per_contact['mail'] / mpr")
def _breakeven(ws):
    from ..rfm import campaign_rfm_contacts
    k = campaign_rfm_contacts(ws)
    t = k[k["group"] != "control"]
    return float(ws.cfg.economics.cost_per_contact["mail"] / (t["response_margin"].sum() / t["responded"].sum()))
