"""Simulate the results of a newly planned campaign on the synthetic client, from its ground truth.

A real client sends the campaign and, weeks later, hands over the orders, coupon redemptions and e-mail/SMS logs.
The synthetic client cannot send anything, but it knows how every person behaves, so ``simulate_campaign`` draws
those results consistently with the same model that produced the past campaigns (``retailer``; e-mail and SMS
events by the same ``messages.message_events``):

* every person keeps buying organically: the orders after the export date are already in the truth
  (``future_orders``, origin "organic"); a contact *responds* when they buy within the response window;
* a contacted **persuadable** makes an extra (incremental) purchase in the window with probability
  ``pi[channel] × pi_scale × (1 if alive else 0.45)`` (capped at 0.9);
* a contacted **do-not-disturb** stops buying in the window with probability 0.6 (annoyed by the contact);
* **sure things** and **lost causes** do what they would have done anyway.

The control group (and a global holdout) is never contacted, so its responses are just the organic purchases.
The per-contact truth ``p_control`` (probability of buying in the window without contact) and ``p_treated``
(with contact) lets a chapter check that its estimated lift is right: the true lift of the campaign is the mean of
``p_treated − p_control`` over the treated.

Database customers (golden records after merge/purge) are mapped to the true persons through
``customer_records.record_id`` → truth ``records.person_id`` (the majority person when a golden record merged
records of several persons — rare): :func:`dbmkit.datasets.truth.person_map`.

Example
-------
>>> import pandas as pd
>>> from dbmkit.datasets import synthetic
>>> world = synthetic(n_people=400, seed=7, raw=False)
>>> ids = world.tables["customers"]["customer_id"].head(200)
>>> contacts = pd.DataFrame({"campaign_id": "NEW", "customer_id": ids, "channel": "email",
...                          "group": ["control" if i % 10 == 0 else "treatment" for i in range(200)],
...                          "contact_ts": pd.Timestamp("2026-07-08 09:00")})
>>> sim = simulate_campaign(contacts, world, window_days=30, seed=1)
>>> len(sim.results), set(sim.results["responded"]) <= {0, 1}
(200, True)
>>> bool((sim.results["p_treated"] >= 0).all())
True
"""
from __future__ import annotations

import dataclasses
import re

import duckdb
import numpy as np
import pandas as pd

from ..util import isin
from .messages import message_events
from .retailer import CAMPAIGN_PLAN, sales_calendar
from .truth import person_map  # (evaluate and campaign import it from here too)

__all__ = ["simulate_campaign", "SimulatedCampaign", "CHANNEL_PI", "DND_LOSS", "offer_discount"]

# base incremental probability of a persuadable, per channel: the mean over the past campaigns of CAMPAIGN_PLAN
CHANNEL_PI: dict[str, float] = {
    ch: float(np.mean([c["pi"] for c in CAMPAIGN_PLAN if c["channel"] == ch]))
    for ch in sorted({c["channel"] for c in CAMPAIGN_PLAN})
}
DND_LOSS = 0.6            # a contacted do-not-disturb stops buying in the window with this probability
DEAD_FACTOR = 0.45        # a lapsed (dropped-out) persuadable can still be won back, less often
PI_CAP = 0.9
GROUPS = {"treatment", "control", "holdout"}


@dataclasses.dataclass
class SimulatedCampaign:
    """What the client would hand over after the campaign, plus the truth.

    ``results``: one row per contact — campaign_id, customer_id, group, cell, channel, offer, responded (0/1),
    response_ts, order_id (the first purchase in the window), revenue and margin (all purchases in the window),
    p_control, p_treated. ``orders``: every purchase of a contact in the window (origin organic/incremental).
    ``email_events``, ``sms_events``: message events of the treated (control members get nothing).
    ``unsubscribes``: opt-outs and spam complaints (customer_id, channel, event, event_ts) — consent changes.
    ``truth``: per contact person_id, uplift_type, alive, p_control, p_treated, true_uplift.
    """

    results: pd.DataFrame
    orders: pd.DataFrame
    email_events: pd.DataFrame
    sms_events: pd.DataFrame
    unsubscribes: pd.DataFrame
    truth: pd.DataFrame
    window_days: int
    seed: int

    @property
    def true_lift(self) -> float:
        """Mean true uplift (p_treated − p_control) over the treated contacts."""
        t = self.truth[self.results["group"].to_numpy() == "treatment"]
        return float(t["true_uplift"].mean()) if len(t) else float("nan")


def offer_discount(offer) -> tuple[float, float]:
    """(percentage off, money off) read from an offer text: "15% off" → (0.15, 0); "$10 voucher" → (0, 10).

    >>> offer_discount("early access + 10% off"), offer_discount("catalogue + $10 voucher"), offer_discount(None)
    ((0.1, 0.0), (0.0, 10.0), (0.0, 0.0))
    """
    if not isinstance(offer, str):
        return 0.0, 0.0
    pct = re.search(r"(\d+(?:\.\d+)?)\s*%", offer)
    money = re.search(r"[$¥€£]\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:元|yuan|dollars?)", offer, flags=re.I)
    p = float(pct.group(1)) / 100 if pct else 0.0
    m = float(next(g for g in money.groups() if g)) if money else 0.0
    return min(p, 0.95), m


def _source_parts(truth, person_of, params, orders):
    """Normalise the ``truth`` argument: a Workspace, a SyntheticRetailer or a truth dict."""
    if hasattr(truth, "cfg") and hasattr(truth, "sql"):          # a Workspace
        ws = truth
        if ws.truth is None:
            raise ValueError("simulate_campaign needs the synthetic client's truth; for a real client the results "
                             "come from the client's files (responses/orders) — use dbmkit.evaluate instead")
        tr = ws.truth
        params = params or tr.params()
        if person_of is None:
            person_of = person_map(ws)
        if orders is None:
            orders = ws
        return tr, person_of, params, orders
    if hasattr(truth, "truth") and hasattr(truth, "tables"):     # a SyntheticRetailer (customer_id = person)
        world = truth
        params = params or world.params
        if person_of is None:
            ids = world.tables["customers"]["customer_id"]
            person_of = pd.Series(ids.to_numpy(), index=pd.Index(ids.to_numpy(), name="customer_id"))
        if orders is None:
            orders = world.tables["orders"]
        return world.truth, person_of, params, orders
    if isinstance(truth, dict):
        if params is None and hasattr(truth, "params"):
            params = truth.params()
        if params is None or person_of is None:
            raise ValueError("with a truth dict, give `params` (the world's parameters) and `person_of` "
                             "(customer_id → person_id)")
        return truth, person_of, params, orders
    raise TypeError("`truth` must be a Workspace of the synthetic client, a SyntheticRetailer or its truth dict")


def _operational_clock(params: dict):
    """Cumulative purchase intensity (the retailer's calendar warp): day number → operational time."""
    end = pd.Timestamp(params["end_date"]).normalize()
    hist_days = int(round(float(params["years"]) * 365.25))
    start = end - pd.Timedelta(days=hist_days - 1)
    total = hist_days + int(params.get("future_days", 365))
    m, _ = sales_calendar(start, total + 2, params.get("locale", "en"))
    Cg = np.concatenate([[0.0], np.cumsum(m)])
    grid = np.arange(len(Cg), dtype=float)
    return start, end, grid, Cg


_DRAW_SQL = """
WITH ranked AS (
    SELECT o.customer_id, o.gross_amount, o.discount, o.net_amount, o.cost,
           row_number() OVER (PARTITION BY o.customer_id ORDER BY hash(o.order_id || $salt)) AS rn
    FROM {orders} o JOIN _sim_who w ON w.customer_id = o.customer_id
    WHERE o.status = 'completed' AND o.net_amount > 0)
SELECT customer_id, gross_amount, discount, net_amount, cost FROM ranked WHERE rn = 1
"""
_POOL_SQL = """
SELECT gross_amount, discount, net_amount, cost FROM {orders}
WHERE status = 'completed' AND net_amount > 0 ORDER BY hash(order_id || $salt) LIMIT 5000
"""


def _order_draws(orders, customers: np.ndarray, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One past order per customer (drawn at random, for the size of an incremental order) and a population pool."""
    who = pd.DataFrame({"customer_id": pd.unique(np.asarray(customers, dtype=object))})
    salt = f"#{seed}"
    if hasattr(orders, "connect"):
        with orders.connect() as con:
            con.register("_sim_who", who)
            mine = con.execute(_DRAW_SQL.replace("{orders}", "orders"), {"salt": salt}).df()
            pool = con.execute(_POOL_SQL.replace("{orders}", "orders"), {"salt": salt}).df()
            con.unregister("_sim_who")
        return mine, pool
    con = duckdb.connect()
    try:
        o = orders[["order_id", "customer_id", "gross_amount", "discount", "net_amount", "cost", "status"]]
        con.register("_sim_orders", o)
        con.register("_sim_who", who)
        mine = con.execute(_DRAW_SQL.replace("{orders}", "_sim_orders"), {"salt": salt}).df()
        pool = con.execute(_POOL_SQL.replace("{orders}", "_sim_orders"), {"salt": salt}).df()
    finally:
        con.close()
    return mine, pool


def _check_contacts(contacts: pd.DataFrame, channel: str | None) -> pd.DataFrame:
    if not isinstance(contacts, pd.DataFrame):
        raise TypeError("contacts must be a DataFrame (campaign_id, customer_id, group, channel, contact_ts …)")
    need = ["campaign_id", "customer_id", "group", "contact_ts"] + ([] if channel else ["channel"])
    missing = [c for c in need if c not in contacts.columns]
    if missing:
        raise KeyError(f"contacts has no column(s) {missing}; it has {list(contacts.columns)}. "
                       "Give the planned contact list (campaign_contacts)"
                       + ("" if channel or "channel" not in missing else " or pass channel='email'"))
    c = contacts.copy()
    if channel:
        c["channel"] = c["channel"].fillna(channel) if "channel" in c else channel
    for col in ("cell", "offer"):
        if col not in c:
            c[col] = None
    c["group"] = c["group"].astype(str).str.strip().str.lower()
    bad = sorted(set(c["group"]) - GROUPS)
    if bad:
        raise ValueError(f"contacts.group has value(s) {bad}; use treatment, control or holdout")
    c["contact_ts"] = pd.to_datetime(c["contact_ts"])
    if c["contact_ts"].isna().any():
        raise ValueError("contacts.contact_ts has missing values: every contact needs a date")
    if c.duplicated(["campaign_id", "customer_id"]).any():
        raise ValueError("contacts lists the same customer twice in one campaign; keep one row per "
                         "(campaign_id, customer_id)")
    return c


def simulate_campaign(contacts: pd.DataFrame, truth, window_days: int = 30, seed: int = 42,
                      pi: dict[str, float] | None = None, cell_effects: dict[str, float] | None = None,
                      channel: str | None = None, person_of: pd.Series | None = None, params: dict | None = None,
                      orders=None) -> SimulatedCampaign:
    """Draw the responses to a newly planned campaign from the synthetic client's truth.

    Parameters
    ----------
    contacts : the planned contacts — campaign_id, customer_id, group (treatment/control/holdout), channel,
        contact_ts (after the export date), optional cell and offer (e.g. "15% off": incremental orders get it).
    truth : the synthetic client's Workspace (``ws``), or a ``SyntheticRetailer`` from ``synthetic()``.
    window_days : the response window after each contact.
    seed : the draws are deterministic for a seed (and do not depend on the order of the rows).
    pi : base incremental purchase probability of a persuadable per channel (default ``CHANNEL_PI``).
    cell_effects : multiplier of the incremental probability (and of e-mail opens) per cell, e.g. {"B": 1.25}
        for a better subject line.
    channel : channel for contacts without one.
    person_of, params, orders : only needed with a bare truth dict (customer → person map, world parameters,
        order history for the size of incremental orders).

    Returns
    -------
    SimulatedCampaign with ``results`` (the ``campaign_results`` contract), ``orders``, ``email_events``,
    ``sms_events``, ``unsubscribes`` and ``truth``.
    """
    c = _check_contacts(contacts, channel)
    if window_days is None or int(window_days) < 1:
        raise ValueError("window_days must be a whole number of days ≥ 1")
    window_days = int(window_days)
    tr, person_of, params, orders = _source_parts(truth, person_of, params, orders)
    pis = {**CHANNEL_PI, **(pi or {})}
    unknown = sorted(set(c["channel"].dropna()) - set(pis))
    if unknown:
        raise ValueError(f"no incremental probability for channel(s) {unknown}; give pi={{'{unknown[0]}': 0.05}}")
    effects = cell_effects or {}

    # stable order → draws independent of the input order
    c = c.sort_values(["campaign_id", "customer_id"], kind="stable").reset_index(drop=True)
    n = len(c)
    rng = np.random.default_rng([int(seed), 4040])
    start, end, grid, Cg = _operational_clock(params)
    if (c["contact_ts"] < end + pd.Timedelta(days=1)).any():
        first = c["contact_ts"].min()
        raise ValueError(f"contacts must be after the export date {end.date()} (the first is {first}); "
                         "simulate_campaign draws the results of a newly planned campaign")
    horizon = start + pd.Timedelta(days=len(grid) - 3)
    if (c["contact_ts"] + pd.Timedelta(days=window_days) > horizon).any():
        raise ValueError(f"the response window must end before {horizon.date()} (the end of the simulated future)")

    # the people behind the contacts
    c["person_id"] = person_of.reindex(c["customer_id"].to_numpy()).to_numpy()
    ppl = tr["people"].set_index("person_id")
    cols = ["buyer", "lam_per_day", "death_ts", "uplift_type", "pi_scale", "engagement"]
    P = ppl.reindex(c["person_id"].to_numpy())[cols].reset_index(drop=True)
    known = c["person_id"].notna().to_numpy() & P["buyer"].notna().to_numpy()
    buyer = P["buyer"].fillna(False).to_numpy(bool)
    lam = P["lam_per_day"].fillna(0.0).to_numpy(float)
    death = pd.to_datetime(P["death_ts"])
    utype = P["uplift_type"].fillna("unknown").astype(str).to_numpy()
    pi_scale = P["pi_scale"].fillna(0.0).to_numpy(float)
    engagement = P["engagement"].fillna(0.0).to_numpy(float)

    # true probabilities over each contact's window
    t0 = c["contact_ts"]
    t1 = t0 + pd.Timedelta(days=window_days)
    d0 = ((t0 - start) / pd.Timedelta(days=1)).to_numpy(float)
    d1 = ((t1 - start) / pd.Timedelta(days=1)).to_numpy(float)
    dC = np.interp(d1, grid, Cg) - np.interp(d0, grid, Cg)
    alive = known & buyer & (death.isna() | (death > t0)).to_numpy()
    p_c = np.where(alive, 1 - np.exp(-lam * dC), 0.0)
    boost = c["cell"].map(lambda x: effects.get(x, 1.0) if isinstance(x, str) else 1.0).to_numpy(float)
    base_pi = c["channel"].map(pis).to_numpy(float)
    pi_i = np.minimum(base_pi * pi_scale * np.where(alive, 1.0, DEAD_FACTOR) * boost, PI_CAP)
    pi_i = np.where(known, pi_i, 0.0)
    dnd = utype == "do_not_disturb"
    p_t = np.where(dnd, p_c * (1 - DND_LOSS), 1 - (1 - p_c) * (1 - pi_i))
    treated = (c["group"] == "treatment").to_numpy()

    # organic purchases in the window (the future orders of the truth)
    fo = tr["future_orders"]
    fo = fo[(fo["origin"] == "organic") & (fo["status"] == "completed")]
    fo = fo[isin(fo["customer_id"], set(c["person_id"].dropna()))]
    key = pd.DataFrame({"row": np.arange(n), "person_id": c["person_id"], "t0": t0, "t1": t1})
    org = key.dropna(subset=["person_id"]).merge(
        fo[["order_id", "customer_id", "order_ts", "net_amount", "cost"]].rename(columns={"customer_id": "person_id"}),
        on="person_id")
    org = org[(org["order_ts"] >= org["t0"]) & (org["order_ts"] < org["t1"])]
    # do-not-disturbs who were contacted stop buying in the window (per person, all their window orders)
    lose = treated & dnd & (rng.random(n) < DND_LOSS)
    org = org[~lose[org["row"].to_numpy()]]
    org = org.assign(origin="organic")[["row", "order_id", "order_ts", "net_amount", "cost", "origin"]]

    # incremental purchases of persuadables (and of anyone with pi > 0) who were contacted
    inc = treated & (rng.random(n) < pi_i)
    inc_rows = np.flatnonzero(inc)
    lag = np.minimum(rng.exponential(window_days / 4, len(inc_rows)), window_days - 0.6)
    inc_ts = (t0.to_numpy()[inc_rows] + pd.to_timedelta(lag, unit="D")).astype("datetime64[s]")
    mine, pool = _order_draws(orders, c["customer_id"].to_numpy()[inc_rows], seed)
    mine = mine.set_index("customer_id")
    base = mine.reindex(c["customer_id"].to_numpy()[inc_rows]).reset_index(drop=True)
    need = base["gross_amount"].isna().to_numpy()
    if need.any():
        if len(pool) == 0:
            raise ValueError("no completed orders to draw the size of incremental orders from")
        pick = pool.iloc[rng.integers(0, len(pool), int(need.sum()))].reset_index(drop=True)
        base.loc[need, ["gross_amount", "discount", "net_amount", "cost"]] = pick[
            ["gross_amount", "discount", "net_amount", "cost"]].to_numpy()
    gross = base["gross_amount"].to_numpy(float)
    own_rate = np.clip(base["discount"].to_numpy(float) / np.where(gross > 0, gross, 1.0), 0, 0.95)
    offers = c["offer"].to_numpy()[inc_rows]
    pct = np.array([offer_discount(o)[0] for o in offers], float)
    money_off = np.array([offer_discount(o)[1] for o in offers], float)
    net = np.maximum(gross * (1 - np.maximum(own_rate * 0.3, pct)) - money_off, 0.0).round(2)
    inc_orders = pd.DataFrame({
        "row": inc_rows,
        "order_id": [f"SIM{seed % 1000:03d}-{cid}-{i + 1:06d}" for i, cid in
                     enumerate(c["campaign_id"].astype(str).to_numpy()[inc_rows])],
        "order_ts": pd.to_datetime(inc_ts).floor("s"), "net_amount": net,
        "cost": base["cost"].to_numpy(float).round(2), "origin": "incremental"})
    win = pd.concat([org, inc_orders], ignore_index=True).sort_values(["row", "order_ts", "order_id"])

    # one row per contact: the first purchase in the window, totals of the window
    first = win.drop_duplicates("row").set_index("row")
    tot = win.assign(margin=win["net_amount"] - win["cost"]).groupby("row")[["net_amount", "margin"]].sum()
    rows = np.arange(n)
    results = pd.DataFrame({
        "campaign_id": c["campaign_id"].to_numpy(), "customer_id": c["customer_id"].to_numpy(),
        "group": c["group"].to_numpy(), "cell": c["cell"].to_numpy(), "channel": c["channel"].to_numpy(),
        "offer": c["offer"].to_numpy(),
        "responded": np.isin(rows, first.index.to_numpy()).astype(int),
        "response_ts": first["order_ts"].reindex(rows).to_numpy(),
        "order_id": first["order_id"].reindex(rows).to_numpy(),
        "revenue": tot["net_amount"].reindex(rows).fillna(0.0).round(2).to_numpy(),
        "margin": tot["margin"].reindex(rows).fillna(0.0).round(2).to_numpy(),
        "p_control": p_c.round(6), "p_treated": p_t.round(6),
    })
    results["response_ts"] = pd.to_datetime(results["response_ts"])
    orders_out = win.assign(campaign_id=c["campaign_id"].to_numpy()[win["row"].to_numpy()],
                            customer_id=c["customer_id"].to_numpy()[win["row"].to_numpy()],
                            group=c["group"].to_numpy()[win["row"].to_numpy()])
    orders_out = orders_out[["campaign_id", "customer_id", "group", "order_id", "order_ts", "net_amount", "cost",
                             "origin"]].reset_index(drop=True)
    truth_out = pd.DataFrame({"campaign_id": c["campaign_id"].to_numpy(), "customer_id": c["customer_id"].to_numpy(),
                              "person_id": c["person_id"].to_numpy(), "uplift_type": utype, "alive": alive,
                              "p_control": p_c, "p_treated": p_t, "true_uplift": p_t - p_c})

    email, sms, unsub = _message_events(rng, c, treated, inc, engagement, dnd, boost)
    return SimulatedCampaign(results=results, orders=orders_out, email_events=email, sms_events=sms,
                             unsubscribes=unsub, truth=truth_out, window_days=window_days, seed=int(seed))


def _message_events(rng, c, treated, responded, engagement, dnd, boost):
    """E-mail and SMS events of the treated, by the simulation of the past campaigns (``messages``)."""
    out = {"email": [], "sms": []}
    unsub_rows = []
    for ch in ("email", "sms"):
        idx = np.flatnonzero(treated & (c["channel"].to_numpy() == ch))
        m = len(idx)
        if m == 0:
            continue
        ts = c["contact_ts"].to_numpy()[idx]
        who = c["customer_id"].to_numpy()[idx]
        cid = c["campaign_id"].to_numpy()[idx]
        e = message_events(rng, ch, np.zeros(m), responded[idx], engagement[idx], dnd[idx], boost[idx])
        k = e["message"].to_numpy()
        ev = pd.DataFrame({"campaign_id": pd.Series(cid[k], dtype=object),
                           "customer_id": pd.Series(who[k], dtype=object),
                           "event": e["event"],
                           "event_ts": ts[k] + pd.to_timedelta(e["day"].to_numpy(), unit="D").to_numpy()})
        ev["event_ts"] = pd.to_datetime(ev["event_ts"]).dt.floor("s")
        out[ch] = ev.sort_values(["event_ts", "customer_id", "event"]).reset_index(drop=True)
        u = ev[ev["event"].isin(["unsubscribed", "complained"])].assign(channel=ch)
        unsub_rows.append(u[["campaign_id", "customer_id", "channel", "event", "event_ts"]])
    cols = ["campaign_id", "customer_id", "event", "event_ts"]
    email = out["email"] if len(out["email"]) else pd.DataFrame(columns=cols)
    sms = out["sms"] if len(out["sms"]) else pd.DataFrame(columns=cols)
    unsub = (pd.concat(unsub_rows, ignore_index=True) if unsub_rows
             else pd.DataFrame(columns=["campaign_id", "customer_id", "channel", "event", "event_ts"]))
    return email, sms, unsub.sort_values(["event_ts", "customer_id"]).reset_index(drop=True)
