"""Identities and raw exports of the synthetic retailer.

One concept: turning the synthetic world into the dirty files a real client would hand over (one function per
export and dirt step; the long module is the catalogue of those steps).

A real client hands over files from several systems, each with its own conventions and its own dirt. This module
turns the clean world of :mod:`dbmkit.datasets.retailer` into such files:

============================  ===========================================================================
file                          system and conventions
============================  ===========================================================================
crm_customers.csv             CRM (catalogue/phone customers): ``;``-separated, cp1252 (zh: GB18030, Chinese
                              headers), day-first dates, titles, MailOK/PhoneOK flags, deceased/gone-away
web_accounts.csv              web shop accounts: UTF-8 with BOM, ISO dates (a few day-first), test and staff
                              accounts, newsletter/SMS flags, acquisition source and cost
loyalty_members.xlsx          store loyalty programme: Excel with two title rows above the header, card numbers
                              with leading zeros, "LAST, First" names, month-first birth dates
pos_sales.csv                 store tills: ``|``-separated invoice lines, returns as negative quantities on
                              R-invoices, prices with currency symbols and thousands separators, walk-in sales
                              without a card
web_orders.csv / _lines.csv   web shop orders and lines (web and app), RETURNED/CANCELLED statuses
crm_orders.csv / _lines.csv   catalogue and phone orders from the CRM
products.csv                  the product master
campaigns.csv, campaign_history.csv, coupon_redemptions.csv     the marketing team's campaign records
email_events.csv, email_subscribers.tsv, sms_events.csv         the e-mail and SMS platforms
preference_log.csv            the preference centre's opt-in/opt-out log
area_demographics.csv         purchased postal-area statistics
============================  ===========================================================================

The truth keeps which source record belongs to which person (``records``) and the dirt that was applied.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..util import isin as _isin
from ..xlsx import write_xlsx
from .app_contacts import APP_FILE_SPECS, app_consent_file, app_contact_points, with_app_columns

NULLISH = ["NULL", "N/A", "-", "null", "n/a"]
SYSTEM_OF_CHANNEL = {"store": "pos", "web": "web", "app": "web", "catalog": "crm"}


# ------------------------------------------------------------------------------------------------ identities
def _pick(rng, arr, n, p=None):
    arr = np.asarray(arr, dtype=object)
    return arr[rng.choice(len(arr), n, p=p)]


def _zpad(x: np.ndarray, width: int) -> np.ndarray:
    """Integers as zero-padded text (vectorised f"{x:0{width}d}" for x ≥ 0)."""
    return np.strings.zfill(np.asarray(x).astype(str), width)


def _cat(*parts) -> np.ndarray:
    """Element-wise concatenation of text arrays and scalars (NumPy string ufuncs, no Python loop)."""
    out = np.asarray(parts[0])
    for p in parts[1:]:
        out = np.strings.add(out, np.asarray(p))
    return out


def _us_phone(rng, area_codes: np.ndarray) -> np.ndarray:
    exch = rng.integers(200, 990, len(area_codes))
    exch = np.where(exch % 100 == 11, exch + 1, exch)
    exch = np.where(exch == 555, 556, exch)
    line = rng.integers(0, 10_000, len(area_codes))
    return _cat("+1", np.asarray(area_codes).astype(str), _zpad(exch, 3), _zpad(line, 4)).astype(object)


def _cn_phone(rng, n, prefixes) -> np.ndarray:
    pre = _pick(rng, prefixes, n)
    rest = rng.integers(0, 100_000_000, n)
    return _cat("+86", pre.astype(str), _zpad(rest, 8)).astype(object)


def person_identities(rng, ppl, people_area, loc, locale) -> dict:
    """Names, households, addresses, e-mails and phones of every person (the clean truth)."""
    n = len(ppl["person_id"])
    g = ppl["gender"]
    female = (g == "F") | ((g == "U") & (rng.random(n) < 0.5))
    first = np.where(female, _pick(rng, loc["female"], n), _pick(rng, loc["male"], n))
    last = _pick(rng, loc["surnames"], n)

    # households: ~20 % of people join another person's household in the same postal area
    area = ppl["area_idx"]
    joiner = rng.random(n) < 0.2
    host = np.arange(n)
    nonj = np.flatnonzero(~joiner)
    order = nonj[np.argsort(area[nonj], kind="stable")]
    areas_sorted = area[order]
    n_areas = int(area.max()) + 1
    starts = np.searchsorted(areas_sorted, np.arange(n_areas))
    counts = np.searchsorted(areas_sorted, np.arange(n_areas), side="right") - starts
    j = np.flatnonzero(joiner)
    ok = counts[area[j]] > 0
    pick = starts[area[j]] + np.floor(rng.random(len(j)) * np.maximum(counts[area[j]], 1)).astype(int)
    host[j[ok]] = order[pick[ok]]
    same_name = joiner & (rng.random(n) < 0.7)
    last = np.where(same_name, last[host], last)
    household_id = _cat("H", _zpad(host + 1, 7)).astype(object)

    # address of the household's host
    street_name = _pick(rng, loc["streets"], n)
    stype = rng.integers(0, len(loc["street_types"]), n)
    number = rng.integers(1, 999, n)
    if locale == "en":
        kinds = np.array([t[0] for t in loc["street_types"]])
        street = _cat(number.astype(str), " ", street_name.astype(str), " ", kinds[stype]).astype(object)
    else:
        street = _cat(street_name.astype(str), number.astype(str), "号").astype(object)
    street = street[host]

    # e-mail
    dom = _pick(rng, loc["email_domains"], n,
                p=np.array(loc["email_domain_weights"]) / sum(loc["email_domain_weights"]))
    style = rng.integers(0, 4, n)
    if locale == "en":
        fl, ll = np.char.lower(first.astype(str)), np.char.lower(np.char.replace(last.astype(str), " ", ""))
    else:
        py = loc["pinyin"]
        fl = np.array([py[x] for x in first], dtype=str)
        ll = np.array([py[x] for x in last], dtype=str)
    num = rng.integers(1, 99, n)
    local = np.where(style == 0, np.char.add(np.char.add(fl, "."), ll),
                     np.where(style == 1, np.char.add(np.char.add(np.array([f[0] for f in fl]), ""), ll),
                              np.where(style == 2, np.char.add(np.char.add(fl, ll), num.astype(str)),
                                       np.char.add(np.char.add(ll, "_"), fl))))
    if locale == "zh":
        qq = rng.random(n) < 0.35
        local = np.where(qq & (dom == "qq.com"), rng.integers(10_000_000, 3_000_000_000, n).astype(str), local)
    email = pd.Series(np.char.add(np.char.add(local, "@"), dom.astype(str)))
    dupe = email.duplicated(keep="first")
    if dupe.any():
        k = email[dupe].groupby(email[dupe]).cumcount() + 100
        email[dupe] = email[dupe].str.replace("@", "", regex=False).str.slice(0, 0) + \
            [e.split("@")[0] + str(i) + "@" + e.split("@")[1] for e, i in zip(email[dupe], k)]
    email = email.to_numpy(dtype=object)

    # phone
    if locale == "en":
        codes = people_area["city"].map(loc["area_codes"]).to_numpy().astype(str)
        phone = _us_phone(rng, codes)
    else:
        phone = _cn_phone(rng, n, loc["mobile_prefixes"])
    has_phone = ppl["consent"]["sms"][0] | ppl["consent"]["phone"][0] | (rng.random(n) < 0.6)
    phone = np.where(has_phone, phone, None)
    return dict(first_name=first, last_name=last, email=email, phone=phone, street=street, household_id=household_id,
                female=female)


# ------------------------------------------------------------------------------------------------ dirt helpers
def _typo(rng, s: str) -> str:
    if not s or len(s) < 3:
        return s
    i = int(rng.integers(1, len(s) - 1))
    k = int(rng.integers(0, 4))
    if k == 0:
        return s[:i] + s[i + 1:]                        # deletion
    if k == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]      # transposition
    if k == 2:
        return s[:i] + s[i] + s[i:]                     # doubled letter
    alphabet = "aeioulnrst" if s.isascii() else s
    return s[:i] + alphabet[int(rng.integers(len(alphabet)))] + s[i + 1:]


def _corrupt_email(rng, e: str) -> str:
    k = int(rng.integers(0, 6))
    user, _, dom = e.partition("@")
    return [user + dom, user + "@@" + dom, user + "@" + dom.split(".")[0], user + " @" + dom,
            e + ".", user + "@" + dom.replace(".", ",")][k]


def _corrupt_phone(rng, p: str) -> str:
    digits = "".join(ch for ch in p if ch.isdigit())
    k = int(rng.integers(0, 3))
    return [digits[:6], digits[:-3] + "abc", "0000000"][k]


def _fmt_phone(p: str | None, style: int, locale: str) -> str | None:
    if p is None or (isinstance(p, float) and np.isnan(p)):
        return None
    d = p[2:] if locale == "en" else p[3:]
    if locale == "en":
        return [f"({d[:3]}) {d[3:6]}-{d[6:]}", f"+1 {d[:3]}-{d[3:6]}-{d[6:]}", d, f"{d[:3]}.{d[3:6]}.{d[6:]}",
                f"1{d}"][style]
    return [f"{d[:3]} {d[3:7]} {d[7:]}", f"+86 {d}", d, f"+86-{d[:3]}-{d[3:7]}-{d[7:]}", f"0086{d}"][style]


def _abbrev_street(s: str, loc) -> str:
    for full, short in loc["street_types"]:
        if s.endswith(" " + full):
            return s[: -len(full)] + short + "."
    return s


def _nullish(rng, values: np.ndarray, share_nullish: float = 0.06) -> np.ndarray:
    out = values.astype(object).copy()
    miss = pd.isna(out)
    k = miss & (rng.random(len(out)) < share_nullish)
    out[k] = _pick(rng, NULLISH, int(k.sum()))
    return out


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of days since 1970-01-01 (H. Hinnant's civil_from_days, vectorised)."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def _text_series(matrix: np.ndarray, index=None) -> pd.Series:
    """A pandas string Series from a (rows × width) uint8 matrix of ASCII/UTF-8 bytes, without Python objects."""
    import pyarrow as pa
    n, width = matrix.shape
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, pa.py_buffer(
        np.ascontiguousarray(matrix).reshape(-1))])
    return pd.Series(fixed.cast(pa.binary()).cast(pa.string()), index=index, dtype="str")


def _strftime(values, fmt: str) -> pd.Series:
    """``Series.dt.strftime(fmt)`` for the directives %Y %m %d %H %M %S, vectorised with integer arithmetic
    into a byte matrix (≈ 100× faster than pandas on millions of timestamps). Missing values stay missing; the
    index of a Series is kept."""
    index = values.index if isinstance(values, pd.Series) else None
    ts = pd.to_datetime(values if isinstance(values, pd.Series) else pd.Series(values))
    arr = ts.to_numpy(dtype="datetime64[s]")
    nat = np.isnat(arr)
    secs = np.where(nat, 0, arr.astype(np.int64))
    days, sod = np.divmod(secs, 86400)
    y, mo, d = _civil(days)
    parts = {"Y": (y, 4), "m": (mo, 2), "d": (d, 2), "H": (sod // 3600, 2), "M": (sod % 3600 // 60, 2),
             "S": (sod % 60, 2)}
    cols: list[np.ndarray] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt) and fmt[i + 1] in parts:
            v, w = parts[fmt[i + 1]]
            for k in range(w - 1, -1, -1):
                cols.append((v // 10 ** k % 10 + 48).astype(np.uint8))
            i += 2
        else:
            for b in fmt[i].encode("utf-8"):
                cols.append(np.full(len(arr), b, np.uint8))
            i += 1
    res = _text_series(np.column_stack(cols) if cols else np.zeros((len(arr), 0), np.uint8), index)
    return res.mask(nat) if nat.any() else res


def _dates(d: pd.Series, fmt: str) -> pd.Series:
    return _strftime(d, fmt).astype(object).where(pd.to_datetime(d).notna().to_numpy(), None)


def _zh_date(d: pd.Series) -> pd.Series:
    s = pd.to_datetime(d)
    out = s.dt.year.astype("Int64").astype(str) + "年" + s.dt.month.astype("Int64").astype(str) + "月" + \
        s.dt.day.astype("Int64").astype(str) + "日"
    return out.where(s.notna(), None)


def _money(rng, x: np.ndarray, symbol: str, share_symbol=0.03) -> pd.Series:
    """Prices as text the way tills print them: two decimals, half of the amounts from 1,000 up with thousands
    separators, a few with the currency symbol (vectorised but for the rare thousands: millions of lines)."""
    x = np.asarray(x, float)
    commas = (np.abs(x) >= 1000) & (rng.random(len(x)) < 0.5)
    cents = np.round(np.abs(x) * 100).astype(np.int64)
    units, frac = np.divmod(cents, 100)
    out = (pd.Series(np.where(x < 0, "-", ""), dtype="str") + pd.Series(units.astype(str), dtype="str") + "."
           + pd.Series(frac.astype(str), dtype="str").str.zfill(2))
    if commas.any():
        out[commas] = [f"{v:,.2f}" for v in x[commas]]
    sym = rng.random(len(x)) < share_symbol
    out[sym] = symbol + out[sym]
    return out


# ------------------------------------------------------------------------------------------------ records
def _records(rng, world, ppl, ident, loc, locale):
    cust = world.tables["customers"]
    P = world.params
    idx = pd.Index(ppl["person_id"]).get_indexer(cust["customer_id"])
    n = len(idx)
    buyer = ppl["buyer"][idx]
    home = np.array([SYSTEM_OF_CHANNEL[c] for c in ppl["primary_channel"][idx]], dtype=object)
    home[~buyer] = "web"
    dup = rng.random(n) < P["duplicate_share"]
    systems = np.array(["crm", "web", "pos"], dtype=object)
    sec = ppl["secondary_channel"][idx]
    sec_sys = np.array([SYSTEM_OF_CHANNEL.get(c) if c is not None else None for c in sec], dtype=object)
    other = systems[rng.integers(0, 3, n)]
    extra_sys = np.where((sec_sys != None) & (sec_sys != home), sec_sys, other)  # noqa: E711
    same = rng.random(n) < 0.25
    extra_sys = np.where(same, home, extra_sys)
    second = dup & (rng.random(n) < 0.12)
    second_sys = systems[rng.integers(0, 3, n)]

    signup = pd.to_datetime(cust["signup_date"]).to_numpy()
    end = pd.Timestamp(P["end_date"]).to_datetime64()
    recs = [pd.DataFrame({"pi": np.arange(n), "system": home, "created": signup, "extra": False})]
    for mask, sysarr in ((dup, extra_sys), (second, second_sys)):
        k = np.flatnonzero(mask)
        span = (end - signup[k]).astype("timedelta64[D]").astype(float)
        created = signup[k] + (rng.random(len(k)) * np.maximum(span, 0)).astype("timedelta64[D]")
        recs.append(pd.DataFrame({"pi": k, "system": sysarr[k], "created": created, "extra": True}))
    rec = pd.concat(recs, ignore_index=True)
    # record ids per system (leading zeros on loyalty cards)
    rec["record_id"] = ""
    for s, fmt, base in (("crm", "C{:06d}", 100001), ("web", "W{:07d}", 1000001), ("pos", "{:09d}", 1000001)):
        m = (rec["system"] == s).to_numpy()
        ids = rng.permutation(m.sum()) + base
        rec.loc[m, "record_id"] = [fmt.format(i) for i in ids]
    rec["person_id"] = cust["customer_id"].to_numpy()[rec["pi"].to_numpy()]
    return rec, idx


def _record_fields(rng, rec, world, ident, ppl, idx, loc, locale):
    """Field values of each source record: the person's truth with variants on extra records and general dirt."""
    cust = world.tables["customers"]
    P = world.params
    pi = rec["pi"].to_numpy()
    N = len(rec)
    extra = rec["extra"].to_numpy()
    first = cust["first_name"].to_numpy()[pi].astype(object)
    last = cust["last_name"].to_numpy()[pi].astype(object)
    email = cust["email"].to_numpy()[pi].astype(object)
    phone = cust["phone"].to_numpy()[pi].astype(object)
    street = cust["street"].to_numpy()[pi].astype(object)
    postal = cust["postal_code"].to_numpy()[pi].astype(object)
    city = cust["city"].to_numpy()[pi].astype(object)
    birth = pd.to_datetime(cust["birth_date"]).to_numpy()[pi]
    gender = cust["gender"].to_numpy()[pi].astype(object)
    dirt = {k: np.zeros(N, bool) for k in ("first_typo", "last_typo", "nickname", "email_changed", "email_case",
                                          "email_invalid", "phone_invalid", "street_abbrev", "birth_outlier")}
    # variants on duplicate records
    e = np.flatnonzero(extra)
    for i in e:
        r = rng.random(8)
        if r[0] < 0.18:
            first[i] = _typo(rng, first[i])
            dirt["first_typo"][i] = True
        elif r[0] < 0.28 and first[i] in loc["nicknames"]:
            first[i] = loc["nicknames"][first[i]]
            dirt["nickname"][i] = True
        if r[1] < 0.15:
            last[i] = _typo(rng, last[i])
            dirt["last_typo"][i] = True
        if r[2] < 0.35:
            user, _, dom = email[i].partition("@")
            num = int(rng.integers(1, 99))          # drawn before the domain: the same random stream
            new_dom = loc['email_domains'][int(rng.integers(len(loc['email_domains'])))]
            email[i] = f"{user}{num}@{new_dom}"
            dirt["email_changed"][i] = True
        elif r[2] < 0.55:
            email[i] = (" " + email[i].upper()) if r[3] < 0.5 else email[i].title()
            dirt["email_case"][i] = True
        if r[4] < 0.4 and locale == "en":
            street[i] = _abbrev_street(street[i], loc)
            dirt["street_abbrev"][i] = True
        if r[5] < 0.25:
            birth[i] = np.datetime64("NaT")
        if r[6] < 0.1:
            phone[i] = None
        if r[7] < 0.08:
            postal[i] = None
    # general dirt on every record
    has_email = pd.notna(email)
    bad = has_email & (rng.random(N) < P["invalid_email_share"])
    email[bad] = [_corrupt_email(rng, x.strip()) for x in email[bad]]
    dirt["email_invalid"] = bad
    has_phone = pd.notna(phone)
    badp = has_phone & (rng.random(N) < P["invalid_phone_share"])
    phone[badp] = [_corrupt_phone(rng, x) for x in phone[badp]]
    dirt["phone_invalid"] = badp
    out_b = rng.random(N) < 0.002
    birth[out_b] = np.datetime64("1900-01-01")
    dirt["birth_outlier"] = out_b
    f = pd.DataFrame({"first_name": first, "last_name": last, "email": email, "phone": phone, "street": street,
                      "postal_code": postal, "city": city, "birth_date": birth, "gender": gender})
    return f, dirt


def build_raw_exports(rng, world, ppl, ident, loc, locale, keys: dict | None = None, sink=None):
    """All raw export tables (file name → DataFrame of strings as written), the record truth and dirt stats.

    ``keys`` (from the generator) holds integer keys: ``item_order`` (each order line's row in the orders table)
    and ``order_customer`` (each order's row in the customers table); without them they are found by text.
    ``sink(name, df)``, when given, receives each export as soon as it is complete instead of the returned dict.

    The steps run in a fixed order on one random stream (each export's file fault has its own): the customer
    records of every system, which record each order was placed under, then one step per export or family of
    exports."""
    T = world.tables
    keys = keys or {}
    cust = T["customers"].set_index("customer_id")
    rec, dirt = _customer_records(rng, world, ppl, ident, loc, locale, cust)
    ix = _OrderRecords(rng, rec, T, keys)
    raw = _Exports(int(world.params["seed"]), sink)
    app = None
    if locale == "zh":          # WeChat openids, app push tokens and their consent: own random stream, zh only
        app = app_contact_points(int(world.params["seed"]), rec, world.params["end_date"])
        world.truth["app_contacts"] = app["truth"]
    raw.add(_crm_customers(rng, rec, locale))
    raw.add(with_app_columns(_web_accounts(rng, rec, locale), app))
    raw.add(with_app_columns(_loyalty_members(rng, rec, locale), app))
    raw.add(_sales(rng, world, rec, ix, keys, "$" if locale == "en" else "¥"))
    raw.add(_products_and_areas(T))
    real = rec[rec["pi"] >= 0]
    home_rec = real[~real["extra"]].set_index("person_id")      # each person's first record
    raw.add(_campaign_files(T, home_rec, cust, ix, locale))
    raw.add(_consent_files(T, home_rec))
    if app is not None:
        raw.add(app_consent_file(app))
    records, dirt_df = _record_truth(rec, dirt)
    return dict(raw), records, dirt_df


# ------------------------------------------------------------------------------------------------ customer records
def _customer_records(rng, world, ppl, ident, loc, locale, cust):
    """Every customer record of the three systems with its field values, flags and consents, plus the web shop's
    test accounts; and the dirt applied to each record."""
    rec, idx = _records(rng, world, ppl, ident, loc, locale)
    fields, dirt = _record_fields(rng, rec, world, ident, ppl, idx, loc, locale)
    rec = pd.concat([rec.reset_index(drop=True), fields], axis=1)
    _record_flags(rng, rec, world.tables, cust, loc, locale)
    test = _test_accounts(rng, len(rec), world.params, loc)
    rec = pd.concat([rec, test], ignore_index=True)
    rec["created"] = pd.to_datetime(rec["created"])
    for k in dirt:
        dirt[k] = np.concatenate([dirt[k], np.zeros(len(test), bool)])
    return rec, dirt


def _record_flags(rng, rec, T, cust, loc, locale) -> None:
    """Consents at signup, acquisition source and cost, deceased / gone-away (CRM) and staff accounts (web), in
    place."""
    # initial consents at signup (the truth's first consent rows)
    first_cons = T["consents"].drop_duplicates(["customer_id", "channel"], keep="first")
    cons_wide = first_cons.pivot(index="customer_id", columns="channel", values="status")
    for chn in ("email", "sms", "phone", "mail"):
        rec[f"{chn}_ok"] = (cons_wide[chn].reindex(rec["person_id"]).to_numpy() == "opt_in")
    rec["acq"] = cust["acquisition_channel"].reindex(rec["person_id"]).to_numpy()
    rec["cac"] = cust["acquisition_cost"].reindex(rec["person_id"]).to_numpy()
    rec["is_test"] = False
    rec["is_staff"] = False
    rec["deceased"] = False
    rec["gone_away"] = False
    age = cust["age"].reindex(rec["person_id"]).to_numpy()
    crm = (rec["system"] == "crm").to_numpy()
    rec.loc[crm & (age > 70) & (rng.random(len(rec)) < 0.02), "deceased"] = True
    rec.loc[crm & ~rec["deceased"].to_numpy() & (rng.random(len(rec)) < 0.008), "gone_away"] = True
    # staff: real people whose web account uses the company domain
    web = (rec["system"] == "web").to_numpy()
    staff = web & (rng.random(len(rec)) < 0.004) & pd.notna(rec["email"]).to_numpy()
    rec.loc[staff, "email"] = [f"{str(fn).lower()}.{str(ln).lower()}@{loc['retailer_domain']}" if locale == "en" else
                               f"staff{int(rng.integers(1000, 9999))}@{loc['retailer_domain']}"
                               for fn, ln in zip(rec.loc[staff, "first_name"], rec.loc[staff, "last_name"])]
    rec.loc[staff, "is_staff"] = True


def _test_accounts(rng, n_records: int, P: dict, loc) -> pd.DataFrame:
    """The web shop's test accounts (no person behind them): one per 2,000 records, between 5 and 60."""
    n_test = int(max(5, min(60, n_records / 2000)))
    tn = [loc["test_names"][i % len(loc["test_names"])] for i in range(n_test)]
    return pd.DataFrame({"pi": -1, "system": "web", "created": pd.Timestamp(P["start_date"]) + pd.to_timedelta(
        rng.uniform(0, 365 * P["years"], n_test), unit="D"), "extra": False,
        "record_id": [f"W{9_900_001 + i:07d}" for i in range(n_test)], "person_id": None,
        "first_name": [a for a, _ in tn], "last_name": [b for _, b in tn],
        "email": [f"test{i}@{loc['retailer_domain']}" if i % 2 else f"qa+{i}@example.com" for i in range(n_test)],
        "phone": None, "street": None, "postal_code": None, "city": None, "birth_date": pd.NaT, "gender": None,
        "email_ok": True, "sms_ok": False, "phone_ok": False, "mail_ok": False, "acq": "web_search", "cac": 0.0,
        "is_test": True, "is_staff": False, "deceased": False, "gone_away": False})


def _record_truth(rec, dirt) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The truth's ``records`` (which person each source record belongs to) and ``raw_dirt`` tables."""
    records = rec[["record_id", "system", "person_id", "extra", "is_test", "is_staff", "deceased", "gone_away",
                   "created"]].rename(columns={"extra": "is_duplicate_record"})
    dirt_df = pd.DataFrame(dirt)
    dirt_df.insert(0, "record_id", rec["record_id"].to_numpy())
    dirt_df.insert(1, "has_email", pd.notna(rec["email"]).to_numpy())
    dirt_df.insert(2, "has_phone", pd.notna(rec["phone"]).to_numpy())
    return records, dirt_df


# ------------------------------------------------------------------------------------------------ order → record
class _OrderRecords:
    """Which customer record each order was placed under (``orec``: a row of the records, -1 for none), and the
    return of each original order (``ret_of``: a row of the orders, -1 when not returned).

    Integer positions throughout (an order's customer row, its system, the record it was placed under): string
    merges and reindexing over millions of orders and lines dominated the time at a million people."""

    def __init__(self, rng, rec, T, keys: dict):
        orders = T["orders"]
        self.orders = orders
        n_o = self.n_orders = len(orders)
        self.o_index = None if {"item_order", "order_original"} <= set(keys) else pd.Index(orders["order_id"])
        n_c = len(T["customers"])
        if "order_customer" in keys:
            o_row = keys["order_customer"]
        else:
            o_row = pd.Index(T["customers"]["customer_id"]).get_indexer(orders["customer_id"])
        sys_code = {"crm": 0, "web": 1, "pos": 2}
        o_sys = orders["channel"].map({c: sys_code[s] for c, s in SYSTEM_OF_CHANNEL.items()}).to_numpy(np.int64)
        o_ts = self.o_ts = orders["order_ts"].to_numpy("datetime64[ns]")
        r_pi = rec["pi"].to_numpy(np.int64)
        r_sys = rec["system"].map(sys_code).to_numpy(np.int64)
        r_created = rec["created"].to_numpy("datetime64[ns]")
        real_rows = np.flatnonzero(r_pi >= 0)
        # first and second record of each (customer, system) by creation time; the home record of each customer
        srt = real_rows[np.lexsort((r_created[real_rows], r_pi[real_rows] * 3 + r_sys[real_rows]))]
        ks = r_pi[srt] * 3 + r_sys[srt]
        head = np.r_[True, ks[1:] != ks[:-1]] if len(ks) else np.zeros(0, bool)
        first_of = np.full(n_c * 3, -1)
        first_of[ks[head]] = srt[head]
        nxt = np.flatnonzero(~head & np.r_[False, head[:-1]]) if len(ks) else np.zeros(0, np.int64)
        second_of = np.full(n_c * 3, -1)
        second_of[ks[nxt]] = srt[nxt]
        home_of = np.full(n_c, -1)
        hr = real_rows[~rec["extra"].to_numpy(bool)[real_rows]]
        home_of[r_pi[hr]] = hr
        has_row = o_row >= 0
        okey = np.where(has_row, o_row * 3 + o_sys, 0)
        orec = np.where(has_row, first_of[okey], -1)
        use_home = has_row & ((orec < 0) | (r_created[np.maximum(orec, 0)] > o_ts))
        orec = np.where(use_home, home_of[np.maximum(o_row, 0)], orec)
        # a re-registered person uses the newer record after it exists
        if len(nxt):
            sec = np.where(has_row, second_of[okey], -1)
            sw = (sec >= 0) & (o_ts >= r_created[np.maximum(sec, 0)]) & (rng.random(n_o) < 0.65)
            orec = np.where(sw, sec, orec)
        # returns belong to the original's record
        is_ret = orders["original_order_id"].notna().to_numpy()
        orig_code = np.full(n_o, -1)
        if "order_original" in keys:
            orig_code[is_ret] = keys["order_original"][is_ret]
        else:
            orig_code[is_ret] = self.o_index.get_indexer(orders["original_order_id"][is_ret])
        orec[is_ret] = np.where(orig_code[is_ret] >= 0, orec[np.maximum(orig_code[is_ret], 0)], -1)
        self.orec = orec
        self.ret_of = np.full(n_o, -1)
        self.ret_of[orig_code[is_ret & (orig_code >= 0)]] = np.flatnonzero(is_ret & (orig_code >= 0))
        self.record_ids = rec["record_id"].reset_index(drop=True)

    @staticmethod
    def take(col: pd.Series, idx):
        """Values of ``col`` at integer positions (-1 → missing), as an array (no index to align)."""
        return col.array.take(np.asarray(idx, np.int64), allow_fill=True)

    def record_of(self, order_ids) -> np.ndarray:
        """The customer record (record_id) each order was placed under."""
        if self.o_index is not None:
            codes = self.o_index.get_indexer(order_ids)
        else:       # few ids: hash them and scan the orders once (no index of all order ids)
            wanted = pd.Index(pd.unique(np.asarray(order_ids, dtype=object)))
            hit = wanted.get_indexer(self.orders["order_id"])
            found = np.full(len(wanted), -1)
            found[hit[hit >= 0]] = np.flatnonzero(hit >= 0)
            codes = found[wanted.get_indexer(order_ids)]
        return self.take(self.record_ids, np.where(codes >= 0, self.orec[np.maximum(codes, 0)], -1))


# ------------------------------------------------------------------------------------------------ the exports
# Each step yields (file name, table) pairs; ``_Exports.add`` takes them as they come.
def _crm_customers(rng, rec, locale):
    """crm_customers.csv: the CRM's customers (titles, day-first dates, MailOK/PhoneOK, deceased/gone away)."""
    c = rec[rec["system"] == "crm"].reset_index(drop=True)
    title = np.where(c["gender"] == "F", np.where(rng.random(len(c)) < 0.5, "Mrs", "Ms"),
                     np.where(c["gender"] == "M", "Mr", ""))
    title = np.where(rng.random(len(c)) < 0.03, "Dr", title)
    gender_crm = c["gender"].map({"F": "F", "M": "M", "U": ""}).to_numpy(dtype=object)
    alt = rng.random(len(c)) < 0.3
    gender_crm[alt] = pd.Series(gender_crm[alt]).map({"F": "Female", "M": "Male", "": ""}).to_numpy()
    gender_crm[rng.random(len(c)) < 0.1] = None
    email_c = c["email"].to_numpy(dtype=object).copy()
    email_c[~c["email_ok"].to_numpy(bool) & (rng.random(len(c)) < 0.6)] = None    # not given without consent
    phone_c = np.array([_fmt_phone(p, 0, locale) if isinstance(p, str) and p.startswith("+")
                        else (p if isinstance(p, str) else None) for p in c["phone"]], dtype=object)
    dob = c["birth_date"].where(rng.random(len(c)) > 0.2)
    status = np.where(c["deceased"], "Deceased", np.where(c["gone_away"], "Gone away", "Active"))
    if locale == "en":
        yield "crm_customers.csv", pd.DataFrame({
            "CustNo": c["record_id"], "Title": title, "FirstName": c["first_name"], "LastName": c["last_name"],
            "Street": c["street"], "PostCode": c["postal_code"], "City": c["city"], "Phone": phone_c, "Email": email_c,
            "DOB": _dates(dob, "%d/%m/%Y"), "Gender": gender_crm, "Created": _dates(c["created"], "%d.%m.%Y"),
            "MailOK": np.where(c["mail_ok"], "Y", "N"), "PhoneOK": np.where(c["phone_ok"], "Y", "N"),
            "Source": c["acq"], "AcqCost": c["cac"].round(2), "Status": status})
    else:
        gz = pd.Series(gender_crm).map({"F": "女", "M": "男", "Female": "女", "Male": "男", "": ""}).to_numpy()
        yield "crm_customers.csv", pd.DataFrame({
            "客户编号": c["record_id"], "姓": c["last_name"], "名": c["first_name"], "地址": c["street"],
            "邮编": c["postal_code"], "城市": c["city"], "电话": phone_c, "邮箱": email_c,
            "出生日期": _zh_date(dob), "性别": gz, "建档日期": _dates(c["created"], "%Y/%m/%d"),
            "允许邮寄": np.where(c["mail_ok"], "是", "否"), "允许电话": np.where(c["phone_ok"], "是", "否"),
            "来源": c["acq"], "获客成本": c["cac"].round(2),
            "状态": np.where(c["deceased"], "已故", np.where(c["gone_away"], "地址无效", "正常"))})


def _web_accounts(rng, rec, locale):
    """web_accounts.csv: the web shop's accounts (ISO dates with a few day-first, "NULL"-like blanks)."""
    w = rec[rec["system"] == "web"].reset_index(drop=True)
    bday = w["birth_date"].where(rng.random(len(w)) > 0.45)
    bday_s = _dates(bday, "%Y-%m-%d")
    flip = rng.random(len(w)) < 0.01
    bday_s[flip] = _dates(bday[flip], "%d/%m/%Y")
    phone_w = np.array([_fmt_phone(p, int(s), locale) if isinstance(p, str) and p.startswith("+")
                        else (p if isinstance(p, str) else None)
                        for p, s in zip(w["phone"], rng.integers(1, 5, len(w)))], dtype=object)
    phone_w[~(w["sms_ok"] | w["phone_ok"]).to_numpy(bool) & (rng.random(len(w)) < 0.5)] = None
    gender_w = w["gender"].map({"F": "f", "M": "m", "U": "u"}).to_numpy(dtype=object)
    gender_w[rng.random(len(w)) < 0.3] = None
    zipc = w["postal_code"].to_numpy(dtype=object).copy()
    if locale == "en":  # spreadsheets drop leading zeros of ZIP codes
        lz = np.array([isinstance(z, str) and z.startswith("0") for z in zipc]) & (rng.random(len(w)) < 0.5)
        zipc[lz] = [z.lstrip("0") for z in zipc[lz]]
    yield "web_accounts.csv", pd.DataFrame({
        "account_id": w["record_id"], "email": w["email"], "first_name": w["first_name"], "last_name": w["last_name"],
        "mobile": _nullish(rng, phone_w),
        "address": np.where(rng.random(len(w)) < 0.12, None, w["street"].to_numpy(dtype=object)),
        "zip": zipc, "city": w["city"], "birthday": _nullish(rng, bday_s.to_numpy()),
        "gender": gender_w, "created_at": _strftime(w["created"], "%Y-%m-%dT%H:%M:%S"),
        "newsletter": np.where(w["email_ok"], "yes", "no"), "sms_ok": np.where(w["sms_ok"], 1, 0),
        "acquisition_source": w["acq"], "acquisition_cost": w["cac"].round(2)})


def _loyalty_members(rng, rec, locale):
    """loyalty_members.xlsx: the store loyalty programme's members ("LAST, First" names, month-first birthdays)."""
    p = rec[rec["system"] == "pos"].reset_index(drop=True)
    if locale == "en":
        name = (p["last_name"].astype(str).str.upper() + ", " + p["first_name"].astype(str)).to_numpy(dtype=object)
    else:
        name = (p["last_name"].astype(str) + p["first_name"].astype(str)).to_numpy(dtype=object)
    phone_p = np.array([_fmt_phone(ph, 3 if locale == "en" else 0, locale) if isinstance(ph, str) and ph.startswith("+")
                        else (ph if isinstance(ph, str) else None)
                        for ph in p["phone"]], dtype=object)
    email_p = p["email"].to_numpy(dtype=object).copy()
    email_p[~p["email_ok"].to_numpy(bool) & (rng.random(len(p)) < 0.7)] = None
    bd = p["birth_date"].where(rng.random(len(p)) > 0.25)
    tier = np.where(rng.random(len(p)) < 0.08, "Gold", np.where(rng.random(len(p)) < 0.02, "Platinum", "Member"))
    hdr = {"CardNo": "会员卡号", "Name": "姓名", "Phone": "手机号", "Email": "邮箱", "Address": "地址",
           "Postcode": "邮编", "BirthDate": "生日",
           "Joined": "入会日期", "HomeStore": "门店", "Tier": "等级"} if locale == "zh" else None
    loy = pd.DataFrame({"CardNo": p["record_id"], "Name": name, "Phone": phone_p, "Email": email_p,
                        "Address": np.where(rng.random(len(p)) < 0.2, None, p["street"].to_numpy(dtype=object)),
                        "Postcode": p["postal_code"], "BirthDate": _dates(bd, "%m/%d/%Y"),
                        "Joined": p["created"].dt.normalize(), "HomeStore": p["city"], "Tier": tier,
                        "SMS": np.where(p["sms_ok"], "Y", "N"), "Mail": np.where(p["mail_ok"], "Y", "N")})
    if hdr:
        loy = loy.rename(columns={**hdr, "SMS": "短信", "Mail": "邮寄"})
    yield "loyalty_members.xlsx", loy


def _sales(rng, world, rec, ix, keys, sym):
    """The sales exports: store tills, web shop orders and lines, CRM catalogue orders and lines."""
    items = world.tables["order_items"]
    it_code = keys["item_order"] if "item_order" in keys else ix.o_index.get_indexer(items["order_id"])
    it_ok = it_code >= 0
    it_code = np.maximum(it_code, 0)
    yield from _pos_sales(rng, world, ix, it_code, it_ok, sym)
    yield from _web_orders(rng, world, rec, ix, it_code, it_ok)
    yield from _crm_orders(rng, world.tables, ix, it_code, it_ok)


def _pos_sales(rng, world, ix, it_code, it_ok, sym):
    """pos_sales.csv: invoice lines of the store tills; returns as negative lines on R-invoices, walk-in sales
    without a card, prices as printed."""
    T, P = world.tables, world.params
    orders, items, prods = ix.orders, T["order_items"], T["products"]
    n_o, o_ts, orec, ret_of, record_ids, _take = ix.n_orders, ix.o_ts, ix.orec, ix.ret_of, ix.record_ids, ix.take
    price_of = prods["list_price"].to_numpy()
    completed = (orders["status"] == "completed").to_numpy()
    store_o = (orders["channel"] == "store").to_numpy()
    o_ids, o_store = orders["order_id"], orders["store_id"]
    li = np.flatnonzero(it_ok & (store_o & completed)[it_code])
    li_o = it_code[li]
    # returns: the original invoice's lines, negated, on the R-invoice
    r_of_line = ret_of[it_code]
    rl = np.flatnonzero(it_ok & (r_of_line >= 0) & store_o[np.maximum(r_of_line, 0)])
    rl_o = r_of_line[rl]
    # walk-in sales without a loyalty card
    n_anon = int((store_o & completed).sum() * 0.12)
    ats = pd.Timestamp(P["start_date"]) + pd.to_timedelta(rng.uniform(0, 365.25 * P["years"], n_anon), unit="D")
    a_lines = 1 + rng.poisson(0.8, n_anon)
    a_ord = np.repeat(np.arange(n_anon), a_lines)
    stores = T["stores"]["store_id"].to_numpy()
    a_prod = rng.integers(0, len(prods), len(a_ord))
    a_store = stores[rng.integers(0, len(stores), n_anon)][a_ord] if n_anon else np.array([], dtype=object)
    a_line_no = np.arange(len(a_ord)) - np.repeat(np.cumsum(a_lines) - a_lines, a_lines) + 1

    def cat(*parts):
        return pd.concat([pd.Series(p) for p in parts], ignore_index=True)

    q, disc = items["quantity"].to_numpy(), items["discount"].to_numpy()
    pos = pd.DataFrame({
        "order_id": cat(_take(o_ids, li_o), _take(o_ids, rl_o),
                        pd.Series(np.char.add("S", (90_000_000 + a_ord).astype(str)), dtype="str")),
        "line_no": np.concatenate([items["line_no"].to_numpy()[li], items["line_no"].to_numpy()[rl], a_line_no]),
        "product_id": cat(_take(items["product_id"], li), _take(items["product_id"], rl),
                          _take(prods["product_id"], a_prod)),
        "quantity": np.concatenate([q[li], -q[rl], np.ones(len(a_ord), q.dtype)]),
        "unit_price": np.concatenate([items["unit_price"].to_numpy()[li], items["unit_price"].to_numpy()[rl],
                                      price_of[a_prod]]),
        "discount": np.concatenate([disc[li], -disc[rl], np.zeros(len(a_ord))]),
        "order_ts": np.concatenate([o_ts[li_o], o_ts[rl_o], ats[a_ord].floor("s").to_numpy("datetime64[ns]")]),
        "store_id": cat(_take(o_store, li_o), _take(o_store, rl_o), pd.Series(a_store, dtype="str")),
        "card_no": cat(_take(record_ids, orec[li_o]), _take(record_ids, orec[rl_o]),
                       pd.Series([None] * len(a_ord), dtype="str")),
        "orig_invoice": cat(pd.Series([None] * len(li), dtype="str"), _take(o_ids, it_code[rl]),
                            pd.Series([None] * len(a_ord), dtype="str")),
    })
    # by time, invoice (sales, then returns, then walk-ins at the same second), line
    tie = np.concatenate([li_o, n_o + rl_o, 2 * n_o + a_ord])
    pos = pos.iloc[np.lexsort((pos["line_no"].to_numpy(), tie, pos["order_ts"].to_numpy()))].reset_index(drop=True)
    yield "pos_sales.csv", pd.DataFrame({
        "invoice_no": pos["order_id"], "line": pos["line_no"], "store": pos["store_id"],
        "datetime": _strftime(pos["order_ts"], "%Y-%m-%d %H:%M:%S"), "card_no": pos["card_no"],
        "sku": pos["product_id"], "qty": pos["quantity"].astype(int),
        "unit_price": _money(rng, pos["unit_price"].to_numpy(), sym), "line_discount": pos["discount"].round(2),
        "orig_invoice": pos["orig_invoice"]})


def _web_orders(rng, world, rec, ix, it_code, it_ok):
    """web_orders.csv and web_order_lines.csv (web and app; RETURNED/CANCELLED statuses, the test accounts'
    orders, a few impossible time stamps)."""
    T, P = world.tables, world.params
    orders, items, prods = ix.orders, T["order_items"], T["products"]
    o_ts, orec, ret_of, record_ids, _take = ix.o_ts, ix.orec, ix.ret_of, ix.record_ids, ix.take
    price_of = prods["list_price"].to_numpy()
    status, channel, o_ids = orders["status"], orders["channel"], orders["order_id"]
    cancelled = (status == "cancelled").to_numpy()
    web_o = ((channel == "web") | (channel == "app")).to_numpy()
    returned = (status == "returned").to_numpy()
    b = np.flatnonzero(web_o & ~returned)
    b_ret = ret_of[b]
    base = pd.DataFrame({
        "order_id": _take(o_ids, b), "account": _take(record_ids, orec[b]), "order_ts": o_ts[b],
        "channel": _take(channel, b),
        "status_raw": np.where(cancelled[b], "CANCELLED", np.where(b_ret >= 0, "RETURNED", "COMPLETE")),
        "returned_at": np.where(b_ret >= 0, o_ts[np.maximum(b_ret, 0)], np.datetime64("NaT")),
        "gross_amount": orders["gross_amount"].to_numpy()[b], "discount": orders["discount"].to_numpy()[b],
        "net_amount": orders["net_amount"].to_numpy()[b]})
    # test accounts place a few orders too
    tests = rec[rec["is_test"]]
    n_to = len(tests) * 2
    t_orders = pd.DataFrame({"order_id": pd.Series([f"W{95_000_000 + i}" for i in range(n_to)], dtype="str"),
                             "account": np.repeat(tests["record_id"].to_numpy(), 2),
                             "order_ts": pd.Timestamp(P["start_date"])
                             + pd.to_timedelta(rng.uniform(1, 365 * P["years"], n_to), unit="D"),
                             "channel": "web", "status_raw": "COMPLETE", "returned_at": pd.NaT})
    t_prod = rng.integers(0, len(prods), n_to)
    t_orders["order_ts"] = t_orders["order_ts"].dt.floor("s")
    t_lines = pd.DataFrame({"order_id": t_orders["order_id"], "line_no": 1,
                            "product_id": prods["product_id"].to_numpy()[t_prod], "quantity": 1, "discount": 0.0,
                            "unit_price": price_of[t_prod]})
    t_orders["gross_amount"] = t_lines["unit_price"].to_numpy()
    t_orders["discount"] = 0.0
    t_orders["net_amount"] = t_orders["gross_amount"]
    wl = np.flatnonzero(it_ok & (web_o & ~returned)[it_code])
    wlines = pd.concat([items.iloc[wl], t_lines], ignore_index=True)
    base = pd.concat([base, t_orders], ignore_index=True)
    base = base.iloc[np.argsort(base["order_ts"].to_numpy(), kind="stable")].reset_index(drop=True)
    ts = _strftime(base["order_ts"], "%Y-%m-%dT%H:%M:%S")
    fut = rng.random(len(base)) < 0.0003
    ts[fut] = "2099" + ts[fut].str.slice(4)
    garbled = rng.random(len(base)) < 0.0002
    ts[garbled] = "0000-00-00T00:00:00"
    yield "web_orders.csv", pd.DataFrame({
        "order_id": base["order_id"], "account_id": base["account"], "created_at": ts,
        "channel": base["channel"].str.upper(), "status": base["status_raw"], "subtotal": base["gross_amount"].round(2),
        "discount": base["discount"].round(2), "total": base["net_amount"].round(2),
        "returned_at": _strftime(base["returned_at"], "%Y-%m-%dT%H:%M:%S")})
    # by order number (W + 8 digits, so numeric order is text order) and line
    serial = wlines["order_id"].str.slice(1).astype("int64").to_numpy()
    wlines = wlines.iloc[np.lexsort((wlines["line_no"].to_numpy(), serial))]
    yield "web_order_lines.csv", pd.DataFrame({
        "order_id": wlines["order_id"], "line": wlines["line_no"], "sku": wlines["product_id"],
        "qty": wlines["quantity"].astype(int), "price": wlines["unit_price"].round(2),
        "line_discount": wlines["discount"].round(2)}).reset_index(drop=True)


def _crm_orders(rng, T, ix, it_code, it_ok):
    """crm_orders.csv and crm_order_lines.csv: catalogue and phone orders (day-first dates)."""
    orders, items = ix.orders, T["order_items"]
    o_ts, orec, ret_of, record_ids, _take = ix.o_ts, ix.orec, ix.ret_of, ix.record_ids, ix.take
    status, channel, o_ids = orders["status"], orders["channel"], orders["order_id"]
    cancelled = (status == "cancelled").to_numpy()
    returned = (status == "returned").to_numpy()
    cat_o = (channel == "catalog").to_numpy()
    cb = np.flatnonzero(cat_o & ~returned)
    cb = cb[np.argsort(o_ts[cb], kind="stable")]
    cb_ret = ret_of[cb]
    yield "crm_orders.csv", pd.DataFrame({
        "OrderNo": _take(o_ids, cb), "CustNo": _take(record_ids, orec[cb]),
        "OrderDate": _strftime(o_ts[cb], "%d/%m/%Y %H:%M"),
        "Channel": np.where(rng.random(len(cb)) < 0.6, "Catalogue", "Phone"),
        "Gross": orders["gross_amount"].to_numpy()[cb].round(2), "Discount": orders["discount"].to_numpy()[cb].round(2),
        "Net": orders["net_amount"].to_numpy()[cb].round(2),
        "Status": np.where(cancelled[cb], "Cancelled", np.where(cb_ret >= 0, "Returned", "Completed")),
        "ReturnDate": _strftime(np.where(cb_ret >= 0, o_ts[np.maximum(cb_ret, 0)], np.datetime64("NaT")), "%d/%m/%Y")})
    cl = items.iloc[np.flatnonzero(it_ok & (cat_o & ~returned)[it_code])]
    yield "crm_order_lines.csv", pd.DataFrame({"OrderNo": cl["order_id"],
                                               "LineNo": cl["line_no"], "SKU": cl["product_id"],
                                               "Qty": cl["quantity"].astype(int),
                                               "UnitPrice": cl["unit_price"].round(2),
                                               "Discount": cl["discount"].round(2)}).reset_index(drop=True)


def _products_and_areas(T):
    """products.csv (the product master) and area_demographics.csv (purchased postal-area statistics)."""
    pr = T["products"]
    yield "products.csv", pd.DataFrame({"sku": pr["product_id"], "description": pr["name"], "category": pr["category"],
                                        "subcategory": pr["subcategory"], "cost": pr["unit_cost"],
                                        "price": pr["list_price"]})
    ar = T["area_demographics"]
    yield "area_demographics.csv", ar.rename(columns={"age_18_34": "share_18_34", "age_35_54": "share_35_54",
                                                      "age_55_plus": "share_55_plus"}).drop(columns=["state"])


def _campaign_files(T, home_rec, cust, ix, locale):
    """The marketing team's campaign records and the e-mail/SMS platforms' event logs (header-only files when
    there were no past campaigns)."""
    if len(T["campaigns"]):
        cm = T["campaigns"]
        chan_raw = {"email": "EMAIL", "sms": "SMS", "mail": "DM", "phone": "PHONE"}
        yield "campaigns.csv", pd.DataFrame({
            "campaign_code": cm["campaign_id"], "campaign_name": cm["name"], "channel": cm["channel"].map(chan_raw),
            "offer": cm["offer"], "start": _strftime(cm["start_date"], "%Y-%m-%d"),
            "end": _strftime(cm["end_date"], "%Y-%m-%d"), "cost_per_contact": cm["cost_per_contact"],
            "fixed_cost": cm["fixed_cost"], "audience": cm["segment"]})
        ct = T["contacts"]
        yield "campaign_history.csv", pd.DataFrame({
            "campaign_code": ct["campaign_id"],
            "customer_ref": home_rec["record_id"].reindex(ct["customer_id"]).to_numpy(),
            "cell_code": ct["cell"], "grp": np.where(ct["group"] == "control", "C", "T"),
            "contact_date": _strftime(ct["contact_ts"], "%Y-%m-%d %H:%M"), "channel": ct["channel"].map(chan_raw)})
        rs = T["responses"]
        yield "coupon_redemptions.csv", pd.DataFrame({
            "campaign_code": rs["campaign_id"], "customer_ref": ix.record_of(rs["order_id"]),
            "order_ref": rs["order_id"], "redeemed_at": _strftime(rs["response_ts"], "%Y-%m-%d %H:%M:%S"),
            "order_value": rs["revenue"].round(2)})
        em = T["email_events"]
        ev_name = {"sent": "send", "delivered": "delivery", "bounced": "bounce", "opened": "open", "clicked": "click",
                   "unsubscribed": "unsubscribe", "complained": "spamreport"}
        addr = home_rec["email"].reindex(em["customer_id"]).to_numpy(dtype=object)
        yield "email_events.csv", pd.DataFrame({"campaign": em["campaign_id"], "email": addr,
                                                "event": em["event"].map(ev_name),
                                                "timestamp": _strftime(em["event_ts"], "%Y-%m-%dT%H:%M:%SZ")})
        sm = T["sms_events"]
        sms_name = {"sent": "SENT", "delivered": "DELIVERED", "bounced": "FAILED", "clicked": "CLICKED",
                    "replied": "REPLIED", "unsubscribed": "OPTOUT"}
        true_phone = cust["phone"].reindex(sm["customer_id"]).to_numpy(dtype=object)
        yield "sms_events.csv", pd.DataFrame({"campaign": sm["campaign_id"],
                                              "mobile": [_fmt_phone(x, 2, locale) if isinstance(x, str) else None
                                                         for x in true_phone],
                                              "status": sm["event"].map(sms_name),
                                              "ts": _strftime(sm["event_ts"], "%Y-%m-%d %H:%M:%S")})

    else:   # no past campaigns: the marketing team's files exist but hold only their headers
        for fname, spec in _file_specs(locale).items():
            if spec["table"] in ("campaigns", "contacts", "responses", "email_events", "sms_events"):
                yield fname, pd.DataFrame(columns=list(dict.fromkeys(spec["columns"].values())))


def _consent_files(T, home_rec):
    """preference_log.csv (the preference centre's later opt-ins/opt-outs) and email_subscribers.tsv (the e-mail
    platform: one row per address, latest status)."""
    cons = T["consents"]
    later = cons[cons.duplicated(["customer_id", "channel"], keep="first")]
    em_l = later[later["channel"] == "email"]
    oth = later[later["channel"] != "email"]
    pref_ch = {"sms": "SMS", "phone": "PHONE", "mail": "POST"}
    yield "preference_log.csv", pd.DataFrame({
        "customer_ref": home_rec["record_id"].reindex(oth["customer_id"]).to_numpy(),
        "channel": oth["channel"].map(pref_ch), "action": np.where(oth["status"] == "opt_out", "OPT_OUT", "OPT_IN"),
        "changed_at": _strftime(oth["updated_at"], "%Y-%m-%d %H:%M:%S")})
    # the e-mail platform: one row per address, latest status
    last_email = cons[cons["channel"] == "email"].drop_duplicates("customer_id", keep="last")
    addr = home_rec["email"].reindex(last_email["customer_id"]).to_numpy(dtype=object)
    subs = pd.DataFrame({"email": addr,
                         "status": np.where(last_email["status"] == "opt_in", "subscribed", "unsubscribed"),
                         "last_changed": _strftime(last_email["updated_at"], "%Y-%m-%d %H:%M:%S")})
    subs = subs[subs["email"].notna() & ((subs["status"] == "subscribed") |
                                         _isin(last_email["customer_id"], set(em_l["customer_id"])))]
    yield "email_subscribers.tsv", subs.reset_index(drop=True)


def _fault_crm_orders(crm: pd.DataFrame, rng) -> pd.DataFrame:
    if len(crm) <= 50:
        return crm
    same = crm.iloc[np.sort(rng.choice(len(crm), max(1, int(len(crm) * 0.003)), replace=False))]
    edited = crm.iloc[np.sort(rng.choice(len(crm), max(1, int(len(crm) * 0.001)), replace=False))].copy()
    edited["Net"] = (edited["Net"] * 1.1).round(2)
    return pd.concat([crm, same, edited], ignore_index=True)


def _fault_pos_sales(pos: pd.DataFrame, rng) -> pd.DataFrame:
    if len(pos) <= 50:
        return pos
    k = np.sort(rng.choice(len(pos), max(1, int(len(pos) * 0.002)), replace=False))
    void = pos.iloc[k].copy()
    void["qty"] = 0
    void["line"] = void["line"] + 100
    # each voided scan right after the line it repeats
    order = np.argsort(np.concatenate([np.arange(len(pos)), k]), kind="stable")
    return pd.concat([pos, void], ignore_index=True).iloc[order].reset_index(drop=True)


def _fault_email_events(ev: pd.DataFrame, rng) -> pd.DataFrame:
    if len(ev) <= 10:
        return ev
    cut = len(ev) // 2
    header = pd.DataFrame([dict(zip(ev.columns, ev.columns))])
    return pd.concat([ev.iloc[:cut], header, ev.iloc[cut:]], ignore_index=True)


def _fault_web_accounts(web: pd.DataFrame, rng) -> pd.DataFrame:
    if len(web) <= 50:
        return web
    filled = np.flatnonzero(web["birthday"].notna().to_numpy() & ~web["birthday"].isin(NULLISH).to_numpy())
    k = rng.choice(filled, max(1, int(len(filled) * 0.003)), replace=False) if len(filled) else []
    web = web.copy()
    # impossible dates typed into the sign-up form: the row loads, the value is left empty (value_issues)
    web.loc[web.index[k], "birthday"] = [f"{int(d):02d}/{int(m):02d}/{int(y)}" for d, m, y in zip(
        rng.integers(30, 32, len(k)), np.full(len(k), 2), rng.integers(1950, 2000, len(k)))]
    return web


def _fault_preference_log(pref: pd.DataFrame, rng) -> pd.DataFrame:
    if len(pref) <= 20:
        return pref
    k = rng.choice(len(pref), 3, replace=False)
    lost = pref.iloc[np.sort(k)].copy()
    lost["channel"] = "N/A"
    return pd.concat([pref, lost], ignore_index=True)


# file → (its own random stream, the fault)
_FAULTS = {"crm_orders.csv": (1, _fault_crm_orders), "pos_sales.csv": (2, _fault_pos_sales),
           "email_events.csv": (3, _fault_email_events), "web_accounts.csv": (4, _fault_web_accounts),
           "preference_log.csv": (5, _fault_preference_log)}


def plant_file_fault(name: str, df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The export ``name`` with the file-level fault of real exports that ingest must quarantine (all rows are
    extra or values unreadable: the clean content of the files is unchanged, so the database built from them is
    too). Each file has its own random stream, so every other generated value stays as it was.

    * crm_orders.csv: overlapping exports repeat 0.3 % of the orders exactly, and 0.1 % come again with a changed
      net amount (edited after the first export);
    * pos_sales.csv: voided scans — 0.2 % extra lines with quantity 0;
    * email_events.csv: two monthly exports concatenated, so the header line appears again in the middle;
    * web_accounts.csv: 0.3 % of the birthdays are impossible dates (30/02/1975): the value is unreadable, the row
      is not;
    * preference_log.csv: a few changes whose channel was lost ("N/A").
    """
    if name not in _FAULTS:
        return df
    k, fault = _FAULTS[name]
    return fault(df, np.random.default_rng([seed, 7301, k]))


class _Exports(dict):
    """The raw exports as they are built: each gets its file fault; with a ``sink`` (e.g. a writer) each is handed
    over at once and not kept, so a million people's exports never sit in memory together."""

    def __init__(self, seed: int, sink=None):
        super().__init__()
        self.seed, self.sink = seed, sink

    def __setitem__(self, name: str, df: pd.DataFrame) -> None:
        df = plant_file_fault(name, df, self.seed)
        if self.sink is None:
            super().__setitem__(name, df)
        else:
            self.sink(name, df)

    def add(self, exports) -> None:
        """Take the (file name, table) pairs of one export step, each as soon as it is built."""
        for name, df in exports:
            self[name] = df
            del df                        # not kept alive while the step builds its next export


# ------------------------------------------------------------------------------------------------ files + mapping
def _file_specs(locale: str) -> dict[str, dict]:
    """How each raw file is written and how it maps onto the canonical tables."""
    zh = locale == "zh"
    crm_cols = ({"customer_id": "客户编号", "last_name": "姓", "first_name": "名",
                 "street": "地址", "postal_code": "邮编",
                 "city": "城市", "phone": "电话", "email": "邮箱", "birth_date": "出生日期", "gender": "性别",
                 "signup_date": "建档日期", "mail_consent": "允许邮寄", "phone_consent": "允许电话",
                 "acquisition_channel": "来源", "acquisition_cost": "获客成本", "deceased": "状态", "gone_away": "状态"}
                if zh else
                {"customer_id": "CustNo", "first_name": "FirstName", "last_name": "LastName", "street": "Street",
                 "postal_code": "PostCode", "city": "City", "phone": "Phone", "email": "Email", "birth_date": "DOB",
                 "gender": "Gender", "signup_date": "Created", "mail_consent": "MailOK", "phone_consent": "PhoneOK",
                 "acquisition_channel": "Source", "acquisition_cost": "AcqCost", "deceased": "Status",
                 "gone_away": "Status"})
    loy_cols = ({"customer_id": "会员卡号", "full_name": "姓名", "phone": "手机号", "email": "邮箱", "street": "地址",
                 "postal_code": "邮编",
                 "birth_date": "生日", "signup_date": "入会日期", "city": "门店", "sms_consent": "短信",
                 "mail_consent": "邮寄"} if zh else
                {"customer_id": "CardNo", "full_name": "Name", "phone": "Phone", "email": "Email", "street": "Address",
                 "postal_code": "Postcode", "birth_date": "BirthDate", "signup_date": "Joined", "city": "HomeStore",
                 "sms_consent": "SMS", "mail_consent": "Mail"})
    specs = {
        "crm_customers.csv": dict(table="customers", sep=";", encoding="gb18030" if zh else "cp1252",
                                  source_system="crm", date_format="%Y/%m/%d" if zh else "%d/%m/%Y", columns=crm_cols,
                                  constants={}),
        "web_accounts.csv": dict(table="customers", sep=",", encoding="utf-8-sig", source_system="web",
                                 columns={"customer_id": "account_id", "email": "email", "first_name": "first_name",
                                          "last_name": "last_name", "phone": "mobile", "street": "address",
                                          "postal_code": "zip",
                                          "city": "city", "birth_date": "birthday", "gender": "gender",
                                          "signup_date": "created_at", "email_consent": "newsletter",
                                          "sms_consent": "sms_ok", "acquisition_channel": "acquisition_source",
                                          "acquisition_cost": "acquisition_cost"}),
        "loyalty_members.xlsx": dict(table="customers", format="excel", sheet="Members", header_row=2,
                                     source_system="pos", date_format="%m/%d/%Y", columns=loy_cols,
                                     constants={"acquisition_channel": "store"}),
        "pos_sales.csv": dict(table="sales_lines", sep="|", encoding="utf-8", source_system="pos",
                              columns={"order_id": "invoice_no", "line_no": "line", "store_id": "store",
                                       "order_ts": "datetime", "customer_id": "card_no", "product_id": "sku",
                                       "quantity": "qty", "unit_price": "unit_price", "discount": "line_discount",
                                       "original_order_id": "orig_invoice"},
                              constants={"channel": "store"}),
        "web_orders.csv": dict(table="orders", sep=",", encoding="utf-8", source_system="web",
                               columns={"order_id": "order_id", "customer_id": "account_id", "order_ts": "created_at",
                                        "channel": "channel", "status": "status", "gross_amount": "subtotal",
                                        "discount": "discount", "net_amount": "total", "returned_at": "returned_at"}),
        "web_order_lines.csv": dict(table="order_items", sep=",", encoding="utf-8", source_system="web",
                                    columns={"order_id": "order_id", "line_no": "line", "product_id": "sku",
                                             "quantity": "qty", "unit_price": "price", "discount": "line_discount"}),
        "crm_orders.csv": dict(table="orders", sep=";", encoding="gb18030" if zh else "cp1252", source_system="crm",
                               date_format="%d/%m/%Y",
                               columns={"order_id": "OrderNo", "customer_id": "CustNo", "order_ts": "OrderDate",
                                        "channel": "Channel", "gross_amount": "Gross", "discount": "Discount",
                                        "net_amount": "Net", "status": "Status", "returned_at": "ReturnDate"}),
        "crm_order_lines.csv": dict(table="order_items", sep=";", encoding="gb18030" if zh else "cp1252",
                                    source_system="crm",
                                    columns={"order_id": "OrderNo", "line_no": "LineNo", "product_id": "SKU",
                                             "quantity": "Qty", "unit_price": "UnitPrice", "discount": "Discount"}),
        "products.csv": dict(table="products", sep=",", encoding="utf-8",
                             columns={"product_id": "sku", "name": "description", "category": "category",
                                      "subcategory": "subcategory", "unit_cost": "cost", "list_price": "price"}),
        "area_demographics.csv": dict(table="area_demographics", sep=",", encoding="utf-8",
                                      columns={"postal_code": "postal_code", "city": "city", "households": "households",
                                               "population": "population", "median_income": "median_income",
                                               "age_18_34": "share_18_34", "age_35_54": "share_35_54",
                                               "age_55_plus": "share_55_plus"}),
        "campaigns.csv": dict(table="campaigns", sep=",", encoding="utf-8",
                              columns={"campaign_id": "campaign_code", "name": "campaign_name", "channel": "channel",
                                       "offer": "offer", "start_date": "start", "end_date": "end",
                                       "cost_per_contact": "cost_per_contact", "fixed_cost": "fixed_cost",
                                       "segment": "audience"}),
        "campaign_history.csv": dict(table="contacts", sep=",", encoding="utf-8",
                                     columns={"campaign_id": "campaign_code", "customer_id": "customer_ref",
                                              "cell": "cell_code", "group": "grp", "contact_ts": "contact_date",
                                              "channel": "channel"}),
        "coupon_redemptions.csv": dict(table="responses", sep=",", encoding="utf-8",
                                       columns={"campaign_id": "campaign_code", "customer_id": "customer_ref",
                                                "order_id": "order_ref", "response_ts": "redeemed_at",
                                                "revenue": "order_value"}),
        "email_events.csv": dict(table="email_events", sep=",", encoding="utf-8",
                                 columns={"campaign_id": "campaign", "email": "email", "event": "event",
                                          "event_ts": "timestamp"}),
        "sms_events.csv": dict(table="sms_events", sep=",", encoding="utf-8",
                               columns={"campaign_id": "campaign", "phone": "mobile", "event": "status",
                                        "event_ts": "ts"}),
        "email_subscribers.tsv": dict(table="consents", sep="\t", encoding="utf-8",
                                      columns={"email": "email", "status": "status", "updated_at": "last_changed"},
                                      constants={"channel": "email"}),
        "preference_log.csv": dict(table="consents", sep=",", encoding="utf-8",
                                   columns={"customer_id": "customer_ref", "channel": "channel", "status": "action",
                                            "updated_at": "changed_at"}),
    }
    if zh:                      # the app contact points and their consent (dbmkit.datasets.app_contacts)
        for fname, extra in APP_FILE_SPECS.items():
            if fname in specs:
                specs[fname]["columns"].update(extra)
            else:
                specs[fname] = dict(extra, columns=dict(extra["columns"]))
    return specs


def sources_mapping(locale: str, directory: str = "raw") -> dict:
    """The ``data.sources`` block of a client config that reads the raw exports from ``directory``."""
    out: dict[str, list] = {}
    for fname, spec in _file_specs(locale).items():
        entry = {"path": f"{directory}/{fname}"}
        if spec.get("format"):
            entry["format"] = spec["format"]
        if "sep" in spec:
            entry["delimiter"] = spec["sep"]
        if "encoding" in spec:
            entry["encoding"] = spec["encoding"]
        for k in ("sheet", "header_row", "source_system", "date_format"):
            if spec.get(k) is not None:
                entry[k] = spec[k]
        entry["columns"] = dict(spec["columns"])
        if spec.get("constants"):
            entry["constants"] = dict(spec["constants"])
        out.setdefault(spec["table"], []).append(entry)
    return out


def write_csv(df: pd.DataFrame, path: Path, sep: str = ",", encoding: str = "utf-8") -> None:
    """Write ``df`` as CSV, byte for byte as ``df.to_csv(path, sep=sep, index=False, encoding=encoding,
    lineterminator="\\n", errors="replace")`` would, but several times faster: DuckDB writes UTF-8 (in C++, on all
    cores), then other encodings (cp1252, GB18030, UTF-8 with BOM …) are transcoded in large blocks."""
    import codecs
    import os

    import duckdb
    out = df.copy(deep=False)
    for c in out.columns:            # Python objects and booleans as pandas writes them (str(); True/False)
        if out[c].dtype == object or pd.api.types.is_bool_dtype(out[c].dtype):
            out[c] = out[c].astype("str")
        if pd.api.types.is_string_dtype(out[c].dtype):   # pandas writes "" unquoted, like a missing value
            out[c] = out[c].mask(out[c] == "")
    tmp = path.with_name(path.name + ".utf8.tmp") if codecs.lookup(encoding).name != "utf-8" else path
    con = duckdb.connect()
    try:
        con.register("_raw_export", out)
        delim = sep.replace("'", "''")
        con.execute(f"COPY _raw_export TO '{str(tmp).replace(chr(39), chr(39) * 2)}' "
                    f"(FORMAT csv, HEADER, DELIMITER '{delim}')")
    finally:
        con.close()
    if tmp != path:
        dec = codecs.getincrementaldecoder("utf-8")()
        enc = codecs.getincrementalencoder(encoding)(errors="replace")
        with open(tmp, "rb") as src, open(path, "wb") as dst:
            while block := src.read(1 << 24):
                dst.write(enc.encode(dec.decode(block)))
            dst.write(enc.encode(dec.decode(b"", final=True), final=True))
        os.remove(tmp)


def write_raw_file(fname: str, df: pd.DataFrame, locale: str, directory: Path) -> Path:
    """Write one export with its system's conventions (separator, encoding, Excel title rows)."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = _file_specs(locale)[fname]
    path = directory / fname
    if fname.endswith(".xlsx"):
        title = "Loyalty programme — member export" if locale == "en" else "会员计划 — 会员导出"
        note = "Confidential. Generated by LoyaltyPro 7.2" if locale == "en" else "内部资料 LoyaltyPro 7.2 导出"
        write_xlsx(path, {"Members": df}, title_rows=[title, note])
    else:
        write_csv(df, path, sep=spec["sep"], encoding=spec["encoding"])
    return path


def write_sources_yaml(locale: str, directory: Path) -> Path:
    """The ``sources.yaml`` describing the exports of ``directory`` (the mapping a consultant would write)."""
    directory.mkdir(parents=True, exist_ok=True)
    mapping = sources_mapping(locale, directory=".")
    path = directory / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": mapping}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_raw_files(raw: dict[str, pd.DataFrame], locale: str, directory: Path) -> Path:
    """Write the exports with their own conventions and a ``sources.yaml`` describing them."""
    for fname, df in raw.items():
        write_raw_file(fname, df, locale, directory)
    write_sources_yaml(locale, directory)
    return directory
