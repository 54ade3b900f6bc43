"""Exercises of chapter 32 (interest segments, life-event triggers, loyalty economics)."""
from __future__ import annotations

from . import exercise


@exercise("32.1", "Birthdays in the next 30 days",
          hint="dbm.triggers.birthdays(customers, ws.as_of, days=30) lists them (customers: customer_id and "
               "birth_date of ws.table('customers')); count the rows.",
          solution="c = ws.table('customers')\nanswer = len(dbm.triggers.birthdays(c, ws.as_of, days=30))")
def _birthdays(ws, days=30):
    from ..triggers import birthdays
    c = ws.table("customers")
    return int(len(birthdays(c[~c["is_test"].fillna(False).astype(bool)], ws.as_of, days=days)))


@exercise("32.2", "The most common dominant interest",
          hint="dbm.interests.interest_segments(dbm.interests.category_purchases(ws))['interest'].value_counts() — "
               "answer with the first label that is not 'mixed', as text.",
          solution="seg = dbm.interests.interest_segments(dbm.interests.category_purchases(ws), min_share)\n"
                   "vc = seg['interest'].value_counts()\nanswer = vc[vc.index != 'mixed'].index[0]")
def _top_interest(ws, min_share=0.4):
    from ..interests import MIXED, category_purchases, interest_segments
    vc = interest_segments(category_purchases(ws), min_share)["interest"].value_counts()
    return str(vc[vc.index != MIXED].index[0])


@exercise("32.3", "Break-even lift of the whole programme",
          hint="dbm.loyalty.programme_economics(tiers, margin) (the chapter's tier table and margin) ends with the row "
               "'programme'; answer with its required_lift (a share).",
          solution="econ = dbm.loyalty.programme_economics(tiers, margin)\n"
                   "answer = float(econ.loc[econ['tier'] == 'programme', 'required_lift'].iloc[0])", rel_tol=1e-3)
def _programme_lift(ws, gross_margin=0.4, months=12):
    from ..loyalty import assign_tiers, customer_spend, programme_economics, tier_table
    tiered, _ = assign_tiers(customer_spend(ws, months))
    econ = programme_economics(tier_table(tiered), gross_margin)
    return float(econ.loc[econ["tier"] == "programme", "required_lift"].iloc[0])
