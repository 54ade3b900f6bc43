"""Exercises of chapter 25 (baskets and sequences)."""
from __future__ import annotations

from . import exercise


@exercise("25.1", "The lift of the strongest basket rule",
          hint="dbm.basket.association_rules(ws, level='subcategory') is sorted by lift; take the first lift.",
          solution="answer = dbm.basket.association_rules(ws, level='subcategory')['lift'].iloc[0]")
def _top_lift(ws, level="subcategory"):
    from ..basket import association_rules
    return float(association_rules(ws, level=level)["lift"].max())


@exercise("25.2", "The support of the strongest pair",
          hint="Support is the share of all baskets that hold both items — the same in both directions of a rule. "
               "Take the support of the first row of association_rules.",
          solution="answer = dbm.basket.association_rules(ws, level='subcategory')['support'].iloc[0]")
def _top_support(ws, level="subcategory"):
    from ..basket import association_rules
    r = association_rules(ws, level=level)
    return float(r.loc[r["lift"].idxmax(), "support"])


@exercise("25.3", "Confidence of the category rule with the highest lift",
          hint="Run association_rules at level='category'; confidence = baskets with both / baskets with the "
               "antecedent. Of the two directions with the top lift, give the higher confidence.",
          solution="r = dbm.basket.association_rules(ws, level='category')\n"
                   "answer = r[r['lift'].round(9) == r['lift'].round(9).max()]['confidence'].max()")
def _cat_conf(ws):
    from ..basket import association_rules
    r = association_rules(ws, level="category")
    top = r["lift"].round(9) == r["lift"].round(9).max()
    return float(r.loc[top, "confidence"].max())


@exercise("25.4", "How often the strongest sequence happens",
          hint="dbm.basket.sequence_rules(ws, within_days) is sorted by excess; give the probability of the first "
               "rule (the share of its antecedent's buyers who buy the consequent within the window).",
          solution="answer = dbm.basket.sequence_rules(ws, within_days)['probability'].iloc[0]")
def _top_sequence(ws, within_days=None, level="subcategory"):
    from ..basket import sequence_rules
    return float(sequence_rules(ws, within_days, level=level)["probability"].iloc[0])
