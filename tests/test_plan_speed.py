"""The vectorised planning steps give the same answers as the plain row-by-row rules they replaced."""
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit.campaign.selection import channel_waterfall

CH = ["email", "sms", "mail", "phone"]


def _row_by_row(prefs: pd.Series, sup: pd.DataFrame):
    """The original rule: each person gets the first channel of their list they are not blocked on."""
    chan = sup[sup["channel"] != "*"]
    blocked = set(zip(chan["customer_id"], chan["channel"]))
    chosen = pd.Series({cid: next((c for c in pr if (cid, c) not in blocked), None) for cid, pr in prefs.items()},
                       dtype=object)
    none = chosen.index[chosen.isna().to_numpy()]
    first = pd.DataFrame({"customer_id": np.asarray(none, dtype=object),
                          "channel": np.asarray([prefs[c][0] for c in none], dtype=object)})
    rem = first.merge(chan, on=["customer_id", "channel"], how="inner")
    return chosen, rem[["customer_id", "step", "reason", "channel"]]


people = st.lists(st.permutations(CH).flatmap(lambda p: st.integers(1, 4).map(lambda k: tuple(p[:k]))),
                  min_size=1, max_size=25)
blocks = st.lists(st.tuples(st.integers(0, 24), st.sampled_from(CH + ["*"]),
                            st.sampled_from(["no_contact", "not_opted_in"])),
                  max_size=40)


@settings(max_examples=60, deadline=None)
@given(people, blocks)
def test_channel_waterfall_equals_the_row_by_row_rule(lists, rows):
    ids = [f"C{i:02d}" for i in range(len(lists))]
    prefs = pd.Series(dict(zip(ids, lists)))
    sup = pd.DataFrame([dict(customer_id=f"C{i:02d}", channel=ch, step=step, reason=step) for i, ch, step in rows],
                       columns=["customer_id", "channel", "step", "reason"])
    got, got_rem = channel_waterfall(prefs, sup)
    want, want_rem = _row_by_row(prefs, sup)
    assert got.index.tolist() == ids
    assert got.tolist() == want.tolist()
    key = ["customer_id", "channel", "step", "reason"]
    assert (got_rem.sort_values(key)[key].values.tolist() == want_rem.sort_values(key)[key].values.tolist())


def test_channel_waterfall_hand_case_with_duplicated_suppressions():
    sup = pd.DataFrame({"customer_id": ["A", "A", "B"], "channel": ["email", "email", "sms"],
                        "reason": ["not opted in", "no valid email", "not opted in"],
                        "step": ["not_opted_in", "no_contact", "not_opted_in"]})
    prefs = pd.Series({"A": ("email",), "B": ("email", "sms"), "C": ("sms", "mail")})
    chosen, rem = channel_waterfall(prefs, sup)
    assert chosen.to_dict() == {"A": None, "B": "email", "C": "sms"}
    assert sorted(rem["step"]) == ["no_contact", "not_opted_in"]          # both reasons of A's only channel
    assert np.all(rem["customer_id"] == "A")


# ------------------------------------------------------------------------------------------------ the send file
from dbmkit.campaign.export import export_list, send_file  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["treatment", "control"]), st.sampled_from(CH)), min_size=1, max_size=20),
       st.lists(st.tuples(st.integers(0, 19), st.sampled_from(CH + ["*"])), max_size=20))
def test_send_file_drops_exactly_the_suppressed_pairs(rows, sups):
    ids = [f"C{i:02d}" for i in range(len(rows))]
    contacts = pd.DataFrame({"campaign_id": "N1", "customer_id": ids, "cell": "X", "offer": "WELCOME",
                             "group": [g for g, _ in rows], "channel": [c for _, c in rows],
                             "contact_ts": pd.Timestamp("2026-07-07 10:00")})
    people = pd.DataFrame({"customer_id": ids, "first_name": "A", "email": "a@x.org", "phone": "+15550100",
                           "last_name": "B", "street": "1 Main St", "postal_code": "10001", "city": "NYC"})
    sup = pd.DataFrame([dict(customer_id=f"C{i:02d}", channel=ch, reason="r") for i, ch in sups],
                       columns=["customer_id", "channel", "reason"])
    everywhere = set(sup.loc[sup["channel"] == "*", "customer_id"])
    pairs = set(zip(sup["customer_id"], sup["channel"]))
    want = sorted(i for i, (g, ch) in zip(ids, rows)
                  if g == "treatment" and i not in everywhere and (i, ch) not in pairs)
    out = send_file(contacts, people, sup)
    assert sorted(out["customer_id"]) == want
    for _, r in out.iterrows():                       # data minimisation: only the channel's own detail
        assert (r["email"] is not None) == (r["channel"] == "email")
        assert (r["street"] is not None) == (r["channel"] == "mail")
        assert (r["phone"] is not None) == (r["channel"] in ("sms", "phone"))


def test_export_list_xlsx_holds_the_same_rows_as_the_csv(tmp_path):
    ids = [f"C{i}" for i in range(7)]
    contacts = pd.DataFrame({"campaign_id": "N1", "customer_id": ids, "cell": ["A", "B"] * 3 + ["A"],
                             "offer": "WELCOME", "group": "treatment",
                             "channel": ["email", "mail", "email", "sms", "email", "mail", "sms"],
                             "contact_ts": pd.Timestamp("2026-07-07 10:00")})
    people = pd.DataFrame({"customer_id": ids, "first_name": list("abcdefg"), "email": "a@x.org",
                           "phone": "+15550100", "last_name": "B", "street": "1 Main St", "postal_code": "10001",
                           "city": "NYC"})
    out = export_list(contacts, people, None, tmp_path)
    xl = pd.read_excel(tmp_path / "campaign_list.xlsx", sheet_name=None, engine="openpyxl", dtype=str)
    assert list(xl) == ["summary", "email", "mail", "sms"]
    assert xl["summary"]["contacts"].astype(int).sum() == len(out) == 7
    for ch in ("email", "mail", "sms"):
        part = out[out["channel"] == ch].dropna(axis=1, how="all")
        assert list(xl[ch].columns) == list(part.columns)
        assert xl[ch]["customer_id"].tolist() == part["customer_id"].tolist()
        assert xl[ch]["first_name"].tolist() == part["first_name"].tolist()
    assert xl["email"]["email"].tolist() == ["a@x.org"] * 3 and "street" not in xl["email"].columns


# ------------------------------------------------------------------------------------------------ the xlsx writer
def test_write_xlsx_reads_back_with_openpyxl(tmp_path):
    import datetime as dt

    import openpyxl

    from dbmkit.xlsx import write_xlsx
    df = pd.DataFrame({"text": ['a<&>"', None, " lead", "张三\x01"], "n": [1, 2, 3, 4], "x": [1.5, np.nan, -2.0, 0.0],
                       "flag": [True, False, True, False], "day": [dt.date(2026, 7, 7)] * 4,
                       "ts": pd.to_datetime(["2026-07-07 10:30", "2026-07-08 00:00", None, "2026-01-01 00:00"])})
    write_xlsx(tmp_path / "t.xlsx", {"summary": df.head(1), "email": df})
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["summary", "email"]
    rows = list(wb["email"].iter_rows(values_only=True))
    assert rows[0] == tuple(df.columns)
    assert [r[0] for r in rows[1:]] == ['a<&>"', None, " lead", "张三"]            # escaped, control char dropped
    assert [r[1] for r in rows[1:]] == [1, 2, 3, 4] and [r[2] for r in rows[1:]] == [1.5, None, -2.0, 0]
    assert [r[3] for r in rows[1:]] == [True, False, True, False]
    assert rows[1][4] == dt.datetime(2026, 7, 7) and wb["email"]["E2"].is_date
    assert rows[1][5] == dt.datetime(2026, 7, 7, 10, 30) and rows[3][5] is None
    assert len(rows) == 5 and len(list(wb["summary"].iter_rows())) == 2


def test_write_xlsx_rejects_bad_sheet_names(tmp_path):
    import pytest

    from dbmkit.xlsx import write_xlsx
    with pytest.raises(ValueError, match="sheet names"):
        write_xlsx(tmp_path / "t.xlsx", {"a/b": pd.DataFrame({"x": [1]})})
    with pytest.raises(ValueError, match="at least one sheet"):
        write_xlsx(tmp_path / "t.xlsx", {})


# ------------------------------------------------------------------------------------------------ a second plan
def test_a_second_plan_reusing_the_first_equals_planning_from_scratch(small_ws):
    import warnings

    from dbmkit.campaign import plan_campaign
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = plan_campaign(small_ws, recommend=False)
        other = "response" if first.settings.basis == "incremental" else "incremental"
        fresh = plan_campaign(small_ws, recommend=False, basis=other)
        quick = plan_campaign(small_ws, recommend=False, basis=other, reuse=first)
        moved = plan_campaign(small_ws, recommend=False, recent_contact_days=1, reuse=first)  # other suppressions
        moved_fresh = plan_campaign(small_ws, recommend=False, recent_contact_days=1)
    assert quick.inputs["base"] is first.inputs["base"]                      # really reused
    pd.testing.assert_frame_equal(quick.contacts, fresh.contacts)
    pd.testing.assert_frame_equal(quick.waterfall, fresh.waterfall)
    assert quick.kpis() == fresh.kpis()
    assert moved.inputs["suppressions"] is not first.inputs["suppressions"]  # a changed setting reads them again
    pd.testing.assert_frame_equal(moved.waterfall, moved_fresh.waterfall)
