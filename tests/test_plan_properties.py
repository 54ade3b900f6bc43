"""Rules that must always hold (hypothesis): whatever the consents, suppressions and selection rules, no opted-out,
erased or suppressed person reaches the send file; the waterfall reconciles; control groups are deterministic,
order-independent and balanced."""
from __future__ import annotations

import math
import warnings

import duckdb
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbmkit.campaign import CampaignSettings, assign_groups, plan_from_tables, send_file
from dbmkit.campaign.control import ControlGroupWarning
from dbmkit.campaign.selection import STEPS

AS_OF = pd.Timestamp("2026-06-30")
START = AS_OF + pd.Timedelta(days=7)
CHANNELS = ("email", "sms", "mail", "phone")
STAGES = ["new", "active", "at_risk", "lapsed", "lost"]


@st.composite
def worlds(draw):
    """A small random client: people with flags and contact details, consent histories, contacts, message events,
    analysis facts; some ids of the base are no longer customers (erased)."""
    n = draw(st.integers(1, 40))
    rows, cons, contacts, email_ev, sms_ev, base = [], [], [], [], [], []
    for i in range(n):
        cid = f"P{i:03d}"
        erased = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
        flags = [draw(st.sampled_from([False] * 9 + [True])) for _ in range(4)]
        if not erased:
            rows.append(dict(customer_id=cid, first_name=f"N{i}", last_name=f"L{i}",
                             email=draw(st.sampled_from([f"p{i}@x.org"] * 4 + [None])),
                             phone=draw(st.sampled_from([f"+1555{i:04d}"] * 3 + [None])),
                             street=draw(st.sampled_from([f"{i} Main St"] * 4 + [None])), postal_code="10001",
                             city="Town", is_test=flags[0], is_staff=flags[1], deceased=flags[2], gone_away=flags[3]))
            for ch in CHANNELS:
                days = draw(st.lists(st.integers(-900, 20), max_size=3, unique=True))
                for d in days:          # a change after the analysis date (d > 0) must be ignored
                    cons.append(dict(customer_id=cid, channel=ch,
                                     status=draw(st.sampled_from(["opt_in", "opt_in", "opt_in", "opt_out"])),
                                     updated_at=AS_OF + pd.Timedelta(days=d)))
            for k in range(draw(st.integers(0, 3))):
                contacts.append(dict(campaign_id=f"K{k}", customer_id=cid,
                                     group=draw(st.sampled_from(["treatment", "treatment", "control"])),
                                     contact_ts=START - pd.Timedelta(days=draw(st.integers(1, 60)), hours=3),
                                     channel=draw(st.sampled_from(CHANNELS))))
            for ev in draw(st.lists(st.sampled_from(["bounced", "complained", "unsubscribed", "opened"]), max_size=2)):
                email_ev.append(dict(campaign_id="K0", customer_id=cid, event=ev,
                                     event_ts=AS_OF - pd.Timedelta(days=draw(st.integers(1, 300)))))
            for ev in draw(st.lists(st.sampled_from(["bounced", "unsubscribed", "delivered"]), max_size=2)):
                sms_ev.append(dict(campaign_id="K0", customer_id=cid, event=ev,
                                   event_ts=AS_OF - pd.Timedelta(days=draw(st.integers(1, 300)))))
        buyer = draw(st.booleans()) or draw(st.booleans())
        base.append(dict(customer_id=cid, in_customers=not erased, buyer=buyer,
                         lifecycle_stage=draw(st.sampled_from(STAGES)) if buyer else "prospect",
                         signup_date=(AS_OF - pd.Timedelta(days=draw(st.integers(1, 400)))).date(),
                         household_id=f"H{draw(st.integers(0, max(1, n // 3)))}",
                         birthday_in_window=draw(st.booleans()), birthday_day=float(draw(st.integers(0, 29))),
                         clv=draw(st.floats(0, 2000)), response_score=draw(st.floats(0, 0.9)),
                         response_decile=draw(st.integers(1, 10)), segment="X",
                         order_value=draw(st.floats(5, 500)), margin_rate=draw(st.floats(0.05, 0.7)),
                         frequency=draw(st.integers(0, 20)) if buyer else np.nan,
                         recency=float(draw(st.integers(0, 700))) if buyer else np.nan,
                         days_since_last=float(draw(st.integers(0, 900))) if buyer else np.nan,
                         last_purchase=(AS_OF - pd.Timedelta(days=draw(st.integers(0, 900)))) if buyer else pd.NaT))
    return rows, cons, contacts, email_ev, sms_ev, pd.DataFrame(base)


@st.composite
def campaign_settings(draw):
    return CampaignSettings(
        as_of=AS_OF, channel=draw(st.sampled_from(["auto", "value", "email", "sms", "mail", "phone"])),
        control_share=draw(st.sampled_from([0.05, 0.1, 0.3, 0.5])),
        global_holdout_share=draw(st.sampled_from([0.0, 0.0, 0.1, 0.3])),
        recent_contact_days=draw(st.sampled_from([0, 7, 14, 30])), max_contacts_30d=draw(st.integers(1, 4)),
        n_per_household=draw(st.sampled_from([{"mail": 1}, {}, {"email": 1, "mail": 2}])),
        budget=draw(st.sampled_from([None, None, None, 1505.0, 1600.0])), fixed_cost=1500.0,
        depth_deciles=draw(st.sampled_from([None, None, 1, 5, 10])),
        lifecycle_stages=tuple(draw(st.lists(st.sampled_from(STAGES), min_size=2, max_size=5, unique=True))),
        include_prospects=draw(st.booleans()), basis=draw(st.sampled_from(["incremental", "response"])),
        offer=draw(st.sampled_from(["auto", "auto", "15% off"])))


def _database(rows, cons, contacts, email_ev, sms_ev):
    con = duckdb.connect()
    cols = dict(customers=["customer_id", "first_name", "last_name", "email", "phone", "street", "postal_code", "city",
                           "is_test", "is_staff", "deceased", "gone_away"],
                consents=["customer_id", "channel", "status", "updated_at"],
                contacts=["campaign_id", "customer_id", "group", "contact_ts", "channel"],
                email_events=["campaign_id", "customer_id", "event", "event_ts"],
                sms_events=["campaign_id", "customer_id", "event", "event_ts"])
    types = dict(customer_id="VARCHAR", first_name="VARCHAR", last_name="VARCHAR", email="VARCHAR", phone="VARCHAR",
                 street="VARCHAR", postal_code="VARCHAR", city="VARCHAR", is_test="BOOLEAN", is_staff="BOOLEAN",
                 deceased="BOOLEAN", gone_away="BOOLEAN", channel="VARCHAR", status="VARCHAR",
                 updated_at="TIMESTAMP", campaign_id="VARCHAR", group="VARCHAR", contact_ts="TIMESTAMP",
                 event="VARCHAR", event_ts="TIMESTAMP")
    for (name, c), data in zip(cols.items(), (rows, cons, contacts, email_ev, sms_ev)):
        con.execute(f"CREATE TABLE {name} (" + ", ".join(f'"{x}" {types[x]}' for x in c) + ")")
        if data:
            df = pd.DataFrame(data)[c]
            con.register("_d", df)
            con.execute(f"INSERT INTO {name} SELECT * FROM _d")
            con.unregister("_d")
    con.execute("CREATE TABLE campaigns (campaign_id VARCHAR, channel VARCHAR, start_date DATE, end_date DATE)")
    con.execute("CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, order_ts TIMESTAMP, net_amount DOUBLE, "
                "cost DOUBLE, status VARCHAR)")
    con.execute("CREATE TABLE responses (campaign_id VARCHAR, customer_id VARCHAR)")
    return con


def _may_receive(cid, channel, rows, cons, contacts, email_ev, sms_ev, s) -> bool:
    """The rules, written independently of dbmkit: may this person get this campaign on this channel?"""
    person = next((r for r in rows if r["customer_id"] == cid), None)
    if person is None:                                     # erased
        return False
    if person["is_test"] or person["is_staff"] or person["deceased"]:
        return False
    field = {"email": "email", "sms": "phone", "phone": "phone", "mail": "street"}[channel]
    if person[field] is None:
        return False
    if channel == "mail" and person["gone_away"]:
        return False
    hist = [c for c in cons if c["customer_id"] == cid and c["channel"] == channel
            and c["updated_at"] < AS_OF + pd.Timedelta(days=1)]
    if not hist or max(hist, key=lambda c: c["updated_at"])["status"] != "opt_in":
        return False
    if channel == "email" and any(e["customer_id"] == cid and e["event"] in ("bounced", "complained", "unsubscribed")
                                  for e in email_ev):
        return False
    if channel == "sms" and any(e["customer_id"] == cid and e["event"] in ("bounced", "unsubscribed") for e in sms_ev):
        return False
    mine = [c["contact_ts"] for c in contacts if c["customer_id"] == cid and c["group"] == "treatment"]
    if s.recent_contact_days > 0 and any(START - pd.Timedelta(days=s.recent_contact_days) <= t < START for t in mine):
        return False
    if sum(START - pd.Timedelta(days=30) <= t < START for t in mine) >= s.max_contacts_30d:
        return False
    return True


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds(), s=campaign_settings())
def test_no_suppressed_person_reaches_the_send_file_and_the_waterfall_reconciles(world, s):
    rows, cons, contacts, email_ev, sms_ev, base = world
    con = _database(rows, cons, contacts, email_ev, sms_ev)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ControlGroupWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            plan = plan_from_tables(con, base, s)
        except ValueError as e:                            # nobody left after suppressions and rules: a valid outcome
            assert "nobody is left" in str(e)
            return
    customers = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["customer_id"])
    out = send_file(plan.contacts, customers, plan.suppressions)
    # 1. only treatment members, each once, and every one of them may be contacted on the channel
    treated = plan.contacts[plan.contacts["group"] == "treatment"]
    assert set(out["customer_id"]) <= set(treated["customer_id"])
    assert out["customer_id"].is_unique and plan.contacts["customer_id"].is_unique
    for cid, ch in zip(out["customer_id"], out["channel"]):
        assert _may_receive(cid, ch, rows, cons, contacts, email_ev, sms_ev, s), (cid, ch)
    # the plan itself never puts a suppressed person in the treatment group (the send file drops nobody)
    for cid, ch in zip(treated["customer_id"], treated["channel"]):
        assert _may_receive(cid, ch, rows, cons, contacts, email_ev, sms_ev, s), (cid, ch)
    assert sum(out.attrs["dropped"][k] for k in out.attrs["dropped"] if k != "control or holdout") == 0
    # only the detail the channel needs is written
    for _, r in out.iterrows():
        if r["channel"] != "email":
            assert r["email"] is None or (isinstance(r["email"], float) and math.isnan(r["email"]))
        if r["channel"] == "email":
            assert r["phone"] is None and r["street"] is None
    # 2. the waterfall reconciles: gross − removed = net; net − rule removals = planned = contacts
    wf = plan.waterfall
    gross = int(wf.loc[wf["step"] == "gross", "remaining"].iloc[0])
    net = int(wf.loc[wf["step"] == "net", "remaining"].iloc[0])
    planned = int(wf.loc[wf["step"] == "planned", "remaining"].iloc[0])
    sup_removed = int(wf.loc[wf["stage"] == "suppression", "removed"].sum())
    rule_removed = int(wf.loc[wf["stage"] == "rule", "removed"].sum())
    assert gross == len(plan.people) and gross - sup_removed == net and net - rule_removed == planned
    assert planned == len(plan.contacts)
    # each person counted once: the removal steps of the people add up to the waterfall
    at = plan.people["removed_at"]
    assert int(at.isin(list(STEPS)).sum()) == sup_removed and int(at.notna().sum()) == gross - planned
    assert set(plan.contacts["group"]) <= {"treatment", "control", "holdout"}
    # budget: the treated contact costs plus the fixed cost stay within it
    if s.budget is not None:
        assert plan.treatment["contact_cost"].sum() + s.fixed_cost <= s.budget + 1e-6


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=300, unique=True),
       share=st.floats(0.01, 0.9), campaign=st.text(min_size=1, max_size=12), seed=st.integers(0, 10 ** 6),
       perm_seed=st.integers(0, 1000))
def test_assign_groups_deterministic_and_order_independent(ids, share, campaign, seed, perm_seed):
    a = assign_groups(ids, share, campaign, seed)
    assert a["customer_id"].tolist() == ids                                      # input order kept
    assert a.equals(assign_groups(ids, share, campaign, seed))                   # re-run: identical
    shuffled = list(np.random.default_rng(perm_seed).permutation(np.array(ids, dtype=object)))
    b = assign_groups(shuffled, share, campaign, seed).set_index("customer_id")["group"]
    assert a.set_index("customer_id")["group"].equals(b.loc[ids])                # whatever the order
    half = ids[: len(ids) // 2]
    if half:                                                                     # whatever else is in the list
        c = assign_groups(half, share, campaign, seed)
        assert c["group"].tolist() == a["group"].tolist()[: len(half)]


@settings(max_examples=25, deadline=None)
@given(share=st.floats(0.02, 0.5), campaign=st.text(min_size=1, max_size=12), seed=st.integers(0, 10 ** 6),
       n=st.integers(2000, 6000))
def test_assign_groups_is_balanced(share, campaign, seed, n):
    g = assign_groups([f"C{i:06d}" for i in range(n)], share, campaign, seed)
    k = int((g["group"] == "control").sum())
    sd = math.sqrt(n * share * (1 - share))
    assert abs(k - n * share) <= 5 * sd                                          # within binomial tolerance
