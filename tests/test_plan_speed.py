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
blocks = st.lists(st.tuples(st.integers(0, 24), st.sampled_from(CH + ["*"]), st.sampled_from(["no_contact", "not_opted_in"])),
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
