"""PII masks for every country: e-mail addresses with non-ASCII letters and phone numbers in the national and
international formats of US, CN, DE, GB, FR, JP and IN are found and masked wherever they appear in text; dates,
amounts, ids and the values reserved for documentation are left alone."""
from __future__ import annotations

import re

import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat as F
from phonenumbers import PhoneNumberType as T

from dbmkit import privacy
from dbmkit.privacy import find_pii, mask_people, mask_pii, mask_text

REGIONS = ["US", "CN", "DE", "GB", "FR", "JP", "IN"]

HAND = {     # country: numbers as people write them (national forms, and the 00 prefix)
    "DE": ["0151 23456789", "0049 151 23456789", "0151/23456789", "030 1234567"],
    "CN": ["139-1234-5678", "021-6123-4567", "(021) 61234567", "0086 13912345678"],
    "GB": ["07700 900123", "020 7946 0958", "0121 234 5678"],
    "FR": ["06 12 34 56 78", "06.12.34.56.78", "01 42 68 53 00"],
    "JP": ["090-1234-5678", "03-1234-5678"],
    "IN": ["98765 43210", "098765 43210", "9876543210"],
    "US": ["2125550342", "1 212 736 0142"],
}
# international forms (found before) must keep being found next to the national ones
INTERNATIONAL = ["+49 (0)151 2345 6789", "+4915123456789", "+86 139 1234 5678", "13912345678", "+44 20 7946 0958",
                 "+33 6 12 34 56 78", "+81 90-1234-5678", "+91 98765 43210", "212.736.0142", "(212) 736-0142",
                 "+1 212-736-0142"]
EMAILS = ["zoë.müller@beispiel.de", "张三@例子.中国", "françois.dupont@exemple.fr", "ana.garcía@correo.es"]

NOT_PII = ["2024-01-05", "2024/01/05", "05.01.2024", "12/31/2024", "10:30", "10:30:59", "2024-01-05 10:30:00",
           "O-000123", "100023", "10115", "$1,234.56", "¥12,345,678", "€ 1.234,50", "12,345", "12 345 678",
           "+12 345 678", "12.5 %", "-3.2%", "2024", "0.1234567", "1990–2024", "2019-2024", "p = 0.000123",
           "demo@example.com", "ann@mail.example.org", "(212) 555-0142", "+1 212-555-0199", "v1.2.3",
           "192.168.1.1", "1 2 3 4 5 6 7 8 9 10", "basket 26984851472", "#1f5f8b", "R5-F5-M5", "1.234.567"]


def _digit_runs_ok(masked: str) -> bool:
    """Nothing in the masked text is long enough to be a number: at most 3 digits in a row or in total."""
    return len(re.sub(r"\D", "", masked)) <= 3


# ------------------------------------------------------------------------------------------------ hand examples
@pytest.mark.parametrize("country,number", [(c, n) for c, ns in HAND.items() for n in ns])
def test_phone_numbers_of_every_country_are_found_and_masked(country, number):
    text = f"Kontakt / contact / 联系: {number}, danke."
    assert find_pii(text) == [number], country
    masked, n = mask_pii(text)
    assert n == 1 and find_pii(masked) == []
    assert masked.startswith("Kontakt / contact / 联系: ") and masked.endswith(", danke.")
    assert _digit_runs_ok(masked)


@pytest.mark.parametrize("email", EMAILS)
def test_e_mail_addresses_with_non_ascii_letters(email):
    text = f"schreiben Sie an {email} oder 写信给：{email}。"
    assert find_pii(text) == [email, email]
    masked, n = mask_pii(text)
    assert n == 2 and find_pii(masked) == [] and email not in masked
    assert masked.startswith("schreiben Sie an ") and "写信给" in masked


def test_a_page_with_every_format_is_masked_completely():
    numbers = [n for ns in HAND.values() for n in ns] + INTERNATIONAL + EMAILS + ["13912345678@qq.com"]
    text = "<tr><td>" + "</td></tr>\n<tr><td>".join(f"{i}</td><td>{x}" for i, x in enumerate(numbers)) + "</td></tr>"
    assert find_pii(text) == numbers
    masked, n = mask_pii(text)
    assert n == len(numbers) and find_pii(masked) == []
    assert all(_digit_runs_ok(cell) for cell in re.findall(r"<td>([^<]*)</td></tr>", masked))


def test_a_phone_next_to_a_date_or_a_count_is_still_found():
    text = "2024-01-05 0151 23456789 2024 · 3 Bestellungen: 06 12 34 56 78, 12 Stück"
    assert find_pii(text) == ["0151 23456789", "06 12 34 56 78"]
    masked, _ = mask_pii(text)
    assert masked.startswith("2024-01-05 ") and "2024 · 3 Bestellungen" in masked and "23456789" not in masked


def test_everyday_numbers_and_documentation_values_are_not_contact_details():
    text = " · ".join(NOT_PII)
    assert find_pii(text) == []
    assert mask_pii(text) == (text, 0)


def test_tables_quarantine_examples_and_reasons_are_masked():
    df = pd.DataFrame({"first_name": ["0151 23456789", "Zoë"], "city": ["Berlin", "zoë.müller@beispiel.de"],
                       "reason": ["order_ts: cannot read '021-6123-4567' as a date",
                                  "order_ts: cannot read '2024-13-45' as a date"],
                       "raw_values": ['{"Tel": "06 12 34 56 78", "Datum": "05.01.2024"}', '{"Betrag": "1.234,50"}'],
                       "Mobile": ["+49 151 2345 6789", None]})
    out = mask_people(df)
    text = out.to_string()
    assert find_pii(text) == []
    for raw in ("23456789", "müller", "6123-4567", "34 56 78", "2345 6789"):
        assert raw not in text, raw
    assert out.loc[1, "reason"] == "order_ts: cannot read '2024-13-45' as a date"          # not a phone
    assert "05.01.2024" in out.loc[0, "raw_values"] and out.loc[1, "raw_values"] == '{"Betrag": "1.234,50"}'
    assert mask_text(pd.Series(["Ruf an: 090-1234-5678", "Zoë"])).tolist() == ["Ruf an: ********678", "Zoë"]


# ------------------------------------------------------------------------------------------------ properties
def _personal(region: str, kind) -> bool:
    return phonenumbers.example_number_for_type(region, kind) is not None


TYPES = [T.FIXED_LINE, T.MOBILE, T.TOLL_FREE, T.PREMIUM_RATE, T.SHARED_COST, T.VOIP, T.PERSONAL_NUMBER, T.PAGER,
         T.UAN, T.VOICEMAIL]
EXAMPLES = [(r, t) for r in REGIONS for t in TYPES if _personal(r, t)]


@st.composite
def phone_numbers(draw):
    """A valid number of one of the countries and types, made from phonenumbers' example by changing its last
    digits, formatted NATIONAL / INTERNATIONAL / E164 or regrouped with random separators."""
    region, kind = draw(st.sampled_from(EXAMPLES))
    ex = phonenumbers.example_number_for_type(region, kind)
    nsn = str(ex.national_number)
    k = draw(st.integers(1, min(4, len(nsn) - 2)))
    tail = draw(st.text("0123456789", min_size=k, max_size=k))
    num = phonenumbers.parse(f"+{ex.country_code}{nsn[:-k]}{tail}")
    assume(phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) == kind)
    how = draw(st.sampled_from(["NATIONAL", "INTERNATIONAL", "E164", "regrouped national", "regrouped +"]))
    national = phonenumbers.format_number(num, F.NATIONAL)
    if "national" in how.lower() or how == "NATIONAL":
        # a number is written nationally with its trunk prefix 0, as a North American number, or as a Chinese
        # or Indian mobile; service numbers without a prefix (CN 400…, IN 1800…) are companies', not people's
        assume(national.startswith(("0", "(")) or region == "US" or kind == T.MOBILE)
    if how in ("NATIONAL", "INTERNATIONAL", "E164"):
        s = phonenumbers.format_number(num, getattr(F, how))
    else:
        digits = re.sub(r"\D", "", national if how == "regrouped national" else
                        phonenumbers.format_number(num, F.E164))
        groups, i = [], 0
        while i < len(digits):
            size = draw(st.integers(2, 5))
            if len(digits) - (i + size) < 2:
                size = len(digits) - i
            groups.append(digits[i:i + size])
            i += size
        seps = [draw(st.sampled_from([" ", "-", ".", "/", " - "])) for _ in groups[1:]]
        s = groups[0] + "".join(a + b for a, b in zip(seps, groups[1:]))
        if how == "regrouped +":
            s = "+" + s
        # left out: what a reader would take for an amount, a decimal or a date (12 345 678, 0151.2345, 2024-01-05)
        core = s.lstrip("+")
        assume(not re.fullmatch(r"[1-9]\d{0,2}(?:([ .])\d{3})(?:\1\d{3})*", core) or phonenumbers.is_valid_number(
            phonenumbers.parse("+" + re.sub(r"\D", "", s))) and s.startswith("+"))
        assume(not re.fullmatch(r"\d+\.\d+", core))
        assume(not re.search(r"(?<!\d)(?:(?:19|20)\d\d([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])|"
                             r"(?:0?[1-9]|[12]\d|3[01])([-./])(?:0?[1-9]|1[0-2])\2(?:19|20)\d\d|"
                             r"(?:0?[1-9]|1[0-2])([-./])(?:0?[1-9]|[12]\d|3[01])\3(?:19|20)\d\d)(?!\d)", core))
    assume(not privacy._reserved(s))         # 555-01xx: reserved for fiction and examples
    return s


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(phone_numbers(), st.sampled_from(["{}", "Tel. {}", "电话：{}。", "call {} today", "({})", "'{}'"]))
def test_generated_numbers_of_every_country_are_found_and_masked(number, frame):
    text = frame.format(number)
    assert find_pii(text) == [number]
    masked, n = mask_pii(text)
    assert n == 1 and find_pii(masked) == []
    assert _digit_runs_ok(masked), masked


@st.composite
def everyday_text(draw):
    """Teaching text: dates, times, amounts, percentages, ids, postal codes, years, decimals and ranges."""
    y, m, d = draw(st.integers(1990, 2030)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    hh, mm = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    amount = draw(st.floats(0, 1e9, allow_nan=False))
    tokens = [f"{y}-{m:02d}-{d:02d}", f"{y}/{m:02d}/{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{m}/{d}/{y}",
              f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}", f"{hh:02d}:{mm:02d}:{draw(st.integers(0, 59)):02d}",
              f"${amount:,.2f}", f"{amount:,.0f}", f"¥{amount:,.0f}", f"{amount:,.0f}".replace(",", " "),
              f"{draw(st.floats(-100, 100)):.1f}%",
              f"O-{draw(st.integers(0, 999_999)):06d}", f"C{draw(st.integers(0, 10**7)):07d}",
              f"{draw(st.integers(10_000, 999_999))}", str(y), f"{y - draw(st.integers(1, 30))}–{y}",
              f"{draw(st.floats(0, 1)):.7f}", f"{draw(st.integers(0, 10**6))}"]
    picked = draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=8))
    return draw(st.sampled_from([", ", " · ", " | ", "; ", "\n", "</td><td>", " and "])).join(picked)


@settings(max_examples=300, deadline=None)
@given(everyday_text(), st.sampled_from(["0151 23456789", "021-6123-4567", "06 12 34 56 78", "98765 43210"]))
def test_everyday_text_is_left_unchanged_and_only_the_number_is_masked(text, number):
    assert find_pii(text) == [] and mask_pii(text) == (text, 0)
    masked, n = mask_pii(f"{text} · Tel. {number} · {text}")
    assert n == 1 and masked == f"{text} · Tel. {mask_pii(number)[0]} · {text}"
