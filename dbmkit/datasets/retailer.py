"""The synthetic retailer: a multi-channel client with known ground truth.

One concept: simulating the retailer's world (people, purchasing, products, past campaigns); its raw exports live
in :mod:`dbmkit.datasets.raw_exports`, the e-mail/SMS events in :mod:`dbmkit.datasets.messages`.

``synthetic()`` builds a complete world for one retailer — people, households, postal areas, consent, purchasing,
products, past campaigns with control groups, e-mail and SMS event logs — and then exports it the way a real client
would hand it over: several source systems in different conventions, with duplicates, typos and other dirt. The
truth (which source record belongs to which person, each person's latent purchase rate and drop-out probability,
each person's true campaign uplift, what they buy after the export date) is kept apart, so every chapter can check
its estimates.

The purchasing process is MBG/NBD (Batislam et al. 2007) in "operational time": each buyer has a purchase rate
λ ~ Gamma(r, α) and after each purchase — the first one included, which is what distinguishes MBG/NBD from BG/NBD —
drops out with probability p ~ Beta(a, b); calendar time is a warp of operational time with holiday peaks, so
seasonality does not disturb the model's truth. Channel, acquisition source and multi-channel use are drawn *given*
the latent λ and p (rank-based), so observables carry signal while the population stays exactly MBG/NBD
(chapter 23 shows that MBG/NBD recovers these parameters and that BG/NBD, misspecified here, does not).

Example
-------
>>> world = synthetic(n_people=400, seed=7)
>>> sorted(world.tables)[:4]
['area_demographics', 'campaigns', 'consents', 'contacts']
>>> world.truth["people"].shape[0]
400
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from . import locale_words as L
from .messages import message_events
from .raw_exports import build_raw_exports, sources_mapping, write_raw_file, write_raw_files, write_sources_yaml

__all__ = ["SyntheticRetailer", "synthetic", "TRUE_PARAMS", "CAMPAIGN_PLAN", "sales_calendar"]

# population parameters of the latent process (time unit: days) and of spend
TRUE_PARAMS = {
    "r": 0.90, "alpha": 36.0,        # purchase rate λ ~ Gamma(shape r, rate alpha) per day (mean ≈ 9 a year)
    "a": 0.55, "b": 5.50,            # drop-out after each purchase p ~ Beta(a, b) (mean ≈ 0.09)
    "buyer_share": 0.88,             # the rest registered but never bought (prospects)
}

ACQ_CHANNELS = ["store", "web_search", "social", "referral", "affiliate", "catalog"]
ACQ_CAC = {"store": 8.0, "web_search": 32.0, "social": 24.0, "referral": 12.0, "affiliate": 18.0, "catalog": 38.0}
SALES_CHANNELS = ["store", "web", "app", "catalog"]

# the past campaigns: name, channel, offer, audience, control share, cost/contact, discount, window (days),
# incremental response probability of a persuadable, cells
CAMPAIGN_PLAN = [
    dict(name="Spring newsletter", channel="email", offer="15% off", audience="active", control=0.10, cost=0.02,
         discount=0.15, window=14, pi=0.07, cells=("E1",)),
    dict(name="Weekend flash sale", channel="sms", offer="20% off this weekend", audience="buyers", control=0.10,
         cost=0.06, discount=0.20, window=7, pi=0.09, cells=("S1",)),
    dict(name="Autumn catalogue", channel="mail", offer="catalogue + $10 voucher", audience="top_value",
         control=0.15, cost=0.85, discount=0.08, window=30, pi=0.16, cells=("M1",)),
    dict(name="Win-back call", channel="phone", offer="$20 voucher", audience="lapsed_value", control=0.20,
         cost=4.50, discount=0.15, window=30, pi=0.32, cells=("P1",)),
    dict(name="Holiday gift guide", channel="email", offer="free shipping", audience="all", control=0.10,
         cost=0.02, discount=0.05, window=21, pi=0.06, cells=("E1",)),
    dict(name="VIP preview", channel="mail", offer="early access + 10% off", audience="vip", control=0.15,
         cost=0.95, discount=0.10, window=21, pi=0.14, cells=("M1",)),
    dict(name="We miss you SMS", channel="sms", offer="25% off", audience="lapsing", control=0.10, cost=0.06,
         discount=0.25, window=14, pi=0.11, cells=("S1",)),
    dict(name="New-season launch (subject-line test)", channel="email", offer="new arrivals", audience="active",
         control=0.10, cost=0.02, discount=0.0, window=14, pi=0.06, cells=("A", "B")),
]
CHANNEL_PI_FACTOR = {"email": 1.0, "sms": 1.0, "mail": 1.0, "phone": 1.0}


@dataclasses.dataclass
class SyntheticRetailer:
    """A generated client: clean canonical ``tables`` (one customer per true person), the ``truth`` and the
    ``raw`` exports as the client's systems would hand them over."""

    params: dict
    tables: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    raw: dict[str, pd.DataFrame]

    def sources(self) -> dict:
        """The column mapping (the ``data.sources`` part of a client config) for the raw exports."""
        return sources_mapping(self.params["locale"])

    def write_raw(self, directory: str | Path) -> Path:
        """Write the raw exports (CSV in several conventions, one Excel) plus ``sources.yaml`` into ``directory``."""
        return write_raw_files(self.raw, self.params["locale"], Path(directory))

    def save_truth(self, directory: str | Path) -> Path:
        """Write the truth tables (Parquet) and parameters (JSON) into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, df in self.truth.items():
            df.to_parquet(d / f"{name}.parquet", index=False)
        (d / "params.json").write_text(json.dumps(self.params, indent=2, default=str), encoding="utf-8")
        return d


# ----------------------------------------------------------------------------------------------------------------
# calendar


# Spring Festival (春节, the first day of the lunar year) — the Chinese calendar's biggest shopping pause
SPRING_FESTIVAL = {2015: "02-19", 2016: "02-08", 2017: "01-28", 2018: "02-16", 2019: "02-05", 2020: "01-25",
                   2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10", 2025: "01-29", 2026: "02-17",
                   2027: "02-06", 2028: "01-26", 2029: "02-13", 2030: "02-03", 2031: "01-23", 2032: "02-11",
                   2033: "01-31", 2034: "02-19", 2035: "02-08"}


def _days_from(days: pd.DatetimeIndex, month_day: dict | str) -> np.ndarray:
    """Days from each day to its year's date (a "MM-DD", or per year a dict year → "MM-DD"; NaN for other years)."""
    out = np.full(len(days), np.nan)
    for year in np.unique(days.year):
        md = month_day.get(int(year)) if isinstance(month_day, dict) else month_day
        if md is None:
            continue
        at = (days.year == year)
        out[at] = (days[at] - pd.Timestamp(f"{year}-{md}")).days
    return out


def _bump(x: np.ndarray, width: float) -> np.ndarray:
    return np.where(np.isnan(x), 0.0, np.exp(-((np.nan_to_num(x) / width) ** 2)))


def sales_calendar(start: pd.Timestamp, n_days: int, locale: str = "en") -> tuple[np.ndarray, pd.DatetimeIndex]:
    """The retailer's calendar: a daily purchase-intensity multiplier (mean 1 over the ``n_days`` from ``start``)
    and the days. Calendar time is this warp of the purchase process's operational time, here and in ``simulate``.

    * ``locale="en"``: the Christmas season, Black Friday, a spring bump, a summer dip, the January lull, weekends.
    * ``locale="zh"``: Singles' Day (双十一, 11 November, with its run-up), the 618 mid-year festival (18 June), the
      New-Year goods run-up before Spring Festival (年货节) and the holiday pause after it (春节, dates in
      :data:`SPRING_FESTIVAL`, 2015–2035; other years have no festival effect), National Day week (国庆, 1–7 October,
      a small dip online), weekends.

    >>> m, days = sales_calendar(pd.Timestamp("2025-01-01"), 365)
    >>> round(float(m.mean()), 6), str(days[int(m.argmax())].date())
    (1.0, '2025-12-13')
    >>> m, days = sales_calendar(pd.Timestamp("2025-01-01"), 365, locale="zh")
    >>> str(days[int(m.argmax())].date()), str(days[int(m.argmin())].date())
    ('2025-11-11', '2025-02-01')
    """
    days = pd.date_range(start, periods=n_days, freq="D")
    doy = days.day_of_year.to_numpy().astype(float)
    if locale == "zh":
        d11, d618 = _days_from(days, "11-11"), _days_from(days, "06-18")
        dsf = _days_from(days, SPRING_FESTIVAL)
        dnat = _days_from(days, "10-04")
        m = (1.0 + 1.6 * _bump(d11, 1.2) + 0.45 * np.where((d11 >= -10) & (d11 < 0), 1.0, 0.0)
             + 0.8 * _bump(d618, 1.5) + 0.2 * np.where((d618 >= -17) & (d618 < 0), 1.0, 0.0)
             + 0.35 * _bump(dsf + 14, 6.0) - 0.55 * _bump(dsf - 3, 3.5) - 0.12 * _bump(dnat, 2.5))
        wd = days.day_of_week.to_numpy()
        m = m * np.array([0.95, 0.93, 0.95, 0.98, 1.03, 1.12, 1.04])[wd]
        return m / m.mean(), days
    m = (1.0 + 0.95 * np.exp(-(((doy - 348) / 11.0) ** 2)) + 0.7 * np.exp(-(((doy - 330) / 3.5) ** 2))
         + 0.25 * np.exp(-(((doy - 130) / 18.0) ** 2)) - 0.18 * np.exp(-(((doy - 205) / 25.0) ** 2))
         - 0.25 * np.exp(-(((doy - 8) / 6.0) ** 2)))
    wd = days.day_of_week.to_numpy()
    m = m * np.array([0.92, 0.9, 0.93, 0.97, 1.05, 1.2, 1.03])[wd]
    return m / m.mean(), days


def _promo_days(days: pd.DatetimeIndex, locale: str = "en") -> np.ndarray:
    """Site-wide sale days: Black Friday week, after-Christmas sale, mid-summer sale; in China the Singles' Day
    sale (1–11 November), the 618 sale (1–18 June) and the New-Year goods sale (the three weeks before Spring
    Festival)."""
    if locale == "zh":
        md = days.month * 100 + days.day
        dsf = _days_from(days, SPRING_FESTIVAL)
        return (((md >= 1101) & (md <= 1111)) | ((md >= 601) & (md <= 618))
                | ((dsf >= -21) & (dsf <= -3)))
    doy = days.day_of_year.to_numpy()
    return ((doy >= 327) & (doy <= 333)) | (doy >= 361) | (doy <= 4) | ((doy >= 190) & (doy <= 197))


# ----------------------------------------------------------------------------------------------------------------
# world: areas, stores, products


_SINGULAR = {"TVs": "TV", "Speakers": "Speaker", "Cameras": "Camera", "Laptops": "Laptop", "Printers": "Printer",
             "Computer accessories": "Computer Accessory", "Small appliances": "Appliance", "Sneakers": "Sneaker",
             "Boots": "Boot", "Sandals": "Sandal", "Tents": "Tent", "Sleeping bags": "Sleeping Bag", "Toys": "Toy",
             "Diapers": "Diapers", "Books": "Book", "Films": "Film", "Snacks": "Snack Box", "Beer & wine": "Wine Case",
             "Coffee & tea": "Coffee", "Womenswear": "Womenswear", "Menswear": "Menswear", "Kidswear": "Kidswear"}


def _products(rng: np.random.Generator, loc: dict, locale: str) -> pd.DataFrame:
    rows = []
    pid = 10001
    factor = loc["price_factor"]
    for cat, (cat_zh, margin, subs) in L.CATALOG.items():
        for sub, sub_zh, lo, hi, pop, maxq in subs:
            prices = np.exp(np.linspace(np.log(lo), np.log(hi), 6))
            for k, price in enumerate(prices):
                brand = loc["brands"][rng.integers(len(loc["brands"]))]
                m = float(np.clip(margin + rng.normal(0, 0.04), 0.05, 0.8))
                list_price = round(float(price) * factor * rng.uniform(0.95, 1.05), 0) - 0.01
                name = (f"{brand} {_SINGULAR.get(sub, sub)} "
                        f"{['Basic', 'Classic', 'Plus', 'Pro', 'Premium', 'Signature'][k]}") if locale == "en" else \
                    f"{brand}{sub_zh}{['基础款', '经典款', '升级款', '专业款', '高级款', '旗舰款'][k]}"
                rows.append(dict(product_id=f"SKU{pid}", name=name,
                                 category=cat if locale == "en" else cat_zh,
                                 subcategory=sub if locale == "en" else sub_zh,
                                 subcategory_key=sub, category_key=cat,
                                 list_price=list_price, unit_cost=round(list_price * (1 - m), 2),
                                 popularity=pop, max_qty=maxq, tier=k))
                pid += 1
    return pd.DataFrame(rows)


def _areas(rng: np.random.Generator, loc: dict, locale: str, n_people: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    cities = loc["cities"]
    weights = np.array([c[4] for c in cities], float)
    n_areas = int(np.clip(n_people / 150, 30, 600))
    per_city = np.maximum(1, np.round(weights / weights.sum() * n_areas)).astype(int)
    rows = []
    for (city, state, prefix, has_store, w), k in zip(cities, per_city):
        suffixes = rng.choice(np.arange(100), size=min(k, 100), replace=False)
        for s in sorted(suffixes):
            code = f"{prefix}{s:02d}" if locale == "en" else f"{prefix}{s // 10:01d}{s % 10:01d}0"[:6]
            if locale == "zh":
                code = f"{prefix}{s:03d}"
            hh = int(rng.lognormal(np.log(9000), 0.45))
            pop = int(hh * rng.uniform(2.1, 2.9))
            inc = float(loc["median_income"] * rng.lognormal(0, 0.35))
            young = rng.uniform(0.22, 0.40)
            mid = rng.uniform(0.30, 0.40)
            rows.append(dict(postal_code=code, city=city, state=state, households=hh, population=pop,
                             median_income=round(inc, -2), age_18_34=round(young, 3), age_35_54=round(mid, 3),
                             age_55_plus=round(1 - young - mid, 3), has_store=has_store))
    areas = pd.DataFrame(rows).drop_duplicates("postal_code").reset_index(drop=True)
    store_cities = [c for c in cities if c[3]]
    stores = pd.DataFrame([dict(store_id=f"ST{100 + i:03d}", city=c[0]) for i, c in enumerate(store_cities)])
    return areas, stores


# ----------------------------------------------------------------------------------------------------------------
# people


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique of an already sorted array, in one pass (no sort)."""
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _flags(positions: np.ndarray, n: int) -> np.ndarray:
    """A boolean array of length ``n`` that is True at ``positions`` (set membership by lookup, not by sorting)."""
    f = np.zeros(n, bool)
    f[positions] = True
    return f


def _rank01(x: np.ndarray) -> np.ndarray:
    return (np.argsort(np.argsort(x, kind="stable"), kind="stable") + 0.5) / len(x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix (rows need not be normalised)."""
    c = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * c[:, -1:]
    return (u > c).sum(axis=1)


def _people(rng, n, loc, locale, areas, products, start, hist_days, m, tp):
    P = {}
    P["person_id"] = np.array([f"P{i:07d}" for i in range(1, n + 1)])
    buyer = rng.random(n) < tp["buyer_share"]
    lam = rng.gamma(tp["r"], 1.0 / tp["alpha"], n)
    pdrop = rng.beta(tp["a"], tp["b"], n)
    q_lam, q_p = _rank01(lam), _rank01(pdrop)
    age = np.clip(rng.normal(44, 15, n), 18, 90).round().astype(int)
    gender = rng.choice(np.array(["F", "M", "U"]), n, p=[0.54, 0.44, 0.02])

    # postal area: population × penetration (store cities draw more customers)
    w = areas["population"].to_numpy() * np.where(areas["has_store"], 1.9, 1.0) * \
        (areas["median_income"].to_numpy() / loc["median_income"]) ** 0.6
    area_idx = rng.choice(len(areas), n, p=w / w.sum())
    area_inc = areas["median_income"].to_numpy()[area_idx]
    income = area_inc * rng.lognormal(0, 0.45, n) * np.where(age < 25, 0.6, 1.0)
    edges = loc["income_edges"]
    income_band = np.array(loc["income_bands"])[np.searchsorted(edges, income)]
    has_store = areas["has_store"].to_numpy()[area_idx]

    # acquisition channel given drop-out rank (social/affiliate acquire more fickle buyers) and age
    logits = np.column_stack([
        0.6 + 0.4 * has_store - 1.0 * (1 - has_store),           # store
        0.5 + 0.0 * q_p,                                          # web_search
        -0.6 + 1.6 * q_p - 0.02 * (age - 40),                     # social
        -0.3 - 0.4 * q_p,                                         # referral
        -0.9 + 1.4 * q_p,                                         # affiliate
        -1.6 + 0.045 * (age - 40),                                # catalog
    ])
    acq = _choice_rows(rng, np.exp(logits))
    acq_channel = np.array(ACQ_CHANNELS)[acq]
    cac = np.array([ACQ_CAC[c] for c in ACQ_CHANNELS])[acq] * rng.lognormal(0, 0.25, n) * loc["price_factor"]

    # primary sales channel
    prim = np.empty(n, dtype=object)
    u = rng.random(n)
    young = age < 35
    prim[:] = np.where(u < np.where(young, 0.55, 0.3), "app", "web")
    prim[acq_channel == "store"] = "store"
    prim[acq_channel == "catalog"] = "catalog"
    ref = acq_channel == "referral"
    prim[ref] = rng.choice(np.array(["store", "web", "app"]), ref.sum())
    prim[(prim == "store") & ~has_store] = "web"
    multichannel = rng.random(n) < _sigmoid(-1.05 + 2.6 * (q_lam - 0.5))
    sec = np.empty(n, dtype=object)
    opts = np.array(SALES_CHANNELS)
    for i in range(4):
        pick = rng.integers(0, 4, n)
        cand = opts[pick]
        ok = (cand != prim) & ~((cand == "store") & ~has_store)
        fill = ok & (sec == None)  # noqa: E711
        sec[fill] = cand[fill]
    sec[sec == None] = np.where(prim[sec == None] == "web", "app", "web")  # noqa: E711
    sec[~multichannel] = None

    deal_seeker = rng.random(n) < np.where(income_band == loc["income_bands"][0], 0.25, 0.13)
    serial_returner = rng.random(n) < 0.03
    kids = rng.random(n) < np.where((age >= 25) & (age <= 45), 0.45, 0.08)
    # price tier: premium vs budget buyer (income and a personal taste)
    tier = _sigmoid(0.9 * np.log(income / loc["median_income"]) + rng.normal(0, 0.9, n))
    engagement = rng.beta(1.6, 4.0, n) * np.where(age > 65, 0.8, 1.0)

    # favourite subcategories (Gumbel top-4 of popularity × demographic boosts)
    subs = products.drop_duplicates("subcategory_key")[["subcategory_key", "category_key", "popularity"]]
    sub_keys = subs["subcategory_key"].to_numpy()
    base = np.log(subs["popularity"].to_numpy())
    cat = subs["category_key"].to_numpy()
    fav = np.empty((n, 4), dtype=np.int16)
    chunk = 200_000
    for s0 in range(0, n, chunk):
        sl = slice(s0, min(n, s0 + chunk))
        lw = np.broadcast_to(base, (sl.stop - sl.start, len(base))).copy()
        g = gender[sl]
        lw[:, np.isin(sub_keys, ["Womenswear", "Skincare", "Makeup", "Fragrance"])] += \
            np.where(g == "F", 1.0, -1.2)[:, None]
        lw[:, np.isin(sub_keys, ["Menswear", "Cameras", "Laptops", "Cycling", "Boots"])] += \
            np.where(g == "M", 0.9, -0.5)[:, None]
        lw[:, np.isin(sub_keys, ["Kidswear", "Toys", "Diapers", "Baby gear"])] += np.where(kids[sl], 1.6, -2.5)[:, None]
        lw[:, np.isin(cat, ["Sports"])] += np.where(age[sl] < 45, 0.5, -0.5)[:, None]
        lw[:, np.isin(cat, ["Books & Media", "Home"])] += np.where(age[sl] > 55, 0.6, 0.0)[:, None]
        lw += rng.gumbel(size=lw.shape)
        fav[sl] = np.argsort(-lw, axis=1)[:, :4]

    # signup day: growing base with the calendar's rhythm
    wd = (1 + 0.6 * np.arange(hist_days) / hist_days) * m[:hist_days]
    cdf = np.cumsum(wd) / wd.sum()
    signup_day = np.searchsorted(cdf, rng.random(n)).astype(float) + rng.random(n)

    # true campaign-response type (persuadables, sure things, lost causes, do-not-disturbs)
    dnd = rng.random(n) < _sigmoid(-2.9 + 1.5 * (age > 60) + 1.0 * (engagement < 0.12))
    pers = ~dnd & (rng.random(n) < _sigmoid(-1.2 + 1.5 * deal_seeker + 0.7 * (age < 40) - 1.2 * (q_lam - 0.5)))
    sure = ~dnd & ~pers & (q_lam > 0.62)
    utype = np.where(dnd, "do_not_disturb", np.where(pers, "persuadable", np.where(sure, "sure_thing", "lost_cause")))
    pi_scale = np.where(pers, rng.uniform(0.5, 1.6, n) * (1 + 0.6 * deal_seeker), 0.0)

    # consent at signup and the day of a later opt-out (inf = never)
    consent = {}
    rates = {"email": (0.72 + 0.1 * young, 0.10), "sms": (0.42 + 0.1 * young, 0.12),
             "phone": (0.30 + 0.1 * (age > 55), 0.06),
             "mail": (0.86, 0.04)}
    for ch, (p_in, hazard) in rates.items():
        opt_in = rng.random(n) < p_in
        optout_day = signup_day + rng.exponential(365.25 / hazard, n)
        consent[ch] = (opt_in, np.where(opt_in, optout_day, np.inf))

    return dict(
        person_id=P["person_id"], buyer=buyer, lam=lam, pdrop=pdrop, q_lam=q_lam, q_p=q_p, age=age, gender=gender,
        area_idx=area_idx, income=income, income_band=income_band, has_store=has_store, acq_channel=acq_channel,
        cac=np.round(cac, 2), primary_channel=prim.astype(str), secondary_channel=sec, multichannel=multichannel,
        deal_seeker=deal_seeker, serial_returner=serial_returner, kids=kids, tier=tier, engagement=engagement,
        fav=fav, signup_day=signup_day, uplift_type=utype, pi_scale=pi_scale, consent=consent,
    )


# ----------------------------------------------------------------------------------------------------------------
# purchasing


def _purchase_events(rng, ppl, C, horizon_days):
    """MBG/NBD purchases in operational time, mapped to calendar days. Returns (person idx, day) and death day."""
    buyers = np.flatnonzero(ppl["buyer"])
    grid = np.arange(len(C) + 1, dtype=float)
    Cg = np.concatenate([[0.0], C])
    u0 = np.interp(ppl["signup_day"][buyers], grid, Cg)
    u_end = Cg[min(len(Cg) - 1, int(horizon_days))]
    lam, p = ppl["lam"][buyers], ppl["pdrop"][buyers]
    idx_parts, u_parts = [buyers], [u0]
    t = u0.copy()
    active = np.arange(len(buyers))
    death_u = np.full(len(buyers), np.inf)
    while active.size:
        drop = rng.random(active.size) < p[active]
        death_u[active[drop]] = t[active[drop]]
        active = active[~drop]
        t[active] += rng.exponential(1.0 / lam[active])
        active = active[t[active] <= u_end]
        idx_parts.append(buyers[active])
        u_parts.append(t[active].copy())
    idx = np.concatenate(idx_parts)
    u = np.concatenate(u_parts)
    day = np.interp(u, Cg, grid)
    death = np.full(len(ppl["buyer"]), np.nan)
    death[buyers] = np.where(np.isfinite(death_u), np.interp(np.minimum(death_u, u_end), Cg, grid), np.inf)
    return idx, day, death


def _assign_channel(rng, ppl, idx):
    prim = ppl["primary_channel"][idx]
    sec = ppl["secondary_channel"][idx]
    use_sec = ppl["multichannel"][idx] & (rng.random(len(idx)) < 0.45)
    return np.where(use_sec, sec, prim).astype(str)


def _time_of_day(rng, channel):
    n = len(channel)
    h = np.where(channel == "store", rng.uniform(9.5, 21, n),
                 np.where(channel == "catalog", rng.uniform(8.5, 18, n), (rng.normal(20, 3.5, n) % 24)))
    return h / 24.0


# ----------------------------------------------------------------------------------------------------------------
# basket contents


def _make_items(rng, ev, ppl, products, first_line=None, discount_override=None, promo=None, start=None):
    """Order lines for order events ``ev`` (DataFrame with person, day, channel). Returns (items, order_totals)."""
    n_orders = len(ev)
    person = ev["person"].to_numpy()
    subs = products.drop_duplicates("subcategory_key").reset_index(drop=True)
    n_sub = len(subs)
    sub_index = {k: i for i, k in enumerate(subs["subcategory_key"])}
    pop = subs["popularity"].to_numpy()
    n_lines = 1 + np.minimum(rng.poisson(1.45 + 0.5 * ppl["multichannel"][person]), 7)
    if first_line is not None:
        n_lines = np.where(first_line >= 0, 1 + (rng.random(n_orders) < 0.3), n_lines)
    order_of_line = np.repeat(np.arange(n_orders), n_lines)
    pos_in_order = np.arange(len(order_of_line)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    lp = person[order_of_line]
    from_fav = rng.random(len(lp)) < 0.68
    # one categorical draw per line with the same probabilities for every line (= _choice_rows on a constant
    # matrix, without the lines × 4 matrix)
    fav_pick = np.searchsorted(np.cumsum([0.4, 0.3, 0.2, 0.1]), rng.random(len(lp)), side="left")
    sub_line = np.where(from_fav, ppl["fav"][lp, fav_pick],
                        rng.choice(n_sub, len(lp), p=pop / pop.sum()))
    if first_line is not None:
        forced = (pos_in_order == 0) & (first_line[order_of_line] >= 0)
        sub_line[forced] = first_line[order_of_line][forced]
    # planted basket affinities: the consequent joins the basket
    extra_o, extra_s = [], []
    for a, b, prob in L.BASKET_RULES:
        hit = _sorted_unique(order_of_line[sub_line == sub_index[a]])      # lines are in order of orders
        hit = hit[rng.random(len(hit)) < prob]
        extra_o.append(hit)
        extra_s.append(np.full(len(hit), sub_index[b]))
    order_of_line = np.concatenate([order_of_line, *extra_o])
    sub_line = np.concatenate([sub_line, *extra_s])
    srt = np.argsort(order_of_line, kind="stable")
    order_of_line, sub_line = order_of_line[srt], sub_line[srt]
    lp = person[order_of_line]

    # product by price tier within the subcategory, quantity
    prod_sorted = products.sort_values(["subcategory_key", "tier"])
    pidx_table = np.array([prod_sorted.index[prod_sorted["subcategory_key"] == k].to_numpy()
                           for k in subs["subcategory_key"]])
    tier = np.clip(np.round((ppl["tier"][lp] ** 1.6 + rng.normal(0, 0.18, len(lp))) * 5.99 - 0.5), 0, 5).astype(int)
    prod = pidx_table[sub_line, tier]
    maxq = products["max_qty"].to_numpy()[prod]
    qty = np.where(rng.random(len(prod)) < 0.78, 1, 1 + rng.integers(1, np.maximum(maxq, 2), len(prod)))
    qty = np.minimum(qty, np.maximum(maxq, 1))
    price = products["list_price"].to_numpy()[prod]
    cost = products["unit_cost"].to_numpy()[prod]

    # discount rate per order: deal seekers, occasional promotions, sale days, campaign offers
    deal = ppl["deal_seeker"][person]
    rate = np.where(deal & (rng.random(n_orders) < 0.7), rng.uniform(0.15, 0.4, n_orders),
                    np.where(rng.random(n_orders) < 0.18, rng.uniform(0.05, 0.2, n_orders), 0.0))
    if promo is not None:
        on_sale = promo[np.clip(ev["day"].to_numpy().astype(int), 0, len(promo) - 1)]
        rate = np.where(on_sale & (rng.random(n_orders) < 0.6), np.maximum(rate, 0.2), rate)
    if discount_override is not None:
        rate = np.where(np.isnan(discount_override), rate, np.maximum(rate * 0.3, discount_override))
    gross_line = qty * price
    disc_line = np.round(gross_line * rate[order_of_line], 2)
    # lines are sorted by order: line numbers and order totals by position (compact dtypes: at a million people
    # this table has ~40 million lines)
    first = np.r_[True, order_of_line[1:] != order_of_line[:-1]] if len(order_of_line) else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    line_no = np.arange(len(order_of_line)) - np.repeat(starts, np.diff(np.r_[starts, len(order_of_line)])) + 1
    items = pd.DataFrame({"order_pos": order_of_line.astype(np.int64), "product_idx": prod.astype(np.int32),
                          "quantity": qty.astype(np.int32), "unit_price": price, "discount": disc_line,
                          "sub": sub_line.astype(np.int16), "line_no": line_no.astype(np.int32)})
    orders_with_lines = order_of_line[starts]
    tot = pd.DataFrame({"gross_amount": np.add.reduceat(gross_line, starts) if len(starts) else np.zeros(0),
                        "discount": np.add.reduceat(disc_line, starts) if len(starts) else np.zeros(0),
                        "cost": np.add.reduceat(qty * cost, starts) if len(starts) else np.zeros(0)},
                       index=pd.Index(orders_with_lines, name="order_pos"))
    tot["gross_amount"] = tot["gross_amount"].round(2)
    tot["discount"] = tot["discount"].round(2)
    tot["net_amount"] = (tot["gross_amount"] - tot["discount"]).round(2)
    tot["cost"] = tot["cost"].round(2)
    return items, tot


# ----------------------------------------------------------------------------------------------------------------
# campaigns


def _campaigns(rng, ppl, ev, tot, items, products, start, hist_days, C, loc, n_campaigns, promo):
    """Run the past campaigns on the event stream. Returns campaign tables and the modified event stream."""
    n = len(ppl["person_id"])
    if n_campaigns == 0:
        return None
    plan = [CAMPAIGN_PLAN[i % len(CAMPAIGN_PLAN)] for i in range(n_campaigns)]
    first = hist_days * 0.35
    last = hist_days - 50
    days = np.linspace(first, last, n_campaigns).round() + rng.integers(-6, 7, n_campaigns)
    ev = ev.copy()
    ev["keep"] = True
    ev_day = ev["day"].to_numpy()
    ev_person = ev["person"].to_numpy()
    net = tot["net_amount"].reindex(np.arange(len(ev))).fillna(0).to_numpy()
    unsub_day = {ch: ppl["consent"][ch][1].copy() for ch in ("email", "sms", "phone", "mail")}
    optin = {ch: ppl["consent"][ch][0] for ch in ("email", "sms", "phone", "mail")}
    rows_c, rows_ct, rows_truth, rows_ev, new_orders = [], [], [], [], []
    Cg = np.concatenate([[0.0], C])
    for k, (spec, d0) in enumerate(zip(plan, days)):
        cid = f"CMP{k + 1:02d}"
        d0 = float(d0)
        win = spec["window"]
        before = ev["keep"].to_numpy() & (ev_day < d0)
        last_day = np.full(n, -np.inf)
        np.maximum.at(last_day, ev_person[before], ev_day[before])
        spend2y = np.zeros(n)
        recent = before & (ev_day >= d0 - 730)
        np.add.at(spend2y, ev_person[recent], net[recent])
        signed = ppl["signup_day"] < d0
        rec = d0 - last_day
        ch = spec["channel"]
        reach = signed & optin[ch] & (unsub_day[ch] > d0)
        if ch == "phone":
            reach &= ppl["q_lam"] > -1  # everyone with a phone number on file (details in raw exports)
        aud = spec["audience"]
        if aud == "active":
            elig = reach & (rec <= 365)
        elif aud == "buyers":
            elig = reach & np.isfinite(last_day)
        elif aud == "all":
            elig = reach
        elif aud == "top_value":
            thr = np.quantile(spend2y[spend2y > 0], 0.6) if (spend2y > 0).any() else 0
            elig = reach & (spend2y >= thr) & (spend2y > 0)
        elif aud == "vip":
            thr = np.quantile(spend2y[spend2y > 0], 0.9) if (spend2y > 0).any() else 0
            elig = reach & (spend2y >= thr) & (spend2y > 0)
        elif aud == "lapsed_value":
            med = np.median(spend2y[spend2y > 0]) if (spend2y > 0).any() else 0
            elig = reach & (rec > 180) & (rec <= 540) & (spend2y >= med)
        elif aud == "lapsing":
            elig = reach & (rec > 90) & (rec <= 365)
        else:
            raise ValueError(aud)
        who = np.flatnonzero(elig)
        if ch == "phone":   # the call centre has capacity for a limited list: best by spend
            cap = max(200, int(0.04 * n))
            who = who[np.argsort(-spend2y[who])][:cap]
        if len(who) == 0:
            continue
        is_ctrl = rng.random(len(who)) < spec["control"]
        cells = np.array(spec["cells"])[rng.integers(0, len(spec["cells"]), len(who))]
        cells = np.where(is_ctrl, "CTRL", cells)
        contact_day = d0 + rng.uniform(0.35, 0.5, len(who))
        end_day = d0 + win
        # true probabilities: organic purchase in the window (alive at the start), incremental for persuadables
        lam = ppl["lam"][who]
        alive = ~(ppl["death"][who] < d0) & ppl["buyer"][who]
        dC = np.interp(end_day, np.arange(len(Cg)), Cg) - np.interp(d0, np.arange(len(Cg)), Cg)
        p_c = np.where(alive, 1 - np.exp(-lam * dC), 0.0)
        pi = spec["pi"] * ppl["pi_scale"][who] * np.where(alive, 1.0, 0.45)
        subject_boost = np.where(cells == "B", 1.25, 1.0)
        pi = np.minimum(pi * subject_boost, 0.9)
        dnd = ppl["uplift_type"][who] == "do_not_disturb"
        kappa = 0.6
        p_t = np.where(dnd, p_c * (1 - kappa), 1 - (1 - p_c) * (1 - pi))
        treated = ~is_ctrl
        # realise: do-not-disturbs lose organic purchases in the window; persuadables add incremental purchases
        win_mask = ev["keep"].to_numpy() & (ev_day >= d0) & (ev_day < end_day)
        dnd_treated = set(who[treated & dnd])
        if dnd_treated:
            cand = np.flatnonzero(win_mask & np.isin(ev_person, list(dnd_treated)))
            drop_people = {p for p in dnd_treated if rng.random() < kappa}
            cand = cand[np.isin(ev_person[cand], list(drop_people))]
            ev.loc[ev.index[cand], "keep"] = False
        inc = treated & (rng.random(len(who)) < pi)
        inc_who = who[inc]
        inc_day = contact_day[inc] + np.minimum(rng.exponential(win / 4, inc.sum()), win - 0.6)
        new_orders.append(pd.DataFrame({"person": inc_who, "day": inc_day, "campaign": cid,
                                        "disc": spec["discount"]}))
        rows_c.append(dict(campaign_id=cid, name=spec["name"], channel=ch, offer=spec["offer"],
                           start_day=d0, end_day=end_day, cost_per_contact=spec["cost"] * loc["price_factor"],
                           fixed_cost=round(1500 * loc["price_factor"] * (3 if ch in ("mail", "phone") else 1), 0),
                           segment=aud, window=win, discount=spec["discount"]))
        rows_ct.append(pd.DataFrame({"campaign_id": cid, "person": who, "cell": cells,
                                     "group": np.where(is_ctrl, "control", "treatment"), "contact_day": contact_day,
                                     "channel": ch}))
        rows_truth.append(pd.DataFrame({"campaign_id": cid, "person": who,
                                        "group": np.where(is_ctrl, "control", "treatment"),
                                        "p_control": p_c, "p_treated": p_t, "true_uplift": p_t - p_c,
                                        "uplift_type": ppl["uplift_type"][who]}))
        # message events (treated only: control members are never sent anything)
        tw = who[treated]
        tday = contact_day[treated]
        responded = np.isin(tw, inc_who)
        if ch in ("email", "sms"):
            e = message_events(rng, ch, tday, responded, ppl["engagement"][tw],
                               ppl["uplift_type"][tw] == "do_not_disturb", subject_boost[treated])
            k = e["message"].to_numpy()
            evs = pd.DataFrame({"person": tw[k], "event": e["event"], "day": e["day"]})
            evs["campaign_id"] = cid
            evs["channel"] = ch
            rows_ev.append(evs)
            # unsubscribes become consent changes
            opted = np.zeros(len(tw), bool)
            opted[k[e["event"].isin(["unsubscribed", "complained"]).to_numpy()]] = True
            u_people = tw[opted]
            u_days = tday[opted] + 0.05
            unsub_day[ch][u_people] = np.minimum(unsub_day[ch][u_people], u_days)
    camp = pd.DataFrame(rows_c)
    contacts = pd.concat(rows_ct, ignore_index=True)
    ctruth = pd.concat(rows_truth, ignore_index=True)
    msg = (pd.concat(rows_ev, ignore_index=True) if rows_ev
           else pd.DataFrame(columns=["person", "event", "day", "campaign_id", "channel"]))
    inc = pd.concat(new_orders, ignore_index=True)
    return dict(campaigns=camp, contacts=contacts, truth=ctruth, messages=msg,
                incremental=inc, keep=ev["keep"].to_numpy(),
                optout_day=unsub_day)


# ----------------------------------------------------------------------------------------------------------------


def synthetic(n_people: int = 20_000, years: float = 3.0, end_date: str | dt.date = "2026-06-30", locale: str = "en",
              seed: int = 42, duplicate_share: float = 0.07, invalid_email_share: float = 0.03,
              invalid_phone_share: float = 0.03, n_campaigns: int = 8, future_days: int = 365,
              raw: bool = True, raw_dir: str | Path | None = None) -> SyntheticRetailer:
    """Generate the synthetic retailer.

    Parameters
    ----------
    n_people : people in the retailer's world (≈ 88 % of them buy). With the raw exports, 100k people take about
        20 CPU-seconds and 1.7 GB, 1M people about 3 CPU-minutes and 14 GB at the peak (benchmarks/RESULTS.md).
    years : length of the exported history, ending at ``end_date``.
    locale : ``"en"`` (US names, USD) or ``"zh"`` (Chinese names, +86 mobiles, Chinese cities, CNY).
    seed : everything is deterministic for a seed.
    duplicate_share, invalid_email_share, invalid_phone_share : dirt rates of the raw exports.
    n_campaigns : past campaigns in the history (cycling through ``CAMPAIGN_PLAN``).
    future_days : purchases simulated after ``end_date`` and kept in the truth (for CLV validation and for
        ``simulate_campaign``).
    raw : also build the raw exports (set False for speed when only the clean tables are needed).
    raw_dir : write each raw export (and ``sources.yaml``) into this folder as soon as it is built instead of
        keeping it in ``world.raw`` (which stays empty): the same files as ``world.write_raw(raw_dir)``, with a
        third less memory at a million people.

    Returns
    -------
    SyntheticRetailer with ``tables`` (clean canonical tables, customer_id = true person), ``truth`` and ``raw``.

    Example
    -------
    >>> w = synthetic(n_people=300, seed=1, raw=False)
    >>> set(w.tables["orders"]["status"]) <= {"completed", "cancelled", "returned"}
    True
    """
    if locale not in ("en", "zh"):
        raise ValueError("locale must be 'en' or 'zh'")
    rng = np.random.default_rng(seed)
    loc = L.EN if locale == "en" else L.ZH
    end = pd.Timestamp(end_date).normalize()
    hist_days = int(round(years * 365.25))
    start = end - pd.Timedelta(days=hist_days - 1)
    total_days = hist_days + future_days
    m, cal_days = sales_calendar(start, total_days + 2, locale)
    C = np.cumsum(m)
    promo = _promo_days(cal_days, locale)
    tp = dict(TRUE_PARAMS)

    products = _products(rng, loc, locale)
    areas, stores = _areas(rng, loc, locale, n_people)
    ppl = _people(rng, n_people, loc, locale, areas, products, start, hist_days, m, tp)

    # 1. organic purchases (history + future)
    idx, day, death = _purchase_events(rng, ppl, C, total_days)
    ppl["death"] = death
    o = np.lexsort((day, idx))                       # by person, then day (stable, numeric keys only)
    ev = pd.DataFrame({"person": idx[o], "day": day[o]})
    ev["origin"] = "organic"
    ev["campaign"] = None
    ev["disc"] = np.nan
    ev["channel"] = _assign_channel(rng, ppl, ev["person"].to_numpy())
    items0, tot0 = _make_items(rng, ev, ppl, products, promo=promo)

    # 2. past campaigns change the stream: incremental purchases, lost purchases of do-not-disturbs
    camp = _campaigns(rng, ppl, ev, tot0, items0, products, start, hist_days, C, loc, n_campaigns, promo)
    if camp is not None:
        keep = camp["keep"]
        inc = camp["incremental"]
        inc_ev = pd.DataFrame({"person": inc["person"].to_numpy(), "day": inc["day"].to_numpy(), "origin": "campaign",
                               "campaign": inc["campaign"].to_numpy(), "disc": inc["disc"].to_numpy()})
        inc_ev["channel"] = _assign_channel(rng, ppl, inc_ev["person"].to_numpy())
        items1, tot1 = _make_items(rng, inc_ev, ppl, products, discount_override=inc_ev["disc"].to_numpy(), promo=promo)
    else:
        keep = np.ones(len(ev), bool)
        inc_ev = ev.iloc[:0].copy()
        items1, tot1 = items0.iloc[:0].copy(), tot0.iloc[:0].copy()

    # 3. planted sequences: a first purchase triggers a later one
    parts_ev = [ev.assign(keep=keep), inc_ev.assign(keep=True)]
    parts_items = [items0, items1]
    parts_tot = [tot0, tot1]
    sub_keys = products.drop_duplicates("subcategory_key")["subcategory_key"].tolist()
    seq_ev, seq_first = [], []
    for pe, pi_, k in ((parts_ev[0], items0, 0), (parts_ev[1], items1, 1)):
        kept_order = pe["keep"].to_numpy()
        for a, b, prob, within, median in L.SEQUENCE_RULES:
            ia, ib = sub_keys.index(a), sub_keys.index(b)
            hit = _sorted_unique(pi_["order_pos"].to_numpy()[pi_["sub"].to_numpy() == ia])
            hit = hit[kept_order[hit]]
            hit = hit[rng.random(len(hit)) < prob]
            lag = np.minimum(rng.gamma(2.0, median / 1.68, len(hit)), within - 0.5) + 0.5
            src = pe.iloc[hit]
            seq_ev.append(pd.DataFrame({"person": src["person"].to_numpy(), "day": src["day"].to_numpy() + lag,
                                        "origin": f"sequence:{a}>{b}", "campaign": None, "disc": np.nan}))
            seq_first.append(np.full(len(hit), ib))
    seq_ev = pd.concat(seq_ev, ignore_index=True)
    seq_first = np.concatenate(seq_first)
    inside = seq_ev["day"].to_numpy() < total_days
    seq_ev, seq_first = seq_ev[inside].reset_index(drop=True), seq_first[inside]
    seq_ev["channel"] = _assign_channel(rng, ppl, seq_ev["person"].to_numpy())
    items2, tot2 = _make_items(rng, seq_ev, ppl, products, first_line=seq_first, promo=promo)
    parts_ev.append(seq_ev.assign(keep=True))
    parts_items.append(items2)
    parts_tot.append(tot2)

    # 4. assemble all orders. Intermediates are released as soon as they are merged: at a million people each
    # copy of the order lines is about 2 GB.
    del items0, items1, items2, tot0, tot1, tot2, ev, inc_ev, seq_ev, pe, pi_, src
    offset = 0
    all_ev, all_items = [], []
    while parts_ev:
        pe, pit, pt = parts_ev.pop(0), parts_items.pop(0), parts_tot.pop(0)
        pe = pe.reset_index(drop=True)
        pe["pos"] = np.arange(len(pe)) + offset
        pe = pe.join(pt, how="left")
        pit["pos"] = pit["order_pos"] + offset
        offset += len(pe)
        all_ev.append(pe)
        all_items.append(pit)
    del pe, pit, pt
    orders = pd.concat(all_ev, ignore_index=True)
    del all_ev
    items = pd.concat(all_items, ignore_index=True)
    del all_items
    kept = orders["keep"].to_numpy()
    orders = orders[kept]
    items = items[_flags(orders["pos"].to_numpy(), offset)[items["pos"].to_numpy()]]
    orders["day"] = np.floor(orders["day"].to_numpy()) + _time_of_day(rng, orders["channel"].to_numpy())
    orders = orders.iloc[np.lexsort((orders["person"].to_numpy(), orders["day"].to_numpy()))].reset_index(drop=True)

    # order ids per source system, statuses, returns (integer positions inside, strings only for the output)
    n_o = len(orders)
    ch = orders["channel"].to_numpy().astype(str)
    prefix = np.select([ch == "store", ch == "catalog"], ["S", "K"], "W")
    serial = pa.array(np.arange(1, n_o + 1) + 10_000_000).cast(pa.string())
    oid = pa.compute.binary_join_element_wise(pa.array(prefix), serial, "")   # Arrow strings: compact, no objects
    orders["order_id"] = pd.Series(oid, dtype="str")
    pos = orders["pos"].to_numpy()
    row_by_pos = np.full(int(pos.max()) + 1 if n_o else 0, -1, dtype=np.int64)
    row_by_pos[pos] = np.arange(n_o)
    cancel_p = np.where((ch == "web") | (ch == "app"), 0.03, np.where(ch == "catalog", 0.01, 0.0))
    cancelled = rng.random(n_o) < cancel_p
    soft_subs = [sub_keys.index(x) for x in ("Womenswear", "Menswear", "Kidswear", "Sneakers", "Boots", "Sandals")]
    soft = _flags(items["pos"].to_numpy()[np.isin(items["sub"].to_numpy(), soft_subs)], offset)[pos]
    ret_p = 0.02 + 0.07 * soft + 0.30 * ppl["serial_returner"][orders["person"].to_numpy()]
    returned = ~cancelled & (rng.random(n_o) < ret_p)
    orders["status"] = np.where(cancelled, "cancelled", "completed")
    store_ids = stores["store_id"].to_numpy()
    city_store = {c: i for i, c in enumerate(stores["city"])}
    area_store = np.array([city_store.get(c, k % len(store_ids)) for k, c in enumerate(areas["city"])])
    st_mask = ch == "store"
    store = np.full(n_o, None, dtype=object)
    store[st_mask] = store_ids[area_store[ppl["area_idx"][orders["person"].to_numpy()[st_mask]]]]
    orders["store_id"] = store
    ret = orders[returned].copy()
    ret["original_order_id"] = ret["order_id"]
    ret["order_id"] = "R" + ret["order_id"]
    ret["day"] = ret["day"] + rng.uniform(2, 30, len(ret))
    for c in ("gross_amount", "discount", "net_amount", "cost"):
        ret[c] = -ret[c]
    ret["status"] = "returned"
    ret["origin"] = "return"
    orders["original_order_id"] = None
    orders = pd.concat([orders, ret], ignore_index=True)
    orders["order_ts"] = (start + pd.to_timedelta(orders["day"].to_numpy(), unit="D")).floor("s")
    orders["customer_id"] = pd.Series(pa.array(ppl["person_id"]).take(orders["person"].to_numpy()), dtype="str")

    end_excl = end + pd.Timedelta(days=1)
    in_hist = (orders["order_ts"] < end_excl).to_numpy()
    orders = orders.drop(columns=["keep", "disc"])
    hist = orders[in_hist]
    fut = orders[~in_hist]

    hist_pos = orders.loc[in_hist & (orders["status"] != "returned").to_numpy(), "pos"].to_numpy()
    it_pos = items["pos"].to_numpy()
    keep_items = _flags(hist_pos, offset)[it_pos]
    hist_items = pd.DataFrame({
        "order_id": pd.Series(oid.take(row_by_pos[it_pos[keep_items]]), dtype="str"),
        "line_no": items["line_no"].to_numpy()[keep_items].astype(np.int64),
        "product_id": pd.Series(pa.array(products["product_id"].to_numpy(dtype=str)).take(
            items["product_idx"].to_numpy()[keep_items]), dtype="str"),
        "quantity": items["quantity"].to_numpy()[keep_items].astype(np.int64),
        "unit_price": items["unit_price"].to_numpy()[keep_items],
        "discount": items["discount"].to_numpy()[keep_items],
    })
    item_order_row = row_by_pos[it_pos[keep_items]]          # each line's row in `orders`
    order_person = orders["person"].to_numpy()
    n_orders_all = len(orders)
    order_pos = orders["pos"].to_numpy()
    del items, it_pos, keep_items, orders, oid

    # ------------------------------------------------------------------ canonical clean tables
    start_ts = start
    day_to_ts = lambda d: (start_ts + pd.to_timedelta(np.asarray(d, float), unit="D")).floor("s")  # noqa: E731
    people_area = areas.iloc[ppl["area_idx"]].reset_index(drop=True)
    birth = (end - pd.to_timedelta(ppl["age"] * 365.25 + rng.uniform(0, 364, n_people), unit="D")).normalize()
    signup_ts = day_to_ts(ppl["signup_day"])
    from .raw_exports import person_identities
    ident = person_identities(rng, ppl, people_area, loc, locale)
    customers = pd.DataFrame({
        "customer_id": ppl["person_id"], "first_name": ident["first_name"], "last_name": ident["last_name"],
        "email": ident["email"], "phone": ident["phone"], "gender": ppl["gender"],
        "birth_date": birth.date, "street": ident["street"], "postal_code": people_area["postal_code"].to_numpy(),
        "city": people_area["city"].to_numpy(), "signup_date": signup_ts.date,
        "acquisition_channel": ppl["acq_channel"], "acquisition_cost": ppl["cac"],
        "household_id": ident["household_id"], "income_band": ppl["income_band"], "age": ppl["age"],
    })
    in_db = ppl["signup_day"] < hist_days            # everyone signed up within the exported history
    customers = customers[in_db].reset_index(drop=True)

    consents = []
    for chn in ("email", "sms", "phone", "mail"):
        opt_in, _ = ppl["consent"][chn]
        opt_out = camp["optout_day"][chn] if camp is not None else ppl["consent"][chn][1]
        consents.append(pd.DataFrame({"customer_id": ppl["person_id"][in_db], "channel": chn,
                                      "status": np.where(opt_in[in_db], "opt_in", "opt_out"),
                                      "updated_at": day_to_ts(ppl["signup_day"][in_db])}))
        later = np.isfinite(opt_out) & opt_in & (opt_out < hist_days) & in_db
        consents.append(pd.DataFrame({"customer_id": ppl["person_id"][later], "channel": chn, "status": "opt_out",
                                      "updated_at": day_to_ts(opt_out[later])}))
    consents = pd.concat(consents, ignore_index=True)
    consents = consents.sort_values(["customer_id", "channel", "updated_at"], kind="stable")
    consents = consents.reset_index(drop=True)

    orders_table = hist[["order_id", "customer_id", "order_ts", "channel", "store_id", "gross_amount", "discount",
                         "net_amount", "cost", "status", "original_order_id"]].sort_values("order_ts")
    # integer keys for the raw exports (so they need not look order ids up by text): each order line's row in the
    # orders table, each order's row in the customers table
    table_row = np.full(n_orders_all, -1)
    table_row[orders_table.index.to_numpy()] = np.arange(len(orders_table))
    customer_row = np.where(in_db, np.cumsum(in_db) - 1, -1)
    rows = orders_table.index.to_numpy()
    is_return = orders_table["status"].to_numpy() == "returned"      # a return shares its original's position
    raw_keys = {"item_order": table_row[item_order_row],
                "order_customer": customer_row[order_person[rows]],
                "order_original": np.where(is_return, table_row[row_by_pos[order_pos[rows]]], -1)}
    del table_row, item_order_row, order_person, order_pos, row_by_pos, rows, is_return
    tables = {
        "customers": customers,
        "consents": consents,
        "orders": orders_table.reset_index(drop=True),
        "order_items": hist_items,
        "products": products[["product_id", "name", "category", "subcategory", "unit_cost", "list_price"]].copy(),
        "area_demographics": areas.drop(columns=["has_store"]).copy(),
        "stores": stores,
    }
    truth_people = pd.DataFrame({
        "person_id": ppl["person_id"], "buyer": ppl["buyer"], "lam_per_day": ppl["lam"], "p_drop": ppl["pdrop"],
        "death_ts": pd.Series(np.where(np.isfinite(death) & ~np.isnan(death), death, np.nan)).pipe(
            lambda s: start_ts + pd.to_timedelta(s, unit="D")),
        "alive_at_end": ppl["buyer"] & ~(death <= hist_days),
        "acquisition_channel": ppl["acq_channel"], "primary_channel": ppl["primary_channel"],
        "multichannel": ppl["multichannel"], "deal_seeker": ppl["deal_seeker"],
        "serial_returner": ppl["serial_returner"], "price_tier": ppl["tier"], "engagement": ppl["engagement"],
        "uplift_type": ppl["uplift_type"], "pi_scale": ppl["pi_scale"], "age": ppl["age"],
        "income": np.round(ppl["income"], 0), "income_band": ppl["income_band"], "has_kids": ppl["kids"],
        "signup_ts": signup_ts,
    })
    fut_done = fut[fut["status"] != "cancelled"]
    fsum = fut_done.assign(is_order=(fut_done["status"] == "completed").astype(int)).groupby("person").agg(
        future_orders=("is_order", "sum"), future_revenue=("net_amount", "sum"), future_cost=("cost", "sum"))
    fsum = fsum.reindex(np.arange(n_people))
    for c_ in fsum.columns:
        truth_people[c_] = fsum[c_].to_numpy()
    for c in ("future_orders", "future_revenue", "future_cost"):
        truth_people[c] = truth_people[c].fillna(0)
    truth_people["future_margin"] = truth_people["future_revenue"] - truth_people["future_cost"]
    truth = {
        "people": truth_people,
        "future_orders": fut[["order_id", "customer_id", "order_ts", "channel", "net_amount", "cost", "status",
                              "origin"]].reset_index(drop=True),
        "order_origin": hist[["order_id", "origin", "campaign"]].reset_index(drop=True),
        "planted_rules": pd.DataFrame(
            [dict(kind="basket", antecedent=a, consequent=b, probability=p, within_days=np.nan)
             for a, b, p in L.BASKET_RULES]
            + [dict(kind="sequence", antecedent=a, consequent=b, probability=p, within_days=w) for a, b, p, w, _ in
               L.SEQUENCE_RULES]),
        "products": products.copy(),
    }

    if camp is not None:
        cmp_ = camp["campaigns"].copy()
        cmp_["start_date"] = day_to_ts(cmp_["start_day"]).date
        cmp_["end_date"] = day_to_ts(cmp_["end_day"]).date
        tables["campaigns"] = cmp_[["campaign_id", "name", "channel", "offer", "start_date", "end_date",
                                    "cost_per_contact", "fixed_cost", "segment"]].copy()
        ct = camp["contacts"]
        tables["contacts"] = pd.DataFrame({"campaign_id": ct["campaign_id"],
                                           "customer_id": ppl["person_id"][ct["person"]],
                                           "cell": ct["cell"], "group": ct["group"],
                                           "contact_ts": day_to_ts(ct["contact_day"]), "channel": ct["channel"]})
        # responses as the client tracks them: coupon redemptions of treated people in the window
        meta = cmp_.set_index("campaign_id")
        trt = tables["contacts"][tables["contacts"]["group"] == "treatment"]
        done = hist[hist["status"] == "completed"]
        parts = []
        for cid_, g in trt.groupby("campaign_id"):
            lo, hi = g["contact_ts"].min(), g["contact_ts"].max() + pd.Timedelta(days=int(meta.loc[cid_, "window"]))
            w_ = done[(done["order_ts"] >= lo) & (done["order_ts"] < hi)]
            m_ = w_.merge(g[["campaign_id", "customer_id", "contact_ts"]], on="customer_id")
            parts.append(m_[(m_["order_ts"] >= m_["contact_ts"]) &
                            (m_["order_ts"] < m_["contact_ts"] + pd.Timedelta(days=int(meta.loc[cid_, "window"])))])
        cand = pd.concat(parts, ignore_index=True)
        coded = (cand["campaign"] == cand["campaign_id"]) | (rng.random(len(cand)) < 0.55)
        resp = cand[coded].sort_values("order_ts").drop_duplicates(["campaign_id", "customer_id"])
        tables["responses"] = pd.DataFrame({"campaign_id": resp["campaign_id"].to_numpy(),
                                            "customer_id": resp["customer_id"].to_numpy(),
                                            "response_ts": resp["order_ts"].to_numpy(),
                                            "order_id": resp["order_id"].to_numpy(),
                                            "revenue": resp["net_amount"].to_numpy()})
        msg = camp["messages"]
        msg_df = pd.DataFrame({"campaign_id": msg["campaign_id"].to_numpy(),
                               "customer_id": ppl["person_id"][msg["person"].to_numpy().astype(int)],
                               "channel": msg["channel"].to_numpy(), "event": msg["event"].to_numpy(),
                               "event_ts": day_to_ts(msg["day"].to_numpy())})
        msg_df = msg_df[msg_df["event_ts"] < end_excl]
        for ch in ("email", "sms"):
            tables[f"{ch}_events"] = (msg_df[msg_df["channel"] == ch].drop(columns="channel")
                                      .sort_values("event_ts").reset_index(drop=True))
        ctr = camp["truth"]
        truth["campaign_uplift"] = pd.DataFrame({"campaign_id": ctr["campaign_id"],
                                                 "person_id": ppl["person_id"][ctr["person"]],
                                                 "group": ctr["group"], "p_control": ctr["p_control"],
                                                 "p_treated": ctr["p_treated"], "true_uplift": ctr["true_uplift"],
                                                 "uplift_type": ctr["uplift_type"]})
        truth["campaigns"] = cmp_.drop(columns=["start_day", "end_day"])
    else:
        for t, cols in (("campaigns", ["campaign_id", "name", "channel", "offer", "start_date", "end_date",
                                       "cost_per_contact", "fixed_cost", "segment"]),
                        ("contacts", ["campaign_id", "customer_id", "cell", "group", "contact_ts", "channel"]),
                        ("responses", ["campaign_id", "customer_id", "response_ts", "order_id", "revenue"]),
                        ("email_events", ["campaign_id", "customer_id", "event", "event_ts"]),
                        ("sms_events", ["campaign_id", "customer_id", "event", "event_ts"])):
            tables[t] = pd.DataFrame(columns=cols)

    params = dict(n_people=n_people, years=years, start_date=str(start.date()), end_date=str(end.date()),
                  locale=locale, seed=seed, duplicate_share=duplicate_share, invalid_email_share=invalid_email_share,
                  invalid_phone_share=invalid_phone_share, n_campaigns=n_campaigns, future_days=future_days,
                  currency=loc["currency"], retailer=loc["retailer"], true_params=tp,
                  time_unit_of_true_params="days")
    world = SyntheticRetailer(params=params, tables=tables, truth=truth, raw={})
    # the working frames are no longer needed: free them before the raw exports (the memory peak)
    del hist, fut, fut_done, camp, customers, consents, truth_people, people_area
    if raw:
        sink = None
        if raw_dir is not None:
            def sink(name, df, _dir=Path(raw_dir)):
                write_raw_file(name, df, locale, _dir)
        world.raw, truth["records"], truth["raw_dirt"] = build_raw_exports(rng, world, ppl, ident, loc, locale,
                                                                           keys=raw_keys, sink=sink)
        if raw_dir is not None:
            write_sources_yaml(locale, Path(raw_dir))
    return world
