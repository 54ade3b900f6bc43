"""Compare a plan with the synthetic client's truth (chapters 30–31; a real client has no truth: these raise).

* ``uplift_mix`` — the true response types (persuadable, sure thing, lost cause, do-not-disturb) among all
  customers, the gross selection and the planned treatment group;
* ``planted_rules_found`` — the basket and sequence rules planted in the order data, and what our SQL rules found;
* ``plan_vs_truth`` — the plan's expected responses (all and incremental) against the true probabilities of the
  planned people (``dbmkit.datasets.simulate``).
"""
from __future__ import annotations

import pandas as pd

__all__ = ["uplift_mix", "planted_rules_found", "plan_vs_truth"]

TYPES = ["persuadable", "sure_thing", "lost_cause", "do_not_disturb"]


def _people(ws) -> pd.DataFrame:
    if ws.truth is None:
        raise ValueError("this comparison needs the synthetic client's truth; a real client has none")
    from ..datasets.simulate import person_map
    pm = person_map(ws)
    tp = ws.truth["people"][["person_id", "uplift_type"]]
    return pd.DataFrame({"customer_id": pm.index, "person_id": pm.to_numpy()}).merge(tp, on="person_id", how="left")


def uplift_mix(ws, plan) -> pd.DataFrame:
    """Share of each true response type among all customers, the gross selection and the planned treatment group.

    A good selection has more persuadables (who buy *because* of the contact) and fewer do-not-disturbs (who buy
    less when contacted) than the customer base."""
    p = _people(ws).set_index("customer_id")["uplift_type"]
    groups = {"all customers": p,
              "gross selection": p.reindex(plan.people["customer_id"]).dropna(),
              "planned treatment": p.reindex(plan.treatment["customer_id"]).dropna()}
    out = pd.DataFrame({k: v.value_counts(normalize=True).reindex(TYPES).fillna(0) for k, v in groups.items()})
    out.index.name = "true type"
    return out.reset_index()


def planted_rules_found(ws, rules: pd.DataFrame) -> pd.DataFrame:
    """The rules planted in the synthetic order data with the confidence, lift and rank (by lift within their kind)
    our rules found for them (missing = not found)."""
    if ws.truth is None:
        raise ValueError("this comparison needs the synthetic client's truth; a real client has none")
    from ..datasets.locale_words import CATALOG
    planted = ws.truth["planted_rules"][["kind", "antecedent", "consequent", "probability"]].copy()
    r = rules.copy()
    zh = {en: zh for _, (_, _, subs) in CATALOG.items() for en, zh, *_ in subs}
    names = set(r["antecedent"]) | set(r["consequent"])
    if len(names & set(zh.values())) > len(names & set(zh)):     # a Chinese client: the orders use the Chinese names
        for c in ("antecedent", "consequent"):
            planted[c] = planted[c].map(lambda x: zh.get(x, x))
    r["rank"] = r.groupby("kind")["lift"].rank(ascending=False, method="first").astype(int)
    return planted.merge(r[["kind", "antecedent", "consequent", "confidence", "lift", "rank"]],
                         on=["kind", "antecedent", "consequent"], how="left")


def plan_vs_truth(ws, plan, seed: int | None = None) -> pd.DataFrame:
    """The plan's expected responses of the treatment group against the truth: all purchases in the window
    (Σ p_treated) and the incremental ones caused by the contact (Σ (p_treated − p_control)), and the resulting
    expected profit."""
    if ws.truth is None:
        raise ValueError("this comparison needs the synthetic client's truth; a real client has none")
    from ..datasets.simulate import simulate_campaign
    s = plan.settings
    sim = simulate_campaign(plan.contacts, ws, window_days=s.response_window_days,
                            seed=ws.cfg.seed if seed is None else seed)
    tr = sim.truth.merge(plan.contacts[["customer_id", "group"]], on="customer_id", how="left")
    t = plan.treatment.set_index("customer_id")
    tt = tr[tr["group"] == "treatment"].set_index("customer_id")
    tot = plan.totals()
    mpr = tot["margin_per_response"]
    true_inc = float(tt["true_uplift"].sum())
    rows = [
        dict(measure="responses (all purchases in the window)", plan=float(t["expected_response"].sum()),
             truth=float(tt["p_treated"].sum())),
        dict(measure="incremental responses (caused by the contact)", plan=float(t["expected_incremental"].sum()),
             truth=true_inc),
        dict(measure="expected profit after all costs (plan's margin per response)",
             plan=tot["expected_margin"] - tot["total_cost"] if s.basis == "incremental"
             else float(t["expected_incremental"].sum()) * mpr - tot["total_cost"],
             truth=true_inc * mpr - tot["total_cost"]),
    ]
    out = pd.DataFrame(rows)
    out["plan ÷ truth"] = out["plan"] / out["truth"].where(out["truth"].abs() > 1e-9)
    return out
