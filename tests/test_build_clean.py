"""Cleaning: standardisation of each field, validation rules, the quality report, masking for reports."""
from __future__ import annotations

import pandas as pd
import pytest

from dbmkit import clean, privacy
from dbmkit.privacy import find_pii


def test_emails_trimmed_lowered_and_checked():
    s = pd.Series([" Ann.Lee@Mail.COM ", "bad@", "a@@b.com", "x@y", "first.last+tag@sub.example.co.uk", None])
    assert clean.standardise_emails(s).tolist() == ["ann.lee@mail.com", None, None, None,
                                                    "first.last+tag@sub.example.co.uk", None]
    assert clean.email_is_valid(s).tolist() == [True, False, False, False, True, False]


@pytest.mark.parametrize("raw,region,e164", [
    ("(212) 555-0142", "US", "+12125550142"), ("+1 212-555-0142", "US", "+12125550142"),
    ("212.555.0142", "US", "+12125550142"), ("12125550142", "US", "+12125550142"),
    ("0086 138 0013 8000", "CN", "+8613800138000"), ("138 0013 8000", "CN", "+8613800138000"),
    ("0000000", "US", None), ("212555", "US", None), ("21255501ab", "US", None)])
def test_phones_to_e164(raw, region, e164):
    assert clean.standardise_phones(pd.Series([raw]), region=region).iloc[0] == e164


def test_names_genders_postal_codes_birth_dates():
    names = pd.Series(["  ANNA  MARIA ", "o'brien", "McDonald", "ＷＡＮＧ", "王伟"])
    assert clean.standardise_names(names).tolist() == ["Anna Maria", "O'Brien", "McDonald", "Wang", "王伟"]
    split = clean.split_full_name(pd.Series(["LEE, Ann", "Mary Ann Smith", "诸葛亮", None]))
    assert split.iloc[:3].values.tolist() == [["Ann", "LEE"], ["Mary Ann", "Smith"], ["亮", "诸葛"]]
    assert split.iloc[3].isna().all()
    assert clean.standardise_gender(pd.Series(["Mrs.", "male", "女", "x", None])).tolist() == \
        ["F", "M", "F", None, None]
    assert clean.standardise_postal_codes(pd.Series(["2183", "10001-1234", "1000", "ABC"]), "US").tolist() == \
        ["02183", "10001", "01000", None]
    assert clean.standardise_postal_codes(pd.Series(["10008", " 200 001 "]), "CN").tolist() == ["010008", "200001"]
    births = clean.plausible_birth_dates(pd.Series(["1900-01-01", "1980-05-01", "2020-01-01"]), as_of="2026-06-30")
    assert [str(x) if x else None for x in births] == [None, "1980-05-01", None]


def test_dates_in_mixed_formats_with_day_first_detected_from_the_data():
    days = clean.parse_dates(pd.Series(["05/03/2024", "25/12/2023", "2024-01-02"]))
    assert days.dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05", "2023-12-25", "2024-01-02"]
    us = clean.parse_dates(pd.Series(["05/03/2024", "12/25/2023"]))
    assert us.dt.strftime("%Y-%m-%d").tolist() == ["2024-05-03", "2023-12-25"]
    assert clean.parse_dates(pd.Series(["31/02/2024", "soon", None])).isna().all()


def test_clean_customer_records_drops_nothing_and_flags_invalid_contacts():
    raw = pd.DataFrame({"customer_id": ["1", "2", "3"], "full_name": ["LEE, Ann", None, "Bo Kim"],
                        "first_name": [None, "TOM", None], "last_name": [None, "ford", None],
                        "email": ["Ann@X.com", "bad@", None], "phone": ["(212) 555-0142", "123", None],
                        "postal_code": ["2183", "10001", None], "birth_date": ["1980-01-01", "1900-01-01", None],
                        "gender": ["f", None, "Mr"]})
    out = clean.clean_customer_records(raw, region="US", as_of="2026-06-30", test_patterns=[r"^test"],
                                       staff_domains=["shop.com"])
    assert len(out) == 3 and "full_name" not in out.columns
    assert out[["first_name", "last_name"]].values.tolist() == [["Ann", "Lee"], ["Tom", "Ford"], ["Bo", "Kim"]]
    assert out["email"].tolist() == ["ann@x.com", None, None]
    assert out["email_valid"].tolist() == [True, False, None]          # None: nothing was given
    assert out["phone_valid"].tolist() == [True, False, None]


def test_test_and_staff_accounts_are_flagged():
    df = pd.DataFrame({"email": ["test3@shop.com", "ann@shop.com", "qa+1@example.com", "bo@x.com"],
                       "first_name": ["x", "Ann", "y", "Test"], "last_name": ["y", "Lee", "z", "User"]})
    out = clean.flag_test_accounts(df, [r"^test\d*@", r"^qa\+"], ["shop.com"])
    assert out["is_test"].tolist() == [True, False, True, True]
    assert out["is_staff"].tolist() == [True, True, False, False]


def test_masking_hides_every_contact_detail():
    df = pd.DataFrame({"Email": ["ann.lee@mail.com", "john.smith@@gmail.com", None],
                       "手机号": ["13912345678", "+86 138 0013 8000", None], "PhoneOK": ["Y", "N", "Y"],
                       "note": ["call (212) 736-0142 or ann@x.com", "ok", None],
                       "Address": ["12 Oak Street", "长安街8号", None]})
    out = privacy.mask_people(df)
    assert find_pii(out.to_string()) == [] and "736-0142" not in out.to_string()
    assert out["Email"].tolist()[:2] == ["a***@mail.com", "j***@@gmail.com"]
    assert out["PhoneOK"].tolist() == ["Y", "N", "Y"]            # consent flags are not phone numbers
    assert out["Address"].tolist()[:2] == ["# Oak Street", "长安街#号"]
    assert privacy.mask_phone(pd.Series(["+12125550142"])).iloc[0] == "+1*******142"


def test_validation_rules_count_failures_per_column():
    df = pd.DataFrame({"email": ["a@b.com", "A@B.COM", None], "phone": ["+12125550142", "(212) 555-0142", None],
                       "first_name": ["Ann", "ANN", "Ann2"], "gender": ["F", "X", None]})
    r = clean.validation_rules(df, "customers").set_index("column")
    assert r.loc["email", ["checked", "failed"]].tolist() == [2, 1]
    assert r.loc["phone", ["checked", "failed"]].tolist() == [2, 1]
    assert r.loc["first_name", ["checked", "failed"]].tolist() == [3, 2]
    assert r.loc["gender", ["checked", "failed"]].tolist() == [2, 1]


def test_quality_report_hand_computed():
    df = pd.DataFrame({"customer_id": ["1", "2", "2", "3"], "email": ["a@b.com", "a@b.com", "bad", None],
                       "signup_date": ["2026-06-01", "2026-06-20", None, "2099-01-01"]})
    q = clean.quality_report(df, "customers", as_of="2026-06-30").set_index("column")
    assert q.loc["customer_id", "uniqueness"] == pytest.approx(3 / 4)
    assert q.loc["email", "completeness"] == pytest.approx(3 / 4)
    assert q.loc["email", "validity"] == pytest.approx(2 / 3)
    assert q.loc["email", "uniqueness"] == pytest.approx(2 / 3)
    assert q.loc["signup_date", "freshness_days"] == 10          # the future date is ignored for freshness
    assert q.loc["signup_date", "validity"] == pytest.approx(2 / 3)
    score = clean.quality_score(q.reset_index(), ["email", "signup_date"])
    assert score == pytest.approx(round(100 * (0.75 * 2 / 3 + 0.75 * 2 / 3) / 2, 1))


def test_cleaning_examples_are_masked_and_counted():
    before = pd.DataFrame({"email": [" Ann@X.com", "bad@", "c@x.com"], "phone": ["(212) 736-0142", None, None]})
    after = clean.clean_customer_records(before.assign(customer_id=["1", "2", "3"]), region="US")
    ex = clean.cleaning_examples(before, after, ["email", "phone"]).set_index("column")
    assert ex.loc["email", ["changed", "emptied"]].tolist() == [2, 1]
    assert ex.loc["phone", "changed"] == 1
    assert find_pii(ex.to_string()) == [] and "736-0142" not in ex.to_string()


def test_quality_before_and_after_on_the_small_client(small_ws):
    q = small_ws.sql("SELECT * FROM data_quality")
    s = clean.quality_summary(q).pivot(index="table", columns="stage", values="score")
    assert set(s.index) == {"customers", "orders", "consents"}
    assert (s["after cleaning"] > s["before cleaning"]).all()
    after = q[(q["stage"] == "after cleaning") & (q["table"] == "customers")].set_index("column")
    assert after.loc[["email", "phone", "postal_code", "birth_date"], "validity"].eq(1.0).all()
    rep = small_ws.build_summary()
    assert rep["quality_score_after"] > rep["quality_score_before"]
    # the invalid e-mails planted in the raw exports are the ones flagged by cleaning
    planted = small_ws.truth["raw_dirt"]["email_invalid"].sum()
    flagged = small_ws.sql("SELECT count(*) AS n FROM customer_records WHERE email_valid = false")["n"].iloc[0]
    assert abs(flagged - planted) <= 0.05 * planted + 3


def test_postal_codes_keep_the_space_where_the_country_writes_one():
    from dbmkit.clean import standardise_postal_codes
    got = standardise_postal_codes(pd.Series(["sw1a1aa", "SW1A  1AA", "m1 1ae", "k1a0b1", None, "  "]), "GB").tolist()
    assert got == ["SW1A 1AA", "SW1A 1AA", "M1 1AE", "K1A 0B1", None, None]
    assert standardise_postal_codes(pd.Series(["1012ab"]), "NL").tolist() == ["1012 AB"]
    # US and CN codes have no space and keep their leading zeros
    assert standardise_postal_codes(pd.Series(["021 83", "10001"]), "US").tolist() == ["02183", "10001"]
    assert standardise_postal_codes(pd.Series(["10008"]), "CN").tolist() == ["010008"]
