"""WeChat (微信服务号/小程序订阅消息) and app push (App推送) as contact channels (issue 16), safely.

* cleaning: an openid / push token is trimmed; empty, whitespace and obviously invalid values are no contact point,
  with the reason;
* consent per channel exactly as for e-mail and SMS (hypothesis, against an independent reading of the rules): no
  record, uncertain, withdrawn, erased, deceased, test/staff or a suppressed openid / token (whoever carries it) →
  never in the send file; every exported WeChat row carries a valid, consented openid and nothing else personal but
  the first name; every app-push row a token;
* the waterfall counts of a hand-made client, computed by hand;
* masking hides openids and tokens in tables and text;
* clients without the app channels plan exactly as before (settings, the English synthetic world unchanged), and a
  small Chinese synthetic client plans with WeChat and app push.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbmkit import campaign as C
from dbmkit import clean, privacy
from dbmkit.campaign.export import send_file
from dbmkit.campaign.selection import campaign_suppressions
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config
from dbmkit.database import consent_summary, latest_consents, suppressed_contact_points

APP = ("wechat", "app_push")
FIELD = {"wechat": "wechat_openid", "app_push": "push_token"}
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _openid(k: int) -> str:
    rng = np.random.default_rng(k)
    return "o" + "A7b" + "".join(rng.choice(list(B64), 24))


def _token(k: int) -> str:
    return hashlib.sha256(str(k).encode()).hexdigest()          # an APNs-shaped token: 64 hex digits


# ------------------------------------------------------------------------------------------------ cleaning
def test_openids_and_tokens_are_trimmed_and_invalid_ones_are_no_contact_point_with_a_reason():
    raw = pd.Series([" oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\t", "", "   ", "\u3000", None, "ann@x.com", "+86 139 1234 5678",
                     "未绑定", "oUpF8u", "oUpF8u MuAJO_M2pxb1Q9zNjWeS6o", "=cmd|'/C_calc'!A0x" * 2])
    assert clean.standardise_openids(raw).tolist() == ["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"] + [None] * 10
    why = clean.identifier_problems(raw, "openid").tolist()
    assert why[:5] == [None] * 5                                   # valid, or simply missing: no problem to report
    assert why[5] == "an e-mail address, not a WeChat openid"
    assert why[6] == "a phone number, not a WeChat openid"
    assert why[7] == "a placeholder ('未绑定'), not a WeChat openid"
    assert why[8] == "too short for a WeChat openid (6 characters, at least 16)"
    assert why[9] == "contains spaces: not a WeChat openid"
    assert why[10].startswith("not a WeChat openid (only letters, digits, - and _")
    tok = pd.Series(["<740F4707 BEBCF74F 9B7C25D4 8E335894 5F6AA01D A5DDB387 462C7EAF 61BB78AD>",
                     "dQw4w9WgXcQ:APA91bH" + "x" * 120, "1a0018970a8e4f7b9c0", "(null)", "-1+1" * 5])
    assert clean.standardise_push_tokens(tok).tolist() == [
        "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad", "dQw4w9WgXcQ:APA91bH" + "x" * 120,
        "1a0018970a8e4f7b9c0", None, None]
    out = clean.clean_customer_records(pd.DataFrame({"customer_id": ["1", "2", "3"],
                                                     "wechat_openid": ["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "bad", " "]}))
    assert out["wechat_openid_valid"].tolist() == [True, False, None]
    assert out["_wechat_openid_problem"].notna().tolist() == [False, True, False]


@given(st.text(alphabet=B64 + " @+=\t.:", max_size=70))
def test_a_kept_value_is_always_a_valid_identifier_that_cannot_start_a_formula(v):
    for std, kind in ((clean.standardise_openids, "openid"), (clean.standardise_push_tokens, "push token")):
        got = std(pd.Series([v]))[0]
        problem = clean.identifier_problems(pd.Series([v]), kind)[0]
        assert (got is None) == (problem is not None or not v.strip())
        if got is not None:
            assert got[0].isalnum() and " " not in got and "@" not in got
            assert 16 <= len(got) <= (64 if kind == "openid" else 512)


# ------------------------------------------------------------------------------------------------ masking
@given(st.integers(0, 10**9), st.sampled_from(["wechat_openid", "openid", "push_token", "device_token", "微信OpenID",
                                               "推送令牌", "registration_id"]))
def test_masking_hides_openids_and_tokens_in_tables_and_text(k, col):
    oid, tok = _openid(k), _token(k)
    df = pd.DataFrame({col: [oid, tok, None], "note": [f"bound {oid} on 2024-01-05", "x", None],
                       "wechat_openid_valid": [True, True, None]})
    shown = privacy.mask_people(df)
    text = shown.astype(str).to_string()
    assert oid not in text and tok not in text
    assert shown["wechat_openid_valid"].tolist() == [True, True, None]          # a flag is not an identifier
    assert privacy.find_pii(f"openid {oid}.") == [oid]
    assert oid not in privacy.mask_text(pd.Series([f"a row with {oid} in it"]))[0]
    assert privacy.mask_identifier(pd.Series([oid]))[0] == oid[:3] + "***" + oid[-2:]


def test_words_and_hashes_are_not_taken_for_openids():
    for text in ("operating_expenses_per_custo", "o" + "a" * 27, _token(3), "oUpF8uMuAJO_M2pxb1Q9zNjWeS6oX",
                 "the salted token 3f2a9c0b1d4e5f60718293a4"):
        assert privacy.find_pii(text) == [], text


# ------------------------------------------------------------------------------------------------ the rules, fast
STATUSES = ["opt_in", "opt_out", None]          # None: no consent record


@st.composite
def app_people(draw):
    """People with openids / tokens (some shared between two people, some invalid), consent histories per app
    channel (with ties, uncertain evidence) and flags."""
    n = draw(st.integers(1, 12))
    pool_o = [_openid(i) for i in range(4)] + ["   ", None, "ann@x.com"]
    pool_t = [_token(i) for i in range(4)] + ["", None, "(null)"]
    people = []
    for i in range(n):
        people.append(dict(customer_id=f"P{i}", wechat_openid=draw(st.sampled_from(pool_o)),
                           push_token=draw(st.sampled_from(pool_t)), deceased=draw(st.booleans()) and i % 4 == 0,
                           is_test=draw(st.booleans()) and i % 5 == 0, is_staff=False, gone_away=False,
                           email=None, phone=None, street=None, last_name="王", first_name="伟", postal_code=None))
    ev = []
    for p in people:
        for ch in APP:
            for _ in range(draw(st.integers(0, 3))):
                ev.append(dict(customer_id=p["customer_id"], channel=ch,
                               status=draw(st.sampled_from(["opt_in", "opt_out"])),
                               updated_at=pd.Timestamp("2025-01-01") + pd.Timedelta(days=draw(st.integers(0, 3))),
                               uncertain=draw(st.integers(0, 5)) == 0))
    return people, ev


def _db(people, ev):
    con = duckdb.connect()
    cust = pd.DataFrame(people)
    con.register("_c", cust)
    con.execute("CREATE TABLE customers AS SELECT * FROM _c")
    e = pd.DataFrame(ev, columns=["customer_id", "channel", "status", "updated_at", "uncertain"])
    sure, unsure = e[~e["uncertain"].astype(bool)], e[e["uncertain"].astype(bool)]
    con.register("_s", sure.drop(columns="uncertain"))
    con.execute("CREATE TABLE consents AS SELECT customer_id, channel, status, CAST(updated_at AS TIMESTAMP) AS "
                "updated_at FROM _s")
    con.register("_u", unsure.assign(status_read=unsure["status"], problem="status: 'maybe' is not a known word",
                                     source="prefs.csv", source_row=1, raw_value="maybe").drop(columns="status"))
    con.execute("CREATE TABLE consent_uncertain AS SELECT customer_id, channel, CAST(updated_at AS TIMESTAMP) AS "
                "updated_at, status_read, problem, source, source_row, raw_value FROM _u")
    return con


def _oracle(people, ev) -> dict:
    """Who may be sent each app channel, read from the rules again: the latest evidence (an opt-out or uncertain
    evidence wins a tie) is a certain opt-in, the person carries a valid contact point, is not deceased or a test
    account, and nobody whose latest evidence is an opt-out (or who died) carries the same contact point."""
    latest = {}
    for e in ev:
        key = (e["updated_at"], e["uncertain"] or e["status"] == "opt_out", e["uncertain"])
        k = (e["customer_id"], e["channel"])
        if k not in latest or key > latest[k][0]:
            latest[k] = (key, "opt_out" if e["uncertain"] else e["status"], e["uncertain"])
    std = {"wechat": clean.standardise_openids, "app_push": clean.standardise_push_tokens}
    ok = {}
    for ch in APP:
        point = {p["customer_id"]: std[ch](pd.Series([p[FIELD[ch]]]))[0] for p in people}
        blocked = {point[p["customer_id"]] for p in people if point[p["customer_id"]] is not None and (
            p["deceased"] or latest.get((p["customer_id"], ch), (None, None))[1] == "opt_out")}
        ok[ch] = {p["customer_id"] for p in people
                  if latest.get((p["customer_id"], ch), (None, None, None))[1:] == ("opt_in", False)
                  and point[p["customer_id"]] is not None and not p["deceased"] and not p["is_test"]
                  and point[p["customer_id"]] not in blocked}
    return ok


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app_people())
def test_no_opted_out_uncertain_unconsented_or_suppressed_app_contact_reaches_the_send_file(case):
    people, ev = case
    con = _db(people, ev)
    sup = campaign_suppressions(con, APP)
    points = suppressed_contact_points(con, APP)
    cust = pd.DataFrame(people)
    # everyone planned on both app channels (as a stale contact list would be): the export's own checks decide
    contacts = cust[["customer_id"]].merge(pd.DataFrame({"channel": list(APP)}), how="cross").assign(
        campaign_id="NEW-1", cell="ALL", group="treatment", offer="WELCOME", contact_ts=pd.Timestamp("2026-07-07"))
    # the send file has one row per person and channel here (a real plan gives a person one channel)
    sent = send_file(contacts, cust, sup, contact_points=points)
    ok = _oracle(people, ev)
    for ch in APP:
        got = set(sent.loc[sent["channel"] == ch, "customer_id"])
        assert got == ok[ch], (ch, sorted(got), sorted(ok[ch]))
    for r in sent.itertuples():
        if r.channel == "wechat":                      # a valid openid, and no other contact detail
            assert clean.standardise_openids(pd.Series([r.wechat_openid]))[0] == r.wechat_openid
            assert "push_token" not in sent.columns or r.push_token is None
        else:
            assert clean.standardise_push_tokens(pd.Series([r.push_token]))[0] is not None
            assert "wechat_openid" not in sent.columns or r.wechat_openid is None
        assert r.email is None and r.phone is None and r.street is None and r.last_name is None
    lat = latest_consents(con)
    for r in sent.itertuples():                        # and the database agrees: a certain opt-in is the latest
        row = lat[(lat["customer_id"] == r.customer_id) & (lat["channel"] == r.channel)]
        assert row["status"].tolist() == ["opt_in"] and not row["uncertain"].any()


def test_a_core_channel_row_never_carries_an_openid_or_token():
    cust = pd.DataFrame({"customer_id": ["a"], "first_name": ["Ann"], "email": ["a@x.org"],
                         "wechat_openid": [_openid(1)], "push_token": [_token(1)]})
    contacts = pd.DataFrame({"campaign_id": "N", "customer_id": ["a"], "cell": "X", "channel": ["email"],
                             "group": "treatment", "offer": "WELCOME", "contact_ts": pd.Timestamp("2026-07-07")})
    sent = send_file(contacts, cust, pd.DataFrame(columns=["customer_id", "channel"]))
    assert sent["email"].tolist() == ["a@x.org"]
    assert "wechat_openid" not in sent.columns and "push_token" not in sent.columns     # the English send file


def test_a_channel_without_contact_rules_is_never_exported():
    cust = pd.DataFrame({"customer_id": ["a"], "first_name": ["Ann"], "email": ["a@x.org"]})
    contacts = pd.DataFrame({"campaign_id": "N", "customer_id": ["a"], "cell": "X", "channel": ["fax"],
                             "group": "treatment", "offer": "WELCOME", "contact_ts": pd.Timestamp("2026-07-07")})
    sent = send_file(contacts, cust, pd.DataFrame(columns=["customer_id", "channel"]))
    assert len(sent) == 0 and sent.attrs["dropped"]["channel without contact rules"] == 1


# ------------------------------------------------------------------------------------------------ settings
def test_clients_without_app_costs_plan_the_core_four_as_before():
    s = C.CampaignSettings.from_config(load_config({"client": "us", "data": {"synthetic": {"n_people": 500}}}),
                                       "2026-06-30")
    assert s.channels == ("email", "sms", "mail", "phone") and s.value_rule == C.settings.DEFAULT_VALUE_RULE
    assert "wechat" not in s.costs and "app_push" not in s.costs
    cny = C.CampaignSettings.from_config(load_config({"client": "cn", "currency": "CNY",
                                                      "data": {"synthetic": {"n_people": 500, "locale": "zh"}}}),
                                         "2026-06-30")
    assert cny.channels == ("email", "sms", "mail", "phone", "wechat", "app_push")
    assert (cny.costs["wechat"], cny.costs["app_push"]) == (0.01, 0.005)
    assert cny.value_rule == C.settings.APP_VALUE_RULE
    with pytest.raises(ValueError, match="missing \\['wechat'\\]"):
        C.CampaignSettings(as_of="2026-06-30", channel="wechat")
    with pytest.raises(ValueError, match="value rule names"):
        C.CampaignSettings(as_of="2026-06-30", channel="value", value_rule=C.settings.APP_VALUE_RULE)
    assert C.CampaignSettings(as_of="2026-06-30", channel="app_push",
                              costs={**C.settings.DEFAULT_COSTS, "app_push": 0.01}).channels == ("app_push",)


def test_the_english_synthetic_world_is_unchanged():
    """The app contact points are drawn for zh only, from their own random stream: the English world, its raw
    exports and clean tables, is byte for byte what it was before (digest taken before the change)."""
    from dbmkit.datasets import synthetic
    w = synthetic(n_people=300, seed=1, locale="en")
    h = hashlib.sha256()
    for group in (w.raw, w.tables):
        for name in sorted(group):
            h.update(name.encode())
            h.update(group[name].to_csv(index=False).encode("utf-8"))
    assert h.hexdigest()[:16] == "62c035291ae22ea8"
    assert "app_contacts" not in w.truth
    assert not any("openid" in str(c).lower() or "push" in str(c).lower() for df in w.raw.values() for c in df.columns)


# ------------------------------------------------------------------------------------------------ a hand-made client
# ten people who all bought; the WeChat plan must remove each for the reason written next to them
PEOPLE = [  # id, openid (as the file writes it), wechat consent rows (status, date), email, token, push rows
    ("C01", _openid(1), [("同意", "2025-03-01")], "c01@shop.cn", _token(1), [("同意", "2025-03-01")]),  # planned
    ("C02", _openid(2), [("同意", "2025-03-01")], "c02@shop.cn", _token(2), [("退订", "2025-03-01")]),  # planned
    ("C03", _openid(3), [], "c03@shop.cn", "", []),                                     # no record → not opted in
    ("C04", _openid(4), [("同意", "2025-01-01"), ("退订", "2025-06-01")], "c04@shop.cn", "", []),  # withdrawn
    ("C05", _openid(5), [("也许", "2025-03-01")], "c05@shop.cn", "", []),                # uncertain → not opted in
    ("C06", "   ", [("同意", "2025-03-01")], "c06@shop.cn", "", []),                     # no openid → no contact
    ("C07", "c07@shop.cn", [("同意", "2025-03-01")], "c07@shop.cn", "", []),             # invalid → no contact
    ("C08", _openid(4), [("同意", "2025-03-01")], "c08@shop.cn", "", []),                # C04's openid → point
    ("C09", _openid(9), [("同意", "2025-03-01")], "test9@shop.cn", "", []),              # a test account
    ("C10", _openid(10), [("同意", "2025-03-01"), ("退订", "2025-03-01")], "c10@shop.cn", _token(1),  # tie: out
     [("同意", "2025-03-01")]),                                                           # C01's token: allowed
]
EVERYONE = dict(budget=None, depth_deciles=10, n_per_household={}, control_share=0.05,
                lifecycle_stages=("new", "active", "at_risk", "lapsed", "lost"), recommend=False)


def _hand_client(d: Path, ledger: bool = False) -> Workspace:
    cust = pd.DataFrame({"id": [p[0] for p in PEOPLE], "name": [f"王{p[0]}" for p in PEOPLE],
                         "email": [p[3] for p in PEOPLE], "openid": [p[1] for p in PEOPLE],
                         "token": [p[4] for p in PEOPLE], "signup": "2024-06-01"})
    cust.to_csv(d / "members.csv", index=False)
    ids = cust["id"].tolist()
    pd.DataFrame({"order": [f"O{i}" for i in range(3 * len(ids))], "cust": ids * 3,
                  "date": ["2025-02-01"] * len(ids) + ["2025-05-01"] * len(ids) + ["2025-11-01"] * len(ids),
                  "amount": [80.0 + i % 5 for i in range(3 * len(ids))]}).to_csv(d / "orders.csv", index=False)
    rows = [(p[0], "微信", s, t) for p in PEOPLE for s, t in p[2]] + [(p[0], "App推送", s, t) for p in PEOPLE
                                                                    for s, t in p[5]]
    pd.DataFrame(rows, columns=["会员编号", "渠道", "状态", "时间"]).to_csv(d / "app_consents.csv", index=False)
    cfg = {"client": "hand", "workdir": str(d / "work"), "analysis_date": "2025-12-31", "base_dir": str(d),
           "language": "zh", "currency": "CNY",
           **({"privacy": {"erasure_ledger": str(d / "hand.erasures.json")}} if ledger else {}),
           "data": {"default_phone_region": "CN", "sources": {
               "customers": [{"path": "members.csv", "columns": {"customer_id": "id", "full_name": "name",
                                                                 "email": "email", "wechat_openid": "openid",
                                                                 "push_token": "token", "signup_date": "signup"}}],
               "orders": [{"path": "orders.csv", "columns": {"order_id": "order", "customer_id": "cust",
                                                             "order_ts": "date", "net_amount": "amount"}}],
               "consents": [{"path": "app_consents.csv", "columns": {"customer_id": "会员编号", "channel": "渠道",
                                                                     "status": "状态", "updated_at": "时间"}}]}}}
    return Workspace(load_config(cfg)).ensure_built()


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    return _hand_client(tmp_path_factory.mktemp("app_hand"))


def _steps(plan) -> dict:
    """The waterfall as {step: people removed} for the steps that remove someone, and the totals (gross, net,
    planned) as the people remaining."""
    w = plan.waterfall
    out = {s: int(r) for s, r, st_ in zip(w["step"], w["remaining"], w["stage"]) if st_ == "total"}
    out.update({s: int(n) for s, n, st_ in zip(w["step"], w["removed"], w["stage"]) if st_ != "total" and n})
    return out


def test_the_wechat_waterfall_counts_each_person_once_for_the_reason_computed_by_hand(hand):
    ws = hand
    issues = ws.sql("SELECT source_row, problem, raw_value FROM value_issues WHERE column_name = 'wechat_openid'")
    assert issues["source_row"].tolist() == [8]                # C07 (line 8 of the file: the header is line 1)
    assert issues["problem"].str.startswith("an e-mail address, not a WeChat openid").all()
    assert "c07@shop.cn" not in issues.to_string()             # the raw value is masked
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = C.plan_campaign(ws, channel="wechat", **EVERYONE)
    # the test account (C09) buys into test_orders, so it is no customer of the gross selection
    assert _steps(plan) == {"gross": 9, "not_opted_in": 4, "no_contact": 2, "contact_point": 1, "net": 2,
                            "planned": 2}
    planned = set(plan.contacts["customer_id"])
    names = ws.sql("SELECT customer_id, first_name, last_name, email FROM customers")
    who = dict(zip(names["email"], names["customer_id"]))
    assert planned == {who["c01@shop.cn"], who["c02@shop.cn"]}
    out = Path(ws.workdir) / "out"
    os.environ["DBMKIT_REPORT_OUT"] = str(out)
    try:
        sent = C.export_campaign_list(ws, plan, formats=("csv",))
    finally:
        os.environ.pop("DBMKIT_REPORT_OUT", None)
    treat = set(plan.contacts.loc[plan.contacts["group"] == "treatment", "customer_id"])
    assert set(sent["customer_id"]) == treat and set(sent["channel"]) <= {"wechat"}
    assert sent["wechat_openid"].tolist() == [_openid(1) if who["c01@shop.cn"] == c else _openid(2)
                                              for c in sent["customer_id"]]
    assert sent["email"].isna().all() and "push_token" not in sent.columns
    csv = (out / "campaign_list.csv").read_text(encoding="utf-8")
    assert "@" not in csv                                      # no e-mail in a WeChat send file


def test_the_app_push_waterfall_and_a_shared_token(hand):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = C.plan_campaign(hand, channel="app_push", **EVERYONE)
    # C01 opted in (planned); C10 opted in on C01's token (nobody who opted out carries it: planned);
    # C02 opted out; C03–C08 have no token and no push consent record (not_opted_in comes first); C09: a test account
    assert _steps(plan) == {"gross": 9, "not_opted_in": 7, "net": 2, "planned": 2}


def test_consent_summary_lists_the_app_channels_of_a_client_that_uses_them(hand):
    s = consent_summary(hand).set_index("channel")
    assert list(s.index) == ["email", "sms", "phone", "mail", "wechat", "app_push"]
    # evidence for everyone but C03; opted in C01 C02 C06 C07 C08 C09; out C04 (withdrawn), C05 (uncertain), C10 (tie)
    assert s.loc["wechat", ["with_record", "opted_in", "opted_out", "uncertain"]].tolist() == [9, 6, 3, 1]
    assert s.loc["app_push", ["with_record", "opted_in", "opted_out"]].tolist() == [3, 2, 1]


def test_an_opted_out_openid_suppresses_whoever_carries_it_and_an_erased_person_is_never_exported(tmp_path):
    from dbmkit.database import erase_identifier, suppression_list
    ws = _hand_client(tmp_path, ledger=True)
    ids = ws.sql("SELECT customer_id, email FROM customers")
    by_mail = dict(zip(ids["email"], ids["customer_id"]))
    sup = suppression_list(ws, "wechat")
    assert set(sup.loc[sup["customer_id"] == by_mail["c08@shop.cn"], "reason"]) == {
        "WeChat openid on the suppression list"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = C.plan_campaign(ws, channel="wechat", **dict(EVERYONE, control_share=0.01))
    c01 = by_mail["c01@shop.cn"]
    erase_identifier(ws, customer_id=c01, reason="customer request")
    os.environ["DBMKIT_REPORT_OUT"] = str(tmp_path / "out")
    try:
        sent = C.export_campaign_list(ws, plan, formats=("csv",))      # the plan was made before the erasure
    finally:
        os.environ.pop("DBMKIT_REPORT_OUT", None)
    assert c01 not in set(sent["customer_id"]) and _openid(1) not in set(sent["wechat_openid"].dropna())
    got = ws.sql("SELECT customer_id, wechat_openid, push_token FROM customers")
    assert c01 not in set(got["customer_id"]) and _openid(1) not in set(got["wechat_openid"].dropna())


# ------------------------------------------------------------------------------------------------ the zh demo
@pytest.fixture(scope="module")
def zh_small(tmp_path_factory):
    d = tmp_path_factory.mktemp("zh_app")
    cfg = load_config({"client": "xiaodian", "language": "zh", "currency": "CNY", "workdir": str(d / "work"),
                       "data": {"synthetic": {"n_people": 1500, "seed": 8, "locale": "zh"}},
                       "campaign": {"budget": 20000}})
    return Workspace(cfg).ensure_built()


@pytest.mark.slow
def test_the_small_chinese_client_plans_with_wechat_and_app_push(zh_small):
    ws = zh_small
    have = ws.sql("SELECT count(wechat_openid) AS o, count(push_token) AS p, count(*) AS n FROM customers").iloc[0]
    assert 0.4 < have["o"] / have["n"] < 0.75 and 0.1 < have["p"] / have["n"] < 0.4       # realistic shares
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = C.plan_campaign(ws)
    chans = plan.channel_summary().set_index("channel")["contacts"]
    assert chans.get("wechat", 0) > 0 and chans.get("app_push", 0) > 0
    os.environ["DBMKIT_REPORT_OUT"] = str(Path(ws.workdir) / "out")
    try:
        sent = C.export_campaign_list(ws, plan, formats=("csv",))
    finally:
        os.environ.pop("DBMKIT_REPORT_OUT", None)
    lat = latest_consents(ws).set_index(["customer_id", "channel"])
    cust = ws.sql("SELECT customer_id, wechat_openid, push_token FROM customers").set_index("customer_id")
    for ch in APP:
        rows = sent[sent["channel"] == ch]
        assert len(rows) > 0
        for cid, v in zip(rows["customer_id"], rows[FIELD[ch]]):
            assert lat.loc[(cid, ch), "status"] == "opt_in" and not lat.loc[(cid, ch), "uncertain"]
            assert v == cust.loc[cid, FIELD[ch]] and isinstance(v, str)
        assert rows[["email", "phone", "street", "last_name"]].isna().all().all()
    shown = privacy.mask_people(ws.sql("SELECT * FROM customers LIMIT 200")).to_string()
    assert not any(v in shown for v in cust["wechat_openid"].dropna().head(200))
    assert not any(v in shown for v in cust["push_token"].dropna().head(200))
    vi = ws.sql("SELECT column_name, problem FROM value_issues WHERE column_name IN ('wechat_openid', 'push_token')")
    assert len(vi) > 0 and vi["problem"].str.contains("no contact point").all()
