"""Selection, suppression waterfall, cells, N-per, channel and offer rules, timing, loyalty tiers — on small
hand-made tables (dbmkit.campaign)."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dbmkit.campaign import (
    CampaignSettings,
    apply_capacity,
    apply_cell_limits,
    assign_cells,
    assign_groups,
    campaign_suppressions,
    channel_preferences,
    channel_response_rates,
    channel_waterfall,
    classify_reason,
    contact_timing,
    default_cells,
    expected_channel_profit,
    global_holdout,
    loyalty_tier_table,
    loyalty_tiers,
    n_per,
    offer_economics,
    parse_offer,
    smart_goal,
    value_rule_channels,
    waterfall,
)

AS_OF = pd.Timestamp("2026-06-30")


def test_settings_campaign_id_and_dates():
    s = CampaignSettings(as_of=AS_OF)
    assert s.campaign_id == "NEW-20260707" and s.start == pd.Timestamp("2026-07-07")
    s2 = CampaignSettings(as_of=AS_OF, start_date="2026-09-01", response_window_days=14)
    assert s2.campaign_id == "NEW-20260901" and s2.end == pd.Timestamp("2026-09-15")
    assert CampaignSettings(as_of=AS_OF, channel="mail").channels == ("mail",)
    for bad in (dict(channel="fax"), dict(control_share=0.95), dict(basis="gross"), dict(depth_deciles=11)):
        with pytest.raises(ValueError):
            CampaignSettings(as_of=AS_OF, **bad)


def test_settings_from_config_and_unknown_override():
    from dbmkit.config import load_config
    cfg = load_config({"client": "x", "data": {"synthetic": {"n_people": 100}},
                       "campaign": {"budget": 999, "control_share": 0.2, "channel": "email"},
                       "economics": {"cost_per_contact": {"mail": 1.1}}})
    s = CampaignSettings.from_config(cfg, AS_OF, recent_contact_days=30, budget=None)
    assert (s.budget, s.control_share, s.channel, s.recent_contact_days) == (999, 0.2, "email", 30)
    assert s.costs["mail"] == 1.1 and s.costs["email"] == 0.02
    with pytest.raises(ValueError, match="unknown campaign setting"):
        CampaignSettings.from_config(cfg, AS_OF, budgett=5)


def test_smart_goal_has_five_parts_with_the_numbers():
    s = CampaignSettings(as_of=AS_OF, goal="Win back lapsed buyers", min_detectable_lift=0.02)
    g = smart_goal(s, planned=dict(contacts=1234, expected_response_rate=0.08), history_rate=0.12, breakeven=0.01)
    assert g["criterion"].tolist() == ["Specific", "Measurable", "Achievable", "Relevant", "Time-bound"]
    text = " ".join(g["statement"])
    assert "1,234" in text and "8.0%" in text and "12.0%" in text and "+2.0%" in text and "NEW-20260707" in \
        " ".join(g["measured_by"])


def test_parse_offer():
    assert parse_offer("20% off this weekend")["discount"] == 0.2
    assert parse_offer("catalogue + $10 voucher")["fixed"] == 10.0
    assert parse_offer("立减 30元")["fixed"] == 30.0


# ------------------------------------------------------------------------------------------------ waterfall
def test_waterfall_counts_each_person_once_in_priority_order():
    ids = [f"P{i}" for i in range(10)]
    removals = pd.DataFrame({"customer_id": ["P1", "P1", "P2", "P3", "P3", "P9", "X"],
                             "step": ["staff", "deceased", "staff", "not_opted_in", "recent", "bounced", "staff"]})
    cost = pd.Series(1.0, index=ids)
    t, at = waterfall(ids, removals, order=["deceased", "staff", "recent", "not_opted_in"], cost=cost)
    assert t["step"].tolist() == ["gross", "deceased", "staff", "recent", "not_opted_in", "bounced", "net"]
    assert t["removed"].tolist() == [0, 1, 1, 1, 0, 1, 0]
    assert t["remaining"].iloc[0] - t["removed"].sum() == t["remaining"].iloc[-1] == 6
    assert at["P1"] == "deceased" and at["P3"] == "recent" and at["P9"] == "bounced" and at["P0"] is None
    assert t["remaining_cost"].iloc[-1] == 6.0 and t["cost_removed"].sum() == 4.0


def test_classify_reason_of_the_database_suppression_list():
    assert [classify_reason(r) for r in ["not opted in", "no valid email", "deceased", "test account", "staff",
                                          "gone away", "e-mail bounced", "complained (spam report)", "unsubscribed",
                                          "SMS undeliverable", "something new"]] == \
        ["not_opted_in", "no_contact", "deceased", "test", "staff", "gone_away", "bounced", "complained",
         "unsubscribed", "bounced", "other"]


def _tiny_db():
    con = duckdb.connect()
    con.execute("""CREATE TABLE customers AS SELECT * FROM (VALUES
        ('A', 'a@x.org', '+100', 'St 1', false, false, false, false),
        ('B', NULL,      '+101', 'St 2', false, false, false, false),
        ('C', 'c@x.org', NULL,   'St 3', false, true,  false, false),
        ('D', 'd@x.org', '+103', 'St 4', false, false, true,  true),
        ('E', 'e@x.org', '+104', NULL,   true,  false, false, false))
        t(customer_id, email, phone, street, is_test, is_staff, deceased, gone_away)""")
    con.execute("""CREATE TABLE consents AS SELECT * FROM (VALUES
        ('A', 'email', 'opt_in', TIMESTAMP '2024-01-01'), ('A', 'email', 'opt_out', TIMESTAMP '2025-01-01'),
        ('A', 'sms', 'opt_in', TIMESTAMP '2024-01-01'), ('B', 'email', 'opt_in', TIMESTAMP '2024-01-01'),
        ('B', 'sms', 'opt_out', TIMESTAMP '2024-01-01'), ('B', 'sms', 'opt_in', TIMESTAMP '2025-06-01'),
        ('C', 'email', 'opt_in', TIMESTAMP '2024-01-01'), ('D', 'mail', 'opt_in', TIMESTAMP '2024-01-01'),
        ('E', 'email', 'opt_in', TIMESTAMP '2024-01-01'), ('A', 'mail', 'opt_in', TIMESTAMP '2024-01-01'))
        t(customer_id, channel, status, updated_at)""")
    con.execute("""CREATE TABLE contacts AS SELECT * FROM (VALUES
        ('K1', 'A', 'treatment', TIMESTAMP '2026-06-28 10:00'), ('K2', 'A', 'treatment', TIMESTAMP '2026-06-20 10:00'),
        ('K3', 'B', 'control',   TIMESTAMP '2026-07-01 10:00'), ('K1', 'B', 'treatment', TIMESTAMP '2026-06-01 10:00'))
        t(campaign_id, customer_id, "group", contact_ts)""")
    con.execute("CREATE TABLE email_events AS SELECT 'K1' AS campaign_id, 'C' AS customer_id, 'bounced' AS event, "
                "TIMESTAMP '2026-06-28 10:01' AS event_ts")
    return con


def test_campaign_suppressions_reasons_and_contact_pressure():
    con = _tiny_db()
    sup = campaign_suppressions(con, ("email", "sms", "mail"), AS_OF, pd.Timestamp("2026-07-07"),
                                recent_contact_days=14, max_contacts_30d=2)
    by = sup.groupby(["customer_id", "channel"])["step"].apply(set).to_dict()
    assert by[("A", "*")] == {"recent", "pressure"}            # 2 contacts within 30 days, one in the last 14
    assert "not_opted_in" in by[("A", "email")]                 # latest status wins: opted out in 2025
    assert ("A", "sms") not in by                               # A may get an SMS
    assert ("B", "sms") not in by                               # opted back in later
    assert "no_contact" in by[("B", "email")]
    assert by[("C", "*")] == {"staff"} and "bounced" in by[("C", "email")]
    assert by[("D", "*")] == {"deceased"} and "gone_away" in by[("D", "mail")]
    assert by[("E", "*")] == {"test"}
    assert not (sup["customer_id"] == "B").any() or "recent" not in set(sup.loc[sup["customer_id"] == "B", "step"])


def test_channel_waterfall_falls_back_and_names_the_first_choice():
    sup = pd.DataFrame({"customer_id": ["A", "B", "B", "C"], "channel": ["email", "email", "sms", "*"],
                        "reason": ["not opted in", "no valid email", "not opted in", "staff"],
                        "step": ["not_opted_in", "no_contact", "not_opted_in", "staff"]})
    prefs = pd.Series({"A": ("email", "sms"), "B": ("email", "sms"), "C": ("mail",)})
    chosen, rem = channel_waterfall(prefs, sup)
    assert chosen.to_dict() == {"A": "sms", "B": None, "C": "mail"}      # person-level steps are not channel steps
    assert rem[["customer_id", "channel", "step"]].values.tolist() == [["B", "email", "no_contact"]]


# ------------------------------------------------------------------------------------------------ cells and rules
def test_cells_priority_dedup_and_limits():
    df = pd.DataFrame({"customer_id": list("abcde"), "value": [900, 500, 50, 5, 700],
                       "stage": ["active", "lapsed", "lapsed", "new", "lapsed"], "profit": [5.0, 4, 3, 2, 1]})
    cells = [dict(cell="VIP", where="value > 600", offer="PREVIEW"),
             dict(cell="WIN", where="stage == 'lapsed'", offer="WINBACK", limit=1),
             dict(cell="ALL", where=lambda d: d["value"] > 0, offer="XSELL")]
    out = df.join(assign_cells(df, cells))
    assert out["cell"].tolist() == ["VIP", "WIN", "WIN", "ALL", "VIP"]       # e is lapsed but VIP comes first
    keep = apply_cell_limits(out, cells, "profit")
    assert keep.tolist() == [True, True, False, True, True]                  # WIN keeps its best (b)
    with pytest.raises(ValueError, match="unique"):
        assign_cells(df, [dict(cell="X", where="value > 0"), dict(cell="X", where="value > 1")])
    with pytest.raises(ValueError, match="cell rule"):
        assign_cells(df, [dict(cell="X", where="no_such_column > 1")])


def test_default_cells_follow_the_offer_setting():
    cells = default_cells(CampaignSettings(as_of=AS_OF))
    assert [c["cell"] for c in cells] == ["BDAY", "VIP", "NEW", "WIN", "XSELL"]
    fixed = default_cells(CampaignSettings(as_of=AS_OF, offer="15% off", cell_limits={"VIP": 10}))
    assert {c["offer"] for c in fixed} == {"15% off"} and fixed[1]["limit"] == 10


def test_n_per_household():
    df = pd.DataFrame({"customer_id": list("abcdef"), "household_id": ["h1", "h1", "h1", "h2", None, None],
                       "p": [1.0, 3.0, 2.0, 1.0, 1.0, 1.0],
                       "channel": ["mail", "mail", "email", "mail", "mail", "mail"]})
    assert n_per(df, "household_id", 1, "p").tolist() == [False, True, False, True, True, True]
    only_mail = n_per(df, "household_id", 1, "p", where=df["channel"] == "mail")
    assert only_mail.tolist() == [False, True, True, True, True, True]
    assert n_per(df, "household_id", 2, "p").tolist() == [False, True, True, True, True, True]
    with pytest.raises(KeyError):
        n_per(df, "no_col")


# ------------------------------------------------------------------------------------------ channel, offer, timing
def test_channel_response_rates_from_history():
    h = pd.DataFrame({"channel": ["email", "email", "mail", "mail"], "campaign_id": ["E", "E", "M", "M"],
                      "group": ["treatment", "control", "treatment", "control"], "people": [1000, 100, 500, 100],
                      "buyers": [100, 8, 100, 22], "revenue": [1.0, 0, 2.0, 0], "margin": [0, 0, 0, 0],
                      "tracked_responses": [50, 0, 60, 0]})
    r = channel_response_rates(h, {"email": 0.02, "mail": 0.85}, shrink=0, shrink_control=0,
                               shrink_prior=0).set_index("channel")
    assert r.loc["email", "treated_rate"] == 0.1 and r.loc["mail", "control_rate"] == 0.22
    overall = 200 / 1500
    assert r.loc["mail", "index"] == pytest.approx(0.2 / overall)
    assert r.loc["email", "incremental_share"] == pytest.approx(0.02 / 0.1)
    assert r.loc["mail", "incremental_share"] == 0.0                          # negative lift → 0
    assert r.loc["sms", "index"] == 1.0 and r.loc["sms", "treated"] == 0      # no history
    # with shrinkage the noisy lifts move towards the pooled share
    r2 = channel_response_rates(h, shrink_control=1000, shrink_prior=0).set_index("channel")
    pooled = ((100 - 0.08 * 1000) + (100 - 0.22 * 500)) / 200                # 0.05
    assert r2.loc["sms", "incremental_share"] == pytest.approx(pooled)
    assert 0 < r2.loc["mail", "incremental_share"] < pooled
    # the pooled share leans on the prior (10 %) when the control groups are small: 200 controls vs 2,000 pseudo
    r3 = channel_response_rates(h).set_index("channel")
    assert r3.loc["sms", "incremental_share"] == pytest.approx((200 * 0.05 + 2000 * 0.10) / 2200)
    # no control group anywhere: the prior
    r4 = channel_response_rates(h[h["group"] == "treatment"]).set_index("channel")
    assert (r4["incremental_share"] == 0.10).all()


def test_offer_economics_and_expected_profit():
    df = pd.DataFrame({"order_value": [100.0, 50.0], "margin_rate": [0.4, 0.4], "offer": ["WINBACK", "$5 voucher"],
                       "response_score": [0.2, 0.5]})
    e = offer_economics(df, {"WINBACK": dict(discount=0.2, fixed=0.0)})
    assert e["margin_per_response"].tolist() == [20.0, 15.0]
    assert e["revenue_per_response"].tolist() == [80.0, 50.0]
    df = df.join(e)
    p = expected_channel_profit(df, {"email": 1.0, "mail": 2.0}, {"email": 0.02, "mail": 0.85},
                                incremental={"email": 0.1, "mail": 0.1})
    assert p.loc[0, "email"] == pytest.approx(0.2 * 0.1 * 20 - 0.02)
    assert p.loc[1, "mail"] == pytest.approx(min(0.95, 1.0) * 0.1 * 15 - 0.85)


def test_channel_preferences_rules():
    df = pd.DataFrame({"response_score": [0.5, 0.01, 0.3], "margin_per_response": [200.0, 20.0, 40.0],
                       "clv": [1000.0, 1.0, 50.0]})
    s = CampaignSettings(as_of=AS_OF, basis="response")
    prefs, prof = channel_preferences(df, s, {"email": 1, "sms": 1, "mail": 1, "phone": 1})
    assert [p[0] for p in prefs] == ["email"] * 3        # the same response everywhere: the cheapest wins
    prefs, prof = channel_preferences(df, s, {"email": 1, "sms": 1, "mail": 1, "phone": 1.5})
    assert prefs[0][0] == "phone"                 # 0.75 × 200 − 4.5 beats 0.5 × 200 − 0.02
    assert prof.loc[0, "phone"] == pytest.approx(0.75 * 200 - 4.5)
    assert prefs[1][0] == "email"                 # a weak prospect: the cheapest channel
    fixed, _ = channel_preferences(df, s.replace(channel="sms"), {})
    assert set(fixed) == {("sms",)}
    rule = value_rule_channels(pd.Series([1000.0, 1.0, 50.0]), [(0.34, ("phone", "mail")), (1.0, ("email",))])
    assert rule.tolist() == [("phone", "mail"), ("email",), ("email",)]


def test_capacity_moves_the_least_profitable_to_the_next_channel():
    chosen = pd.Series({"a": "phone", "b": "phone", "c": "phone"})
    prefs = pd.Series({"a": ("phone", "mail"), "b": ("phone", "mail"), "c": ("phone", "email")})
    profit = pd.DataFrame({"phone": [5.0, 1.0, 3.0]}, index=["a", "b", "c"])
    out = apply_capacity(chosen, prefs, {("b", "mail")}, {"phone": 1}, profit)
    assert out.to_dict() == {"a": "phone", "b": None, "c": "email"}


def test_contact_timing_waves():
    s = CampaignSettings(as_of=AS_OF)                                    # start 2026-07-07, weekly waves ×3
    df = pd.DataFrame({"last_purchase": pd.to_datetime(["2026-06-01", "2026-06-20", "2025-01-01", None]),
                       "frequency": [3, 2, 0, 0], "recency": [90.0, 60.0, 0.0, np.nan],
                       "channel": ["email", "mail", "sms", "email"], "cell": ["X", "X", "X", "BDAY"],
                       "birthday_day": [np.nan, np.nan, np.nan, 16.0]})
    t = contact_timing(df, s)
    # 30-day gap → next purchase 2026-07-01 (overdue) → wave 0; 2026-06-20 + 30 = 2026-07-20 → 3 days before → wave 1
    assert t["wave"].tolist() == [0, 1, 0, 1]
    assert t["contact_ts"].iloc[0] == pd.Timestamp("2026-07-07 10:00")
    assert t["contact_ts"].iloc[1] == pd.Timestamp("2026-07-14 08:00")
    assert (t["contact_ts"] >= s.start).all()


def test_loyalty_tiers():
    v = pd.Series(np.arange(1, 201, dtype=float))
    tiers = loyalty_tiers(v)
    assert tiers.value_counts().to_dict() == {"member": 140, "silver": 40, "gold": 16, "platinum": 4}
    assert set(tiers[v > 196]) == {"platinum"}
    mixed = pd.Series([0.0] * 60 + [-1.0] * 30 + [5.0] * 10)                 # value ≤ 0 never earns a tier
    assert loyalty_tiers(mixed).value_counts().to_dict() == {"member": 90, "gold": 8, "platinum": 2}
    t = loyalty_tier_table(v, tiers)
    assert t["tier"].tolist() == ["platinum", "gold", "silver", "member"] and t["min_value"].iloc[0] == 197


# ------------------------------------------------------------------------------------------------ groups
def test_assign_groups_is_deterministic_order_independent_and_keyed():
    ids = [f"P{i:05d}" for i in range(5000)]
    a = assign_groups(ids, 0.1, "NEW-20260707", 42).set_index("customer_id")["group"]
    b = assign_groups(ids[::-1], 0.1, "NEW-20260707", 42).set_index("customer_id")["group"]
    assert a.equals(b.loc[a.index])
    sub = assign_groups(ids[:100], 0.1, "NEW-20260707", 42).set_index("customer_id")["group"]
    assert sub.equals(a.iloc[:100])                       # a person's group does not depend on the others
    other = assign_groups(ids, 0.1, "NEW-20260901", 42).set_index("customer_id")["group"]
    assert (other != a).mean() > 0.1                      # another campaign draws another control group
    assert (assign_groups(ids, 0.1, "NEW-20260707", 7)["group"].to_numpy() != a.to_numpy()).any()
    with pytest.raises(ValueError, match="control_share"):
        assign_groups(ids, 0, "X", 1)
    with pytest.raises(ValueError, match="missing"):
        assign_groups(["a", None], 0.1, "X", 1)


def test_global_holdout_is_the_same_for_every_campaign():
    ids = [f"P{i}" for i in range(3000)]
    h = global_holdout(ids, 0.05, 42)
    assert 0.035 < h.mean() < 0.065
    assert h.tolist() == global_holdout(ids, 0.05, 42).tolist()
    assert not global_holdout(ids, 0.0, 42).any()
