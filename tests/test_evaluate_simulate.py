"""simulate_campaign: consistent with the synthetic truth, deterministic, and honest about bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dbmkit.datasets import simulate_campaign
from dbmkit.datasets.simulate import CHANNEL_PI, DND_LOSS, offer_discount
from dbmkit.datasets.truth import person_map


@pytest.fixture(scope="module")
def pm(small_ws):
    return person_map(small_ws)


@pytest.fixture(scope="module")
def everyone(small_ws):
    ids = small_ws.sql("SELECT customer_id FROM customers ORDER BY customer_id")["customer_id"]
    return pd.DataFrame({"campaign_id": "SIM", "customer_id": ids, "channel": "email", "cell": "E1",
                         "offer": "15% off", "contact_ts": pd.Timestamp("2026-07-08 09:00")})


def test_person_map_follows_the_source_records(small_ws, pm):
    recs = small_ws.sql("SELECT record_id, customer_id FROM customer_records")
    truth = small_ws.truth["records"].set_index("record_id")["person_id"]
    rec = recs.assign(person_id=truth.reindex(recs["record_id"]).to_numpy()).dropna()
    # every customer with a true person maps to the person most of its records belong to
    majority = rec.groupby("customer_id")["person_id"].agg(lambda s: s.value_counts().index[0])
    assert (pm.reindex(majority.index) == majority).all()
    assert pm.index.is_unique


def test_control_responses_are_the_organic_future(small_ws, everyone, pm):
    sim = simulate_campaign(everyone.assign(group="control"), small_ws, window_days=30, seed=3, person_of=pm)
    r = sim.results
    fo = small_ws.truth["future_orders"]
    fo = fo[(fo["origin"] == "organic") & (fo["status"] == "completed")
            & (fo["order_ts"] >= "2026-07-08 09:00") & (fo["order_ts"] < "2026-08-07 09:00")]
    buyers = set(pm[pm.isin(set(fo["customer_id"]))].index)
    assert set(r.loc[r["responded"] == 1, "customer_id"]) == buyers
    assert (sim.orders["origin"] == "organic").all()
    assert sim.email_events.empty and sim.unsubscribes.empty          # the control group gets nothing
    assert (r["p_control"] == r["p_treated"]).sum() < len(r)          # the truth still says what contact would do
    # the realised rate agrees with the truth's probability
    se = np.sqrt(r["p_control"].mean() * (1 - r["p_control"].mean()) / len(r))
    assert abs(r["responded"].mean() - r["p_control"].mean()) < 4 * se


def test_treated_realise_the_true_probabilities_by_type(small_ws, everyone, pm):
    rows = []
    for s in range(4):
        sim = simulate_campaign(everyone.assign(group="treatment", channel="phone"), small_ws, seed=s, person_of=pm)
        rows.append(sim.truth.assign(responded=sim.results["responded"].to_numpy()))
    d = pd.concat(rows)
    g = d.groupby("uplift_type")[["responded", "p_control", "p_treated"]].mean()
    n = d.groupby("uplift_type").size()
    for t in ("persuadable", "sure_thing", "lost_cause", "do_not_disturb"):
        se = np.sqrt(g.loc[t, "p_treated"] * (1 - g.loc[t, "p_treated"]) / n[t])
        assert abs(g.loc[t, "responded"] - g.loc[t, "p_treated"]) < 4.5 * se + 0.005, t
    # persuadables gain, do-not-disturbs lose 60 % of their organic probability, the others are unchanged
    assert g.loc["persuadable", "p_treated"] > g.loc["persuadable", "p_control"] + 0.05
    assert g.loc["do_not_disturb", "p_treated"] == pytest.approx(g.loc["do_not_disturb", "p_control"] * (1 - DND_LOSS))
    assert g.loc["sure_thing", "p_treated"] == pytest.approx(g.loc["sure_thing", "p_control"])
    # incremental orders exist only for treated persuadables
    assert set(d.loc[d["true_uplift"] > 0, "uplift_type"]) == {"persuadable"}


def test_uplift_scales_with_the_channel(small_ws, everyone, pm):
    e = simulate_campaign(everyone.assign(group="treatment"), small_ws, seed=1, person_of=pm)
    p = simulate_campaign(everyone.assign(group="treatment", channel="phone"), small_ws, seed=1, person_of=pm)
    pers = e.truth["uplift_type"] == "persuadable"
    ratio = (p.truth.loc[pers, "true_uplift"] / e.truth.loc[pers, "true_uplift"]).dropna()
    ratio = ratio[np.isfinite(ratio) & (e.truth.loc[pers, "true_uplift"] > 1e-6)]
    assert ratio.median() > CHANNEL_PI["phone"] / CHANNEL_PI["email"] * 0.7


def test_deterministic_and_independent_of_row_order(small_ws, everyone, pm):
    rng = np.random.default_rng(0)
    c = everyone.assign(group=np.where(rng.random(len(everyone)) < 0.2, "control", "treatment"))
    a = simulate_campaign(c, small_ws, seed=7, person_of=pm)
    b = simulate_campaign(c.sample(frac=1, random_state=1), small_ws, seed=7, person_of=pm)
    pd.testing.assert_frame_equal(a.results, b.results)
    pd.testing.assert_frame_equal(a.email_events, b.email_events)
    other = simulate_campaign(c, small_ws, seed=8, person_of=pm)
    assert not a.results["responded"].equals(other.results["responded"])


def test_events_and_unsubscribes_of_the_treated(small_ws, everyone, pm):
    rng = np.random.default_rng(5)
    c = everyone.assign(group=np.where(rng.random(len(everyone)) < 0.5, "control", "treatment"))
    sim = simulate_campaign(c, small_ws, seed=2, person_of=pm)
    ev = sim.email_events
    treated = set(c.loc[c["group"] == "treatment", "customer_id"])
    assert set(ev["customer_id"]) <= treated
    sent = ev[ev["event"] == "sent"]
    assert sent["customer_id"].nunique() == len(treated) == len(sent)
    per = ev.groupby("customer_id")["event"].agg(set)
    assert per.apply(lambda s: "opened" in s or "clicked" not in s).all()     # no click without an open
    assert per.apply(lambda s: not ("bounced" in s and "delivered" in s)).all()
    assert set(sim.unsubscribes["event"]) <= {"unsubscribed", "complained"}
    assert set(sim.unsubscribes["customer_id"]) <= treated
    # incremental orders carry the offer: 15 % off, so no incremental order is above its drawn gross amount
    inc = sim.orders[sim.orders["origin"] == "incremental"]
    assert len(inc) > 0 and (inc["order_ts"] >= pd.Timestamp("2026-07-08 09:00")).all()
    assert (inc["order_ts"] < pd.Timestamp("2026-08-07 09:00")).all()


def test_offer_parsing():
    assert offer_discount("We miss you: 20 % off") == (0.2, 0.0)
    assert offer_discount("Birthday treat: a $15 voucher") == (0.0, 15.0)
    assert offer_discount("生日关怀：15元礼券") == (0.0, 15.0)
    assert offer_discount("new arrivals") == (0.0, 0.0)


def test_bad_input(small_ws, everyone, pm):
    with pytest.raises(ValueError, match="after the export date"):
        simulate_campaign(everyone.assign(group="treatment", contact_ts=pd.Timestamp("2026-05-01")), small_ws,
                          person_of=pm)
    with pytest.raises(ValueError, match="treatment, control or holdout"):
        simulate_campaign(everyone.assign(group="test"), small_ws, person_of=pm)
    with pytest.raises(KeyError, match="group"):
        simulate_campaign(everyone, small_ws, person_of=pm)
    with pytest.raises(ValueError, match="no incremental probability for channel"):
        simulate_campaign(everyone.assign(group="treatment", channel="fax"), small_ws, person_of=pm)
    with pytest.raises(ValueError, match="same customer twice"):
        simulate_campaign(pd.concat([everyone, everyone]).assign(group="treatment"), small_ws, person_of=pm)


def test_works_on_a_generated_world(small_world):
    ids = small_world.tables["customers"]["customer_id"].head(300)
    c = pd.DataFrame({"campaign_id": "W", "customer_id": ids, "group": "treatment", "channel": "sms",
                      "contact_ts": pd.Timestamp("2026-07-15 10:00")})
    sim = simulate_campaign(c, small_world, seed=0)
    assert len(sim.results) == 300
    assert (sim.truth["person_id"] == sim.results["customer_id"]).all()
    assert not sim.sms_events.empty
