"""E-mail and SMS KPIs: the published definitions (unique per recipient), hand-computed cases and the client's logs."""
from __future__ import annotations

import pandas as pd
import pytest

from dbmkit.evaluate import email_kpis, overall_rates, sms_kpis

T = pd.Timestamp("2024-03-01 10:00")


@pytest.fixture
def log():
    rows = [
        # a: delivered, opened three times, clicked twice, bought
        ("a", "sent"), ("a", "delivered"), ("a", "opened"), ("a", "opened"), ("a", "opened"), ("a", "clicked"),
        ("a", "clicked"),
        # b: delivered, opened, unsubscribed
        ("b", "sent"), ("b", "delivered"), ("b", "opened"), ("b", "unsubscribed"),
        # c: delivered, never opened
        ("c", "sent"), ("c", "delivered"),
        # d: bounced
        ("d", "sent"), ("d", "bounced"),
        # e: delivered, clicked without a tracked open (images blocked), complained
        ("e", "sent"), ("e", "delivered"), ("e", "clicked"), ("e", "complained"),
    ]
    return pd.DataFrame({"campaign_id": "C1", "customer_id": [r[0] for r in rows], "event": [r[1] for r in rows],
                         "event_ts": T})


def test_email_kpis_by_the_published_definitions(log):
    k = email_kpis(log).iloc[0]
    assert (k["sent"], k["delivered"], k["bounced"], k["opened"], k["clicked"]) == (5, 4, 1, 3, 2)
    assert k["delivery_rate"] == pytest.approx(4 / 5)          # delivered / sent
    assert k["bounce_rate"] == pytest.approx(1 / 5)            # bounces / sent
    assert k["open_rate"] == pytest.approx(3 / 4)              # unique opens / delivered
    assert k["click_rate"] == pytest.approx(2 / 4)             # unique clicks / delivered
    assert k["click_to_open_rate"] == pytest.approx(2 / 3)     # unique clicks / unique opens
    assert k["unsubscribe_rate"] == pytest.approx(1 / 4)       # unsubscribes / delivered
    assert k["complaint_rate"] == pytest.approx(1 / 4)
    assert "conversion_rate" not in k.index


def test_conversion_needs_the_outcomes(log):
    out = pd.DataFrame({"campaign_id": "C1", "customer_id": ["a", "b", "c", "d", "e"], "responded": [1, 0, 0, 1, 0]})
    k = email_kpis(log, outcomes=out).iloc[0]
    # d bought but the mail bounced: not an e-mail conversion
    assert k["converted"] == 1 and k["conversion_rate"] == pytest.approx(1 / 4)


def test_kpis_by_segment_and_overall(log):
    log2 = pd.concat([log, log.assign(campaign_id="C2")], ignore_index=True)
    seg = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"], "tier": ["gold", "gold", "std", "std", "std"]})
    k = email_kpis(log2, by=["campaign_id", "tier"], segments=seg)
    assert len(k) == 4
    gold = k[(k["campaign_id"] == "C1") & (k["tier"] == "gold")].iloc[0]
    assert gold["sent"] == 2 and gold["open_rate"] == 1.0
    one = email_kpis(log2, by=None)
    assert one["sent"].iloc[0] == 10
    pooled = overall_rates(email_kpis(log2))
    assert pooled["open_rate"] == pytest.approx(0.75)
    with pytest.raises(KeyError, match="cannot group by 'tier'"):
        email_kpis(log2, by="tier")


def test_sms_kpis():
    ev = pd.DataFrame({"campaign_id": "S1", "customer_id": list("aabbbccd"),
                       "event": ["sent", "delivered", "sent", "delivered", "replied", "sent", "bounced", "sent"]})
    k = sms_kpis(ev).iloc[0]
    # d has only 'sent' (no delivery receipt): not delivered
    assert (k["sent"], k["delivered"], k["bounced"], k["replied"]) == (4, 2, 1, 1)
    assert k["delivery_rate"] == 0.5 and k["reply_rate"] == 0.5


def test_the_clients_logs_add_up(small_ws):
    k = email_kpis(small_ws)
    sent = small_ws.sql("SELECT campaign_id, count(DISTINCT customer_id) AS n FROM email_events "
                        "WHERE event = 'sent' GROUP BY 1").set_index("campaign_id")["n"]
    assert (k.set_index("campaign_id")["sent"] >= sent.reindex(k["campaign_id"]).to_numpy()).all()
    assert ((k["delivered"] + k["bounced"]) == k["sent"]).all()
    assert (k["opened"] <= k["delivered"]).all() and (k["clicked"] <= k["opened"]).all()
    # the synthetic e-mails: ~1.5 % bounce, opens driven by engagement (mean ≈ 0.29)
    pooled = overall_rates(k)
    assert 0.005 < pooled["bounce_rate"] < 0.03
    assert 0.2 < pooled["open_rate"] < 0.4
    s = sms_kpis(small_ws)
    assert set(s["campaign_id"]) == set(small_ws.sql("SELECT campaign_id FROM campaigns WHERE channel = 'sms'")
                                        ["campaign_id"])
    assert (s["delivery_rate"] > 0.9).all()
