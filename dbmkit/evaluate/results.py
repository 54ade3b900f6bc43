"""Collect a campaign's results and feed them back into the database (反馈与迭代, the closed loop 营销闭环).

``collect_results(ws)`` gathers everything needed to evaluate the campaign planned in chapters 30–31
(``campaign_contacts``): for the synthetic client the results are simulated from the truth
(:func:`dbmkit.datasets.simulate_campaign`); for a real client they come from the client's own files loaded into the
database (orders after the contact, e-mail/SMS logs). ``collect_results(ws, campaign_id="CMP08")`` does the same for
a past campaign of the database. ``build_campaign_results`` is the builder of the ``campaign_results`` table.

Feedback: ``campaign_feedback`` turns the results into rows the next campaign can use — responses, unsubscribes
and spam complaints as consent changes (opt-outs), bounces as invalid addresses — and ``write_back`` stores them as
tables of their own (``campaign_results``, ``campaign_feedback``, ``campaign_evaluation``), never touching the base
tables. ``follow_up_list`` is a small piece of marketing automation (营销自动化): triggered follow-ups from what
each contact did.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..i18n import pick
from .attribution import campaign_outcomes, contact_outcomes

__all__ = ["CampaignResults", "collect_results", "build_campaign_results", "campaign_feedback", "consent_changes",
           "write_back", "follow_up_list", "NoResultsYet", "RESULT_COLUMNS", "group_summary", "expected_split",
           "with_segments", "latest_test_campaign", "find_ab_test"]

RESULT_COLUMNS = ["campaign_id", "customer_id", "group", "cell", "channel", "offer", "responded", "response_ts",
                  "order_id", "revenue", "margin"]


class NoResultsYet(ValueError):
    """The planned campaign has no results in the database yet (a real client before the results came in)."""


@dataclasses.dataclass
class CampaignResults:
    """Everything chapter 40 evaluates: one row per contact (``results``), the message logs, opt-outs, and for the
    synthetic client the truth (``truth``: p_control, p_treated, true_uplift, uplift_type per contact)."""

    results: pd.DataFrame
    email_events: pd.DataFrame
    sms_events: pd.DataFrame
    unsubscribes: pd.DataFrame
    truth: pd.DataFrame | None
    source: str
    window_days: float
    cost_per_contact: dict | float
    fixed_cost: float
    planned: pd.DataFrame | None = None     # the contact list (with contact_ts) the results belong to
    kind: str = "planned"                   # "planned" (campaign_contacts) or "past" (a campaign of the database)

    @property
    def campaign_ids(self) -> list[str]:
        return sorted(self.results["campaign_id"].astype(str).unique())

    @property
    def true_lift(self) -> float | None:
        """Mean true uplift over the treated (synthetic client), else None."""
        if self.truth is None or "true_uplift" not in self.truth:
            return None
        t = self.truth[self.results["group"].to_numpy() == "treatment"]
        return float(t["true_uplift"].mean()) if len(t) else None


def _window(ws, window_days):
    return float(window_days or ws.cfg.evaluate.response_window_days or ws.cfg.campaign.response_window_days)


def _db_events(ws, table: str, ids: list[str]) -> pd.DataFrame:
    with ws.connect() as con:
        con.register("_ids", pd.DataFrame({"campaign_id": pd.Series(ids, dtype=object)}))
        return con.execute(f"""SELECT campaign_id, customer_id, event, event_ts FROM {table}
                               WHERE campaign_id IN (SELECT campaign_id FROM _ids)
                               ORDER BY event_ts, customer_id""").df()


def _unsubscribes(email: pd.DataFrame, sms: pd.DataFrame) -> pd.DataFrame:
    parts = [e[e["event"].isin(["unsubscribed", "complained"])].assign(channel=ch)
             for e, ch in ((email, "email"), (sms, "sms")) if len(e)]
    if not parts:
        return pd.DataFrame(columns=["campaign_id", "customer_id", "channel", "event", "event_ts"])
    u = pd.concat(parts, ignore_index=True)[["campaign_id", "customer_id", "channel", "event", "event_ts"]]
    return u.sort_values(["event_ts", "customer_id"]).reset_index(drop=True)


def _planned_contacts(ws, contacts):
    if contacts is not None:
        return contacts
    try:
        return ws.table("campaign_contacts")
    except (ImportError, AttributeError) as e:
        raise ValueError("the campaign planner (dbmkit.campaign.build_campaign_contacts) is not available, so there "
                         "is no planned campaign to evaluate; pass contacts= or evaluate a past campaign with "
                         f"campaign_id= ({type(e).__name__}: {e})") from None


def _past(ws, campaign_id, window_days, rule: str = "all") -> CampaignResults:
    ids = [campaign_id] if isinstance(campaign_id, str) else list(campaign_id)
    out = campaign_outcomes(ws, ids, window_days=window_days, rule=rule)
    camp = ws.sql("SELECT campaign_id, offer, cost_per_contact, fixed_cost FROM campaigns")
    camp = camp[camp["campaign_id"].isin(ids)]
    out = out.merge(camp[["campaign_id", "offer"]], on="campaign_id", how="left")
    res = out[RESULT_COLUMNS].copy()
    truth = None
    if ws.truth is not None and "campaign_uplift" in ws.truth:
        from ..datasets.simulate import person_map
        pm = person_map(ws)
        cu = ws.truth["campaign_uplift"]
        cu = cu[cu["campaign_id"].isin(ids)]
        key = res[["campaign_id", "customer_id"]].assign(person_id=pm.reindex(res["customer_id"]).to_numpy())
        t = key.merge(cu[["campaign_id", "person_id", "p_control", "p_treated", "true_uplift", "uplift_type"]],
                      on=["campaign_id", "person_id"], how="left")
        t = t.drop_duplicates(["campaign_id", "customer_id"])
        truth = t.reset_index(drop=True)
        res["p_control"] = truth["p_control"].to_numpy()
        res["p_treated"] = truth["p_treated"].to_numpy()
    email = _db_events(ws, "email_events", ids)
    sms = _db_events(ws, "sms_events", ids)
    cpc = float(camp["cost_per_contact"].fillna(0).mean()) if len(camp) == 1 else \
        dict(zip(camp["campaign_id"], camp["cost_per_contact"].fillna(0)))
    src = pick((f"past campaign {', '.join(ids)} from the database (orders in each campaign's window after the "
                "contact, every contact keeps its own orders)",
                f"数据库中的历史活动 {'、'.join(ids)}（统计每次活动接触后响应期内的订单，每个接触保留自己的订单）"))
    contacts = out[["campaign_id", "customer_id", "group", "cell", "channel", "contact_ts", "window_days"]]
    return CampaignResults(res, email, sms, _unsubscribes(email, sms), truth, src,
                           float(out["window_days"].iloc[0]) if len(out) else _window(ws, window_days),
                           cpc, float(camp["fixed_cost"].fillna(0).sum()), contacts, kind="past")


def latest_test_campaign(ws) -> str | None:
    """The most recent past campaign with both a treated and a control group (None if there is none)."""
    r = ws.sql("""SELECT c.campaign_id FROM contacts c JOIN campaigns k USING (campaign_id)
                  GROUP BY c.campaign_id, k.start_date
                  HAVING count(*) FILTER (WHERE c."group" = 'control') > 0
                     AND count(*) FILTER (WHERE c."group" = 'treatment') > 0
                  ORDER BY k.start_date DESC NULLS LAST, c.campaign_id DESC LIMIT 1""")
    return None if r.empty else str(r["campaign_id"].iloc[0])


def find_ab_test(ws) -> str | None:
    """The most recent past campaign whose treated contacts were split into two or more cells (an A/B test)."""
    r = ws.sql("""SELECT c.campaign_id FROM contacts c JOIN campaigns k USING (campaign_id)
                  WHERE c."group" = 'treatment' GROUP BY c.campaign_id, k.start_date
                  HAVING count(DISTINCT c.cell) >= 2 ORDER BY k.start_date DESC NULLS LAST LIMIT 1""")
    return None if r.empty else str(r["campaign_id"].iloc[0])


def collect_results(ws, campaign_id=None, contacts: pd.DataFrame | None = None, window_days: float | None = None,
                    seed: int | None = None, fallback_to_past: bool = False, rule: str = "all",
                    **simulate_options) -> CampaignResults:
    """The results to evaluate.

    * ``campaign_id=None`` (default): the planned campaign (``campaign_contacts``, or ``contacts``). Synthetic
      client: simulated from the truth with the config's seed. Real client: the orders and message logs after the
      contact that the client loaded into the database (``NoResultsYet`` if there are none yet — or, with
      ``fallback_to_past=True``, the most recent past campaign with a control group instead).
    * ``campaign_id="CMP08"``: a past campaign of the database (any client).

    ``rule`` is the attribution rule for orders of a real client's campaign: ``all`` (default) lets every contact
    keep the orders of its own window, which is right for measuring against the control group; ``most_recent``
    or ``first`` (``cfg.evaluate.attribution``) give an order in overlapping windows to one campaign only.
    """
    if campaign_id is None and fallback_to_past and ws.truth is None:
        try:
            return collect_results(ws, None, contacts, window_days, seed, False, rule, **simulate_options)
        except (NoResultsYet, ValueError) as e:
            past = latest_test_campaign(ws)
            if past is None:
                raise
            b = _past(ws, [past], window_days)
            b.source = pick((f"{b.source}; the planned campaign has no results yet ({str(e).split(':')[0]})",
                             f"{b.source}；策划的活动还没有结果（{str(e).split(':')[0]}）"))
            return b
    if campaign_id is not None:
        known = set(ws.sql("SELECT campaign_id FROM campaigns")["campaign_id"])
        ids = [campaign_id] if isinstance(campaign_id, str) else list(campaign_id)
        if set(ids) <= known:
            return _past(ws, ids, window_days, rule)
        if contacts is None:
            raise ValueError(f"no campaign {sorted(set(ids) - known)} in the database; campaigns: {sorted(known)}")
    planned = _planned_contacts(ws, contacts)
    if campaign_id is not None:
        planned = planned[planned["campaign_id"].isin([campaign_id] if isinstance(campaign_id, str) else campaign_id)]
    if len(planned) == 0:
        raise ValueError("the planned contact list is empty: nothing to evaluate")
    window = _window(ws, window_days)
    econ = ws.cfg.economics
    costs = dict(econ.cost_per_contact)
    if ws.truth is not None:
        from ..datasets.simulate import simulate_campaign
        sim = simulate_campaign(planned, ws, window_days=int(round(window)),
                                seed=ws.cfg.seed if seed is None else seed, **simulate_options)
        res = sim.results
        for c in ("cell", "offer"):
            if c in planned.columns:
                res[c] = planned.set_index(["campaign_id", "customer_id"])[c].reindex(
                    pd.MultiIndex.from_frame(res[["campaign_id", "customer_id"]])).to_numpy()
        return CampaignResults(res, sim.email_events, sim.sms_events, sim.unsubscribes, sim.truth,
                               pick((f"simulated from the synthetic client's truth (seed {sim.seed}, "
                                     f"{sim.window_days}-day window)",
                                     f"按合成客户的真实情况模拟（随机种子 {sim.seed}，响应期{sim.window_days}天）")),
                               window, costs, float(econ.campaign_fixed_cost),
                               planned)
    # a real client: results from the database
    first = pd.to_datetime(planned["contact_ts"]).min()
    last = ws.sql("SELECT max(order_ts) AS t FROM orders")["t"].iloc[0]
    if last is None or pd.isna(last) or pd.Timestamp(last) < first:
        raise NoResultsYet(
            f"the planned campaign starts {first.date()} but the database has orders only up to "
            f"{pd.Timestamp(last).date() if last is not None and not pd.isna(last) else 'nothing'}: load the orders "
            "(and e-mail/SMS logs) after the campaign into the client's sources and rebuild, or evaluate a past "
            "campaign: collect_results(ws, campaign_id=...)")
    out = contact_outcomes(planned, ws, window_days=window, rule=rule)
    for c in ("cell", "channel", "offer"):
        if c not in out:
            out[c] = None
    ids = sorted(out["campaign_id"].astype(str).unique())
    email, sms = _db_events(ws, "email_events", ids), _db_events(ws, "sms_events", ids)
    return CampaignResults(out[RESULT_COLUMNS].copy(), email, sms, _unsubscribes(email, sms), None,
                           "the client's files: orders in the response window after each contact", window, costs,
                           float(econ.campaign_fixed_cost), planned)


def build_campaign_results(ws) -> pd.DataFrame:
    """Builder of the ``campaign_results`` table (docs/DATA_MODEL.md): one row per planned contact with its result."""
    return collect_results(ws).results


def campaign_feedback(bundle: CampaignResults) -> pd.DataFrame:
    """What goes back into the database: one row per response, unsubscribe, spam complaint and bounce.

    Columns: campaign_id, customer_id, kind (response / unsubscribe / complaint / bounce), channel, event_ts,
    value (revenue of a response), consent_status (opt_out for unsubscribes and complaints), note.
    """
    r = bundle.results
    resp = r[r["responded"] == 1]
    rows = [pd.DataFrame({"campaign_id": resp["campaign_id"], "customer_id": resp["customer_id"], "kind": "response",
                          "channel": resp["channel"], "event_ts": pd.to_datetime(resp["response_ts"]),
                          "value": resp["revenue"].astype(float), "consent_status": None,
                          "note": np.where(resp["group"] == "treatment", "bought in the window after the contact",
                                           "bought in the window (control group, not contacted)")})]
    u = bundle.unsubscribes
    if len(u):
        rows.append(pd.DataFrame({"campaign_id": u["campaign_id"], "customer_id": u["customer_id"],
                                  "kind": np.where(u["event"] == "complained", "complaint", "unsubscribe"),
                                  "channel": u["channel"], "event_ts": pd.to_datetime(u["event_ts"]), "value": np.nan,
                                  "consent_status": "opt_out",
                                  "note": np.where(u["event"] == "complained", "spam complaint: treat as opt-out",
                                                   "unsubscribed (退订)")}))
    for ev, ch in ((bundle.email_events, "email"), (bundle.sms_events, "sms")):
        if len(ev):
            b = ev[ev["event"] == "bounced"]
            rows.append(pd.DataFrame({"campaign_id": b["campaign_id"], "customer_id": b["customer_id"],
                                      "kind": "bounce", "channel": ch, "event_ts": pd.to_datetime(b["event_ts"]),
                                      "value": np.nan, "consent_status": None,
                                      "note": "address undeliverable: check or remove"}))
    fb = pd.concat([x for x in rows if len(x)], ignore_index=True) if any(len(x) for x in rows) else rows[0]
    return fb.sort_values(["event_ts", "customer_id", "kind"]).reset_index(drop=True)


def consent_changes(feedback: pd.DataFrame) -> pd.DataFrame:
    """The opt-outs in the feedback as consent rows (customer_id, channel, status, updated_at, source) — the
    latest status wins, so the next selection suppresses these people on that channel."""
    f = feedback[feedback["consent_status"].notna()]
    out = pd.DataFrame({"customer_id": f["customer_id"], "channel": f["channel"], "status": f["consent_status"],
                        "updated_at": f["event_ts"], "source": "campaign " + f["campaign_id"].astype(str)})
    return out.drop_duplicates(["customer_id", "channel"], keep="last").reset_index(drop=True)


def write_back(ws, bundle: CampaignResults, evaluation: pd.DataFrame | None = None) -> dict[str, int]:
    """Store the results and the feedback in the database as tables of their own (``campaign_results``,
    ``campaign_feedback`` and, when given, ``campaign_evaluation``). Returns the rows written per table.

    ``campaign_results`` belongs to the planned campaign (one row per row of ``campaign_contacts``): the results
    of a past campaign are not written there, only its feedback and evaluation."""
    written = {}
    if bundle.kind == "planned":
        ws.save("campaign_results", bundle.results)
        written["campaign_results"] = len(bundle.results)
    fb = campaign_feedback(bundle)
    ws.save("campaign_feedback", fb)
    written["campaign_feedback"] = len(fb)
    if evaluation is not None:
        ws.save("campaign_evaluation", evaluation)
        written["campaign_evaluation"] = len(evaluation)
    return written


def follow_up_list(bundle: CampaignResults, wait_days: float = 3.0) -> pd.DataFrame:
    """Triggered follow-ups (营销自动化) for the treated e-mail contacts who did not buy, by what they did:

    * clicked but did not buy → a reminder of the offer ``wait_days`` after the click (the hottest leads);
    * opened but did not click → the same offer with different content;
    * delivered but never opened → one resend with a new subject line.

    Nobody who bought, bounced, unsubscribed or complained is followed up. Columns: campaign_id, customer_id,
    trigger, action, trigger_ts, send_at.
    """
    r = bundle.results
    ev = bundle.email_events
    if ev is None or len(ev) == 0:
        return pd.DataFrame(columns=["campaign_id", "customer_id", "trigger", "action", "trigger_ts", "send_at"])
    bought = set(zip(r.loc[r["responded"] == 1, "campaign_id"], r.loc[r["responded"] == 1, "customer_id"]))
    per = ev.pivot_table(index=["campaign_id", "customer_id"], columns="event", values="event_ts", aggfunc="min")
    for c in ("delivered", "opened", "clicked", "bounced", "unsubscribed", "complained", "sent"):
        if c not in per:
            per[c] = pd.NaT
    per = per.reset_index()
    keep = ~pd.Series(list(zip(per["campaign_id"], per["customer_id"]))).isin(bought).to_numpy()
    keep &= (per["bounced"].isna().to_numpy() & per["unsubscribed"].isna().to_numpy()
             & per["complained"].isna().to_numpy())
    per = per[keep]
    trig = np.select([per["clicked"].notna(), per["opened"].notna(), per["delivered"].notna()],
                     ["clicked, no purchase", "opened, no click", "not opened"], default="")
    action = np.select([per["clicked"].notna(), per["opened"].notna(), per["delivered"].notna()],
                       ["reminder: the offer ends soon", "same offer, different content",
                        "resend with a new subject line"], default="")
    ts = per["clicked"].fillna(per["opened"]).fillna(per["delivered"])
    out = pd.DataFrame({"campaign_id": per["campaign_id"], "customer_id": per["customer_id"], "trigger": trig,
                        "action": action, "trigger_ts": ts,
                        "send_at": pd.to_datetime(ts) + pd.Timedelta(days=wait_days)})
    out = out[out["trigger"] != ""]
    order = {"clicked, no purchase": 0, "opened, no click": 1, "not opened": 2}
    return out.sort_values(["trigger", "send_at"], key=lambda s: s.map(order) if s.name == "trigger" else s)\
              .reset_index(drop=True)


def group_summary(results: pd.DataFrame, group_col: str = "group") -> pd.DataFrame:
    """What the campaign brought, per group: contacts, responders, response (conversion) rate (转化率), revenue
    (销售额), revenue and margin per contact.

    >>> r = pd.DataFrame({"group": ["treatment", "treatment", "control"], "responded": [1, 0, 0],
    ...                   "revenue": [80.0, 0.0, 0.0], "margin": [30.0, 0.0, 0.0]})
    >>> group_summary(r)[["group", "contacts", "responders", "response_rate", "revenue"]].values.tolist()
    [['control', 1, 0, 0.0, 0.0], ['treatment', 2, 1, 0.5, 80.0]]
    """
    g = results.groupby(group_col, sort=True)
    out = pd.DataFrame({"contacts": g.size(), "responders": g["responded"].sum().astype(int),
                        "response_rate": g["responded"].mean(), "revenue": g["revenue"].sum(),
                        "revenue_per_contact": g["revenue"].mean(), "margin": g["margin"].sum(),
                        "margin_per_contact": g["margin"].mean()})
    return out.reset_index()


def expected_split(ws, results: pd.DataFrame, group_col: str = "group") -> dict[str, float]:
    """The planned shares of the groups present (config: campaign.control_share, global_holdout_share)."""
    c = ws.cfg.campaign
    shares = {"control": c.control_share, "holdout": c.global_holdout_share}
    present = set(results[group_col])
    out = {g: s for g, s in shares.items() if g in present and s > 0}
    out["treatment"] = 1.0 - sum(out.values())
    return out


def with_segments(ws, results: pd.DataFrame) -> pd.DataFrame:
    """The results with the customer's RFM segment and lifecycle stage (as of the analysis date) when those
    analysis tables can be built; columns are left out otherwise."""
    out = results.copy()
    for table, cols in (("rfm", ["segment"]), ("segments", ["lifecycle_stage"])):
        try:
            t = ws.table(table)
        except (ImportError, AttributeError, KeyError, ValueError, RuntimeError):
            continue
        keep = [c for c in cols if c in t.columns and c not in out.columns]
        if keep:
            out = out.merge(t[["customer_id", *keep]], on="customer_id", how="left")
            for c in keep:
                out[c] = out[c].fillna("no purchase yet")
    return out
