"""Exercises of chapter 90 (case study: The Complete Journey). Expected answers come from the bundled data."""
from __future__ import annotations

from functools import lru_cache

from . import exercise


@lru_cache(maxsize=1)
def _pairs():
    from ..cases import campaign_pairs
    from ..datasets import complete_journey as cj
    return campaign_pairs(cj("campaigns"), cj("campaign_descriptions"), cj("coupon_redemptions"), cj("demographics"))


@exercise("90.1", "Redemption rate of the Type B campaigns",
          hint="Build the household–campaign pairs with dbm.cases.campaign_pairs(...) and take the mean of `redeemed` "
               "over the pairs whose campaign_type is 'Type B' (a share between 0 and 1).",
          solution="answer = pairs.loc[pairs['campaign_type'] == 'Type B', 'redeemed'].mean()",
          abs_tol=6e-4)
def _type_b(ws=None):
    p = _pairs()
    return float(p.loc[p["campaign_type"] == "Type B", "redeemed"].mean())


@exercise("90.2", "Households reached by at least one campaign",
          hint="Count the distinct household_id in the campaigns table (who received each campaign).",
          solution="answer = dbm.datasets.complete_journey('campaigns')['household_id'].nunique()")
def _reached(ws=None):
    return int(_pairs()["household_id"].nunique())


@exercise("90.3", "The age band with the highest redemption rate",
          hint="dbm.cases.redemption_by(pairs, 'age') gives the rate per age band; answer with the band's label "
               "as text, e.g. '35-44'.",
          solution="r = dbm.cases.redemption_by(pairs, 'age')\nanswer = r.loc[r['rate'].idxmax(), 'age']")
def _best_age(ws=None):
    from ..cases import redemption_by
    r = redemption_by(_pairs(), "age")
    return str(r.loc[r["rate"].idxmax(), "age"])


@exercise("90.4", "How many times more often Type A pairs redeem than Type C pairs",
          hint="Divide the redemption rate of Type A by that of Type C (dbm.cases.redemption_by(pairs, "
               "'campaign_type')).",
          solution="r = dbm.cases.redemption_by(pairs, 'campaign_type').set_index('campaign_type')['rate']\n"
                   "answer = r['Type A'] / r['Type C']",
          rel_tol=5e-3)
def _a_vs_c(ws=None):
    p = _pairs()
    rate = p.groupby("campaign_type")["redeemed"].mean()
    return float(rate["Type A"] / rate["Type C"])
