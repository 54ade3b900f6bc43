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


@exercise("26.3", "Overdue by their own rhythm and likely to stay quiet",
          hint="Lifecycle stages come from dbm.segments.lifecycle_stage(ws.table('customer_summary'), "
               "lost_days=ws.cfg.analysis.active_days) (chapter 24's defaults); join them with ws.table('scores') on "
               "customer_id and count the customers whose lifecycle_stage is 'at_risk' and whose churn_score > 0.5 "
               "(more likely than not to make no purchase in the next churn_horizon_days days).",
          solution="st = dbm.segments.lifecycle_stage(ws.table('customer_summary'), "
                   "lost_days=ws.cfg.analysis.active_days)\n"
                   "d = st.merge(ws.table('scores'), on='customer_id')\n"
                   "answer = int(((d['lifecycle_stage'] == 'at_risk') & (d['churn_score'] > 0.5)).sum())")
def _at_risk_and_quiet(ws):
    from ..segments import lifecycle_stage
    st = lifecycle_stage(ws.table("customer_summary"), lost_days=int(ws.cfg.analysis.active_days))
    d = st.merge(ws.table("scores"), on="customer_id")
    return int(((d["lifecycle_stage"] == "at_risk") & (d["churn_score"] > 0.5)).sum())
