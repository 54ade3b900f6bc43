"""The bundled real data sets: CDNOW (Fader & Hardie) and The Complete Journey (84.51°).

The files live in the repository's ``data/`` folder (sources, licences and checksums in ``data/README.md``); the
environment variable ``DBMKIT_DATA_DIR`` points elsewhere when the package is installed without the repository.

* ``cdnow(kind="sample" | "master")`` — the transaction log, one row per purchase line: ``customer_id`` (text),
  ``date``, ``cds``, ``dollars`` (the sample also has ``master_id``). In the sample, ``customer_id`` is the
  sample's own id (1…2,357), the ``ID`` of the published summaries.
* ``cdnow_summary(spend=False)`` — the published 39-week calibration summary in weeks (customer_id, frequency,
  recency, T; with ``spend=True`` also monetary_value = mean repeat-purchase value, the Gamma-Gamma input).
* ``complete_journey(table)`` — one table of The Complete Journey as a DataFrame.

Example
-------
>>> tx = cdnow("sample")
>>> tx.shape, tx["customer_id"].nunique()
((6919, 5), 2357)
>>> cdnow_summary().head(1).to_dict("records")
[{'customer_id': '1', 'frequency': 2, 'recency': 30.43, 'T': 38.86}]
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..i18n import pick

__all__ = ["data_dir", "cdnow", "cdnow_summary", "complete_journey", "COMPLETE_JOURNEY_TABLES",
           "CDNOW_CALIBRATION_END"]

CDNOW_CALIBRATION_END = "1997-09-30"   # the 39-week calibration period of the BG/NBD paper ends here

COMPLETE_JOURNEY_TABLES = {
    # table: date columns
    "campaign_descriptions": ["start_date", "end_date"],
    "campaigns": [],
    "coupons": [],
    "coupon_redemptions": ["redemption_date"],
    "demographics": [],
    "products": [],
    "promotions_sample": [],
    "transactions_sample": ["transaction_timestamp"],
}
_ID_COLUMNS = ("household_id", "product_id", "campaign_id", "coupon_upc", "store_id", "basket_id",
               "manufacturer_id")


def data_dir() -> Path:
    """The folder with the bundled data (``DBMKIT_DATA_DIR`` or the workbook's ``data/``, :mod:`dbmkit.workbook`)."""
    from ..workbook import root
    env = os.environ.get("DBMKIT_DATA_DIR")
    d = Path(env) if env else root() / "data"
    if not d.is_dir():
        raise FileNotFoundError(f"the bundled data folder {d} does not exist; set DBMKIT_DATA_DIR to the folder "
                                "holding cdnow/ and completejourney/ (see data/README.md)")
    return d


def _file(*parts: str) -> Path:
    p = data_dir().joinpath(*parts)
    if not p.is_file():
        raise FileNotFoundError(pick((f"missing data file {p}; restore it from the repository (data/README.md lists "
                                      "every file with its checksum)",
                                      f"缺少数据文件 {p}；请从代码仓库恢复它"
                                      "（data/README.md 列出了每个文件及其校验和）")))
    return p


def cdnow(kind: str = "sample") -> pd.DataFrame:
    """The CDNOW transaction log: ``kind="sample"`` (2,357 customers) or ``"master"`` (23,570 customers).

    One row per purchase record with ``customer_id`` (text), ``date`` (datetime), ``cds`` (int), ``dollars``
    (float); the sample also keeps ``master_id``. Several rows on the same day are separate records here;
    :func:`dbmkit.rfm.customer_summary` counts them as one purchase day, as the BTYD literature does.

    >>> m = cdnow("master")
    >>> len(m), m["customer_id"].nunique(), str(m["date"].max().date())
    (69659, 23570, '1998-06-30')
    """
    if kind == "sample":
        df = pd.read_csv(_file("cdnow", "CDNOW_sample.txt"), sep=r"\s+", header=None,
                         names=["master_id", "sample_id", "date", "cds", "dollars"],
                         dtype={"master_id": str, "sample_id": str, "date": str})
        df["customer_id"] = df["sample_id"].astype(int).astype(str)
        df["master_id"] = df["master_id"].astype(int).astype(str)
        df = df[["customer_id", "master_id", "date", "cds", "dollars"]]
    elif kind == "master":
        df = pd.read_csv(_file("cdnow", "CDNOW_master.txt"), sep=r"\s+", header=None, skiprows=1,
                         names=["customer_id", "date", "cds", "dollars"],
                         dtype={"customer_id": str, "date": str})
        df["customer_id"] = df["customer_id"].astype(int).astype(str)
    else:
        raise ValueError(f"kind must be 'sample' (2,357 customers) or 'master' (23,570 customers), not {kind!r}")
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df["cds"] = df["cds"].astype("int64")
    df["dollars"] = df["dollars"].astype(float)
    return df.reset_index(drop=True)


def cdnow_summary(spend: bool = False) -> pd.DataFrame:
    """The published 39-week calibration summary of the CDNOW sample (time unit: weeks; as of 1997-09-30).

    Columns ``customer_id`` (the sample id as text), ``frequency`` (repeat purchases), ``recency`` (weeks from the
    first to the last purchase), ``T`` (weeks from the first purchase to the end of calibration); with
    ``spend=True`` also ``monetary_value`` (mean value of the repeat purchases, 0 without repeats).

    >>> s = cdnow_summary(spend=True)
    >>> len(s), int((s["frequency"] > 0).sum()), round(float(s.loc[s["frequency"] > 0, "monetary_value"].mean()), 2)
    (2357, 946, 35.08)
    """
    if spend:
        df = pd.read_csv(_file("cdnow", "cdnow_customers_summary_with_transactions.csv"))
        df = df.rename(columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    else:
        df = pd.read_csv(_file("cdnow", "cdnow_customers_summary.csv")).rename(columns={"ID": "customer_id"})
    df["customer_id"] = df["customer_id"].astype(str)
    df["frequency"] = df["frequency"].astype("int64")
    return df


def complete_journey(table: str = "transactions_sample") -> pd.DataFrame:
    """One table of The Complete Journey (84.51°, CC0) as a DataFrame; ids are text, dates are parsed.

    Tables: campaign_descriptions, campaigns, coupons, coupon_redemptions, demographics, products,
    promotions_sample, transactions_sample.

    >>> cd = complete_journey("campaign_descriptions")
    >>> len(cd), sorted(cd["campaign_type"].unique())
    (27, ['Type A', 'Type B', 'Type C'])
    """
    if table not in COMPLETE_JOURNEY_TABLES:
        raise KeyError(f"The Complete Journey has no table {table!r}; tables: {', '.join(COMPLETE_JOURNEY_TABLES)}")
    path = _file("completejourney", f"{table}.csv.gz")
    header = pd.read_csv(path, nrows=0).columns
    df = pd.read_csv(path, dtype={c: str for c in header if c in _ID_COLUMNS})
    for c in COMPLETE_JOURNEY_TABLES[table]:
        df[c] = pd.to_datetime(df[c])
    return df
