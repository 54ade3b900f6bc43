"""Exercises of chapter 26 (predictive models)."""
from __future__ import annotations

from . import exercise

# a small scored mailing for the hand computation of 26.1: 20 customers, 4 responders
EXAMPLE_Y = [1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
EXAMPLE_SCORE = [0.91, 0.85, 0.80, 0.77, 0.70, 0.66, 0.61, 0.55, 0.52, 0.48,
                 0.44, 0.40, 0.35, 0.31, 0.28, 0.22, 0.18, 0.12, 0.08, 0.03]


@exercise("26.1", "Top-quintile lift by hand",
          hint="Sort by score (already sorted here), take the top 20 % (4 customers), compute their response rate "
               "and divide it by the overall response rate (4 of 20).",
          solution="top = EXAMPLE_Y[:4]\nanswer = (sum(top) / 4) / (sum(EXAMPLE_Y) / 20)")
def _hand_lift(ws=None):
    top = EXAMPLE_Y[:4]
    return (sum(top) / 4) / (sum(EXAMPLE_Y) / len(EXAMPLE_Y))


@exercise("26.2", "The base response rate of past campaigns",
          hint="dbm.models.response_training_set(ws) holds every treated contact with `responded` (0/1); its mean "
               "is the base rate a model must beat.",
          solution="answer = dbm.models.response_training_set(ws)['responded'].mean()")
def _base_rate(ws):
    from ..models import contact_responses
    c = contact_responses(ws)
    return float(c.loc[c["group"] == "treatment", "responded"].astype(float).mean())


@exercise("26.3", "Active today, but predicted to stop buying",
          hint="Join ws.table('scores') with ws.table('customer_summary') on customer_id and count the customers "
               "with days_since_last <= active_days (still active) and churn_score > 0.5.",
          solution="d = ws.table('scores').merge(ws.table('customer_summary'), on='customer_id')\n"
                   "answer = int(((d['days_since_last'] <= active_days) & (d['churn_score'] > 0.5)).sum())")
def _active_at_risk(ws, active_days=None):
    a = int(active_days if active_days is not None else ws.cfg.analysis.active_days)
    d = ws.table("scores").merge(ws.table("customer_summary"), on="customer_id")
    return int(((d["days_since_last"] <= a) & (d["churn_score"] > 0.5)).sum())
