"""The synthetic retailer's app contact points (Chinese edition): WeChat openids and app push tokens with their
consent — only for ``locale="zh"``.

A Chinese retailer reaches many members through WeChat (service-account template messages and mini-program
subscription messages, 微信服务号消息/小程序订阅消息) and its app (App推送). In the synthetic world:

* a member who binds the loyalty card or the web/mini-program account to WeChat has an **openid** (``o`` + 27
  letters, digits, ``-``, ``_``): about ``OPENID_SHARE`` of the people with a loyalty (pos) or web record, on each
  of those records;
* an app user has a **push token** on the web record (the app logs in with the web account): about ``PUSH_SHARE``
  of the people with a web record — an APNs token (64 hex digits; some written ``<740F4707 BEBCF74F …>`` as iOS
  logs them), a JPush registration id (19 characters) or an FCM token (≈ 150 characters);
* dirt as real exports carry it: a phone number or a placeholder (未绑定) typed into the openid column, truncated
  values, whitespace, "(null)" — each becomes "no contact point" in the build, listed in ``value_issues``;
* a device or WeChat account shared by two people of different households (a family tablet): the same token on two
  persons — when one opts out, the suppression by contact point blocks the other too;
* consent (``app_consents.csv``, channel 微信 / App推送): the subscription-message authorisation and the app's push
  permission at binding/installation, refused by some, withdrawn later by some, and missing for a few (bound but
  never asked: no record means no consent).

Everything here comes from its own random stream (``np.random.default_rng([seed, 8861])``), and nothing is drawn
for ``locale="en"``: the English world, its exports and its database stay exactly as they were.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ZH_REVISION", "OPENID_SHARE", "PUSH_SHARE", "app_contact_points", "with_app_columns",
           "app_consent_file", "APP_CONSENT_FILE", "APP_FILE_SPECS"]

ZH_REVISION = 1                 # part of the zh raw exports' stamp: a change regenerates them
OPENID_SHARE = 0.62             # of the people with a loyalty or web record: bound to WeChat
PUSH_SHARE = 0.30               # of the people with a web record: use the app and are logged in
DIRTY_SHARE = 0.015             # of the values: unusable as written
SHARED_SHARE = 0.004            # of the holders: the same token / openid as another person
NO_RECORD_SHARE = 0.06          # of the holders: no consent record at all
OPT_IN = {"wechat": 0.78, "app_push": 0.68}          # authorised at binding / push permission at installation
LATER_OPT_OUT = {"wechat": 0.10, "app_push": 0.12}   # of those who opted in, withdrew before the end
APP_CONSENT_FILE = "app_consents.csv"
CHANNEL_WORD = {"wechat": "微信", "app_push": "App推送"}

_B64 = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
_HEX = np.array(list("0123456789abcdef"))
_ALNUM = np.array(list("0123456789abcdefghijklmnopqrstuvwxyz"))

# how the zh exports carry them (dbmkit.datasets.raw_exports._file_specs adds these for locale zh)
APP_FILE_SPECS = {
    "loyalty_members.xlsx": {"wechat_openid": "微信OpenID"},
    "web_accounts.csv": {"wechat_openid": "wechat_openid", "push_token": "push_token"},
    APP_CONSENT_FILE: dict(table="consents", sep=",", encoding="utf-8",
                           columns={"customer_id": "会员编号", "channel": "渠道", "status": "状态",
                                    "updated_at": "时间"}),
}
_ID_COLUMN = {"loyalty_members.xlsx": "会员卡号", "web_accounts.csv": "account_id"}


def _strings(rng, alphabet: np.ndarray, n: int, length: int) -> np.ndarray:
    if n == 0:
        return np.array([], dtype=object)
    m = alphabet[rng.integers(0, len(alphabet), (n, length))]
    return np.array(["".join(r) for r in m], dtype=object)


def _openids(rng, n: int) -> np.ndarray:
    """n distinct-looking openids: "o" + 27 base64url characters, with an upper-case letter, a lower-case letter
    and a digit (as real ones nearly always have)."""
    out = _strings(rng, _B64, n, 27)
    fixed = []
    for s, k in zip(out, rng.integers(0, 25, n)):
        s = s[:k] + "A" + "b" + "7" + s[k + 3:] if not (any(c.isupper() for c in s) and any(c.islower() for c in s)
                                                         and any(c.isdigit() for c in s)) else s
        fixed.append("o" + s)
    return np.array(fixed, dtype=object)


def _push_tokens(rng, n: int) -> np.ndarray:
    kind = rng.choice(3, n, p=[0.45, 0.35, 0.20])          # APNs, JPush, FCM
    apns = _strings(rng, _HEX, n, 64)
    jpush = np.array([f"{a}{b}" for a, b in zip(rng.integers(1, 10, n), _strings(rng, _ALNUM, n, 18))], dtype=object)
    fcm = np.array([f"{a}:APA91b{b}" for a, b in zip(_strings(rng, _B64[:62], n, 11), _strings(rng, _B64, n, 134))],
                   dtype=object)
    return np.where(kind == 0, apns, np.where(kind == 1, jpush, fcm)).astype(object)


def _as_ios_logs_it(token: str) -> str:
    return "<" + " ".join(token[i:i + 8].upper() for i in range(0, 64, 8)) + ">"


def _dirty(rng, values: np.ndarray, phones: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A share of the values written unusably; returns (values as written, unusable)."""
    out = values.copy()
    bad = rng.random(len(out)) < DIRTY_SHARE
    how = rng.integers(0, 4, len(out))
    for i in np.flatnonzero(bad):
        v = out[i]
        if how[i] == 0:
            out[i] = v[:10]                                        # truncated by a too-narrow column
        elif how[i] == 1:
            out[i] = ("未绑定" if kind == "openid" else "(null)")   # a placeholder
        elif how[i] == 2:
            out[i] = "   "                                         # whitespace: missing
        else:
            p = phones[i]
            out[i] = p if isinstance(p, str) and p else v[:10]     # the phone number typed in the wrong column
    return out, bad


def app_contact_points(seed: int, rec: pd.DataFrame, end_date) -> dict:
    """The app contact points of the records (``raw_exports`` records: record_id, system, person_id, pi, created,
    phone) and the consent evidence: a dict with ``records`` (record_id → wechat_openid, push_token as written),
    ``consents`` (the rows of ``app_consents.csv``) and ``truth`` (per person: the clean openid and token, whether
    the written value is unusable, the latest consent status per channel or None for no record)."""
    rng = np.random.default_rng([int(seed), 8861])
    end = pd.Timestamp(end_date) + pd.Timedelta(hours=23)
    real = rec[rec["pi"].to_numpy() >= 0]
    sys_ = real["system"].to_numpy()
    people = np.array(sorted(pd.unique(real["person_id"])), dtype=object)
    on_app = {"wechat": set(real.loc[np.isin(sys_, ["pos", "web"]), "person_id"]),
              "app_push": set(real.loc[sys_ == "web", "person_id"])}
    share = {"wechat": OPENID_SHARE, "app_push": PUSH_SHARE}
    truth = pd.DataFrame({"person_id": people})
    rec_vals = pd.DataFrame({"record_id": real["record_id"].to_numpy(), "wechat_openid": None, "push_token": None},
                            dtype=object)
    rows = []
    for ch, col in (("wechat", "wechat_openid"), ("app_push", "push_token")):
        eligible = np.array([p in on_app[ch] for p in people])
        has = eligible & (rng.random(len(people)) < share[ch])
        holders = people[has]
        vals = _openids(rng, len(holders)) if ch == "wechat" else _push_tokens(rng, len(holders))
        shared = rng.random(len(holders)) < SHARED_SHARE
        if len(holders) > 1:
            other = rng.integers(0, len(holders), len(holders))
            vals[shared] = vals[other[shared]]
        clean = pd.Series(vals, index=holders, dtype=object)
        systems = ("pos", "web") if ch == "wechat" else ("web",)
        carry = real[np.isin(sys_, systems) & real["person_id"].isin(set(holders)).to_numpy()]
        written = clean.reindex(carry["person_id"]).to_numpy(dtype=object, copy=True)
        if ch == "app_push":
            ios = np.array([isinstance(v, str) and len(v) == 64 for v in written]) & (rng.random(len(written)) < 0.1)
            written[ios] = [_as_ios_logs_it(v) for v in written[ios]]
        written, bad = _dirty(rng, written, carry["phone"].to_numpy(dtype=object), "openid" if ch == "wechat"
                              else "push token")
        pos = pd.Index(rec_vals["record_id"]).get_indexer(carry["record_id"])
        rec_vals.loc[pos, col] = written
        unusable = pd.Series(bad, index=carry["person_id"].to_numpy()).groupby(level=0).all()
        truth[col] = clean.reindex(people).to_numpy(dtype=object)
        truth[f"{col}_unusable"] = unusable.reindex(people).fillna(False).to_numpy(bool)
        # consent: on the first record that carries the value, at binding / installation (after the record exists)
        first = carry.sort_values(["person_id", "created"]).drop_duplicates("person_id").set_index("person_id")
        asked = rng.random(len(holders)) >= NO_RECORD_SHARE
        when = pd.to_datetime(first["created"].reindex(holders).to_numpy()) + pd.to_timedelta(
            rng.uniform(0, 60, len(holders)), unit="D")
        when = pd.DatetimeIndex(np.minimum(when.to_numpy(), (end - pd.Timedelta(days=1)).to_datetime64())).floor("s")
        opt_in = rng.random(len(holders)) < OPT_IN[ch]
        later = opt_in & (rng.random(len(holders)) < LATER_OPT_OUT[ch])
        span = (end - when).total_seconds().to_numpy()
        when_out = when + pd.to_timedelta(rng.uniform(0.05, 1.0, len(holders)) * np.maximum(span, 0), unit="s")
        rid = first["record_id"].reindex(holders).to_numpy(dtype=object)
        status = np.where(asked, np.where(opt_in, np.where(later, "opt_out", "opt_in"), "opt_out"), None)
        truth[f"{ch}_consent"] = pd.Series(status, index=holders, dtype=object).reindex(people).to_numpy(dtype=object)
        for k in np.flatnonzero(asked):
            rows.append((rid[k], ch, "同意" if opt_in[k] else "拒绝", when[k]))
            if later[k]:
                rows.append((rid[k], ch, "退订", when_out[k].floor("s")))
    cons = pd.DataFrame(rows, columns=["record_id", "channel", "status", "ts"])
    cons = cons.sort_values(["ts", "record_id", "channel"], kind="stable").reset_index(drop=True)
    return dict(records=rec_vals.set_index("record_id"), consents=cons, truth=truth)


def with_app_columns(exports, app: dict | None):
    """The (file name, table) pairs of an export step, the loyalty and web exports with the app contact points
    added as the zh systems export them (``APP_FILE_SPECS``); everything else as it is."""
    for name, df in exports:
        if app is not None and name in _ID_COLUMN:
            vals = app["records"].reindex(df[_ID_COLUMN[name]].astype(str).to_numpy())
            df = df.copy()
            for canon, header in APP_FILE_SPECS[name].items():
                df[header] = vals[canon].to_numpy(dtype=object)
        yield name, df


def app_consent_file(app: dict):
    """``app_consents.csv``: the member system's log of WeChat subscription authorisations and app push
    permissions (会员编号, 渠道, 状态, 时间)."""
    c = app["consents"]
    yield APP_CONSENT_FILE, pd.DataFrame({"会员编号": c["record_id"].to_numpy(),
                                          "渠道": c["channel"].map(CHANNEL_WORD).to_numpy(),
                                          "状态": c["status"].to_numpy(),
                                          "时间": pd.to_datetime(c["ts"]).dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()})
