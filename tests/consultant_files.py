"""Sales files in shapes the workbook has never seen, written with pandas for the consultant tests.

Each writer returns the file's path and the facts a correct mapping must reproduce (customers, orders, revenue
of known customers). All files are small (a few hundred customers) and deterministic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _orders(rng, n_customers: int, n_orders: int, start="2023-01-01", days=540) -> pd.DataFrame:
    cust = rng.integers(0, n_customers, n_orders)
    ts = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days * 24 * 60, n_orders), unit="min")
    amount = np.round(rng.gamma(2.0, 30.0, n_orders) + 1, 2)
    df = pd.DataFrame({"cust": cust, "ts": ts, "amount": amount}).sort_values("ts").reset_index(drop=True)
    df["order_no"] = np.arange(100001, 100001 + n_orders)
    return df


def online_retail_csv(d: Path, seed: int = 1) -> tuple[Path, dict]:
    """Invoice lines like the UCI "Online Retail" file: 'C' invoices are cancellations with negative quantities,
    InvoiceDate like '12/1/2010 8:26', CustomerID a float with missing values."""
    rng = np.random.default_rng(seed)
    n_inv = 900
    inv = pd.DataFrame({"InvoiceNo": np.arange(536365, 536365 + n_inv).astype(str),
                        "CustomerID": rng.integers(12346, 12346 + 300, n_inv).astype(float),
                        "ts": pd.Timestamp("2010-12-01 08:26") + pd.to_timedelta(
                            np.sort(rng.integers(0, 370 * 24 * 60, n_inv)), unit="min"),
                        "Country": rng.choice(["United Kingdom"] * 8 + ["France", "Germany"], n_inv)})
    inv.loc[rng.random(n_inv) < 0.12, "CustomerID"] = np.nan          # missing customer ids
    cancel = rng.random(n_inv) < 0.06
    inv.loc[cancel, "InvoiceNo"] = "C" + inv.loc[cancel, "InvoiceNo"]
    stock = [f"{x}{s}" for x, s in zip(rng.integers(20000, 90000, 120), rng.choice(["", "", "A", "B"], 120))]
    desc = [f"PRODUCT {i} {w}" for i, w in enumerate(rng.choice(["HEART", "LANTERN", "MUG", "BAG"], 120))]
    price = np.round(rng.gamma(2, 2.0, 120) + 0.29, 2)
    lines = []
    for r in inv.itertuples():
        k = rng.integers(1, 6)
        for _ in range(k):
            j = rng.integers(0, 120)
            q = int(rng.integers(1, 13))
            lines.append({"InvoiceNo": r.InvoiceNo, "StockCode": stock[j], "Description": desc[j],
                          "Quantity": -q if r.InvoiceNo.startswith("C") else q,
                          "InvoiceDate": f"{r.ts.month}/{r.ts.day}/{r.ts.year} {r.ts.hour}:{r.ts.minute:02d}",
                          "UnitPrice": price[j], "CustomerID": r.CustomerID, "Country": r.Country})
    df = pd.DataFrame(lines)
    p = d / "online_retail_export.csv"
    df.to_csv(p, index=False)
    known = df[df["CustomerID"].notna()]
    facts = {"customers": int(known["CustomerID"].nunique()), "invoices": int(known["InvoiceNo"].nunique()),
             "net_revenue": float((known["Quantity"] * known["UnitPrice"]).sum()),
             "anonymous_invoices": int(df.loc[df["CustomerID"].isna(), "InvoiceNo"].nunique()),
             "returns": int(known.loc[known["InvoiceNo"].str.startswith("C"), "InvoiceNo"].nunique()),
             "first": str(inv["ts"].min()), "last": str(inv["ts"].max())}
    return p, facts


def chinese_orders_csv(d: Path, seed: int = 2) -> tuple[Path, dict]:
    """An order file from a Chinese shop system, GB18030, Chinese headers, dates like 2024年3月5日 14:05,
    amounts like ¥1,234.50, phone numbers and names of the buyers, channel and status in Chinese."""
    rng = np.random.default_rng(seed)
    o = _orders(rng, 250, 1200, start="2023-03-01")
    surnames, given = list("王李张刘陈杨赵黄周吴"), ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳"]
    names = [rng.choice(surnames) + rng.choice(given) + rng.choice(given) for _ in range(250)]
    phones = [f"1{rng.choice([3, 5, 8])}{rng.integers(0, 10)}{rng.integers(10_000_000, 99_999_999)}"
              for _ in range(250)]
    status = rng.choice(["已完成"] * 18 + ["已退货", "已取消"], len(o))
    df = pd.DataFrame({
        "订单编号": ["SO" + str(x) for x in o["order_no"]],
        "客户编号": [f"VIP{c:05d}" for c in o["cust"]],
        "客户姓名": [names[c] for c in o["cust"]],
        "手机号": [phones[c] for c in o["cust"]],
        "订单日期": [f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}" for t in o["ts"]],
        "金额": [f"¥{a:,.2f}" for a in o["amount"]],
        "渠道": rng.choice(["门店", "线上", "小程序"], len(o)),
        "订单状态": status,
    })
    p = d / "订单导出.csv"
    df.to_csv(p, index=False, encoding="gb18030")
    facts = {"customers": int(o["cust"].nunique()), "orders": len(o),
             "net_revenue": float(o.loc[status == "已完成", "amount"].sum()),      # returns cancel their sale
             "returns": int((status == "已退货").sum()), "cancelled": int((status == "已取消").sum()),
             "first": str(o["ts"].min().floor("min")), "last": str(o["ts"].max().floor("min"))}
    return p, facts


def european_semicolon_csv(d: Path, seed: int = 3) -> tuple[Path, dict]:
    """A French/German style export: ';' delimiter, decimal comma with '.' thousands, day-first dates,
    cp1252 encoding (N° headers)."""
    rng = np.random.default_rng(seed)
    o = _orders(rng, 300, 1500, start="2022-06-01")
    o["amount"] = o["amount"] * 20             # some amounts above 1.000 to show thousands separators
    df = pd.DataFrame({
        "N° commande": o["order_no"].astype(str),
        "N° client": [f"{c + 5000}" for c in o["cust"]],
        "Date de commande": o["ts"].dt.strftime("%d/%m/%Y"),
        "Montant TTC": [f"{a:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") for a in o["amount"]],
        "Canal": rng.choice(["magasin", "web"], len(o)),
    })
    p = d / "export_ventes.csv"
    df.to_csv(p, index=False, sep=";", encoding="cp1252")
    facts = {"customers": int(o["cust"].nunique()), "orders": len(o), "net_revenue": float(o["amount"].round(2).sum()),
             "first": str(o["ts"].min().normalize()), "last": str(o["ts"].max().normalize())}
    return p, facts


def excel_with_title_rows(d: Path, seed: int = 4) -> tuple[Path, dict]:
    """An Excel workbook with two title rows and a blank row above the header; odd header names
    ('Txn Ref', 'Member No.', 'Txn Date', 'Total (USD)') and real Excel dates."""
    rng = np.random.default_rng(seed)
    o = _orders(rng, 200, 900, start="2023-09-01", days=300)
    body = pd.DataFrame({"Txn Ref": ["T-" + str(x) for x in o["order_no"]],
                         "Member No.": [f"M{c:04d}" for c in o["cust"]],
                         "Txn Date": o["ts"].dt.floor("min"),
                         "Outlet": rng.choice(["North", "South", "Online"], len(o)),
                         "Total (USD)": o["amount"]})
    p = d / "loyalty_sales.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        pd.DataFrame([["Loyalty programme — sales export"], ["generated 2024-07-01 by POS v2"], [None]]).to_excel(
            xw, sheet_name="Sales", header=False, index=False, startrow=0)
        body.to_excel(xw, sheet_name="Sales", index=False, startrow=3)
    facts = {"customers": int(o["cust"].nunique()), "orders": len(o), "net_revenue": float(o["amount"].sum()),
             "first": str(o["ts"].min().floor("min")), "last": str(o["ts"].max().floor("min"))}
    return p, facts


def parquet_lines(d: Path, seed: int = 5) -> tuple[Path, dict]:
    """A Parquet file of basket lines with typed columns (int keys, timestamps, floats) and unusual names."""
    rng = np.random.default_rng(seed)
    n_baskets = 800
    b = pd.DataFrame({"basket": np.arange(9_000_001, 9_000_001 + n_baskets, dtype="int64"),
                      "hh_key": rng.integers(1, 260, n_baskets).astype("int64"),
                      "ts": pd.Timestamp("2024-01-02 09:00") + pd.to_timedelta(
                          np.sort(rng.integers(0, 200 * 24 * 60, n_baskets)), unit="min")})
    rows = []
    for r in b.itertuples():
        for _ in range(int(rng.integers(1, 5))):
            rows.append({"basket": r.basket, "hh_key": r.hh_key, "ts": r.ts,
                         "sku": f"SKU-{int(rng.integers(100, 400))}", "qty": int(rng.integers(1, 4)),
                         "price_each": float(np.round(rng.uniform(0.5, 20), 2))})
    df = pd.DataFrame(rows)
    p = d / "basket_lines.parquet"
    df.to_parquet(p, index=False)
    facts = {"customers": int(df["hh_key"].nunique()), "orders": int(df["basket"].nunique()),
             "net_revenue": float((df["qty"] * df["price_each"]).sum()),
             "first": str(df["ts"].min()), "last": str(df["ts"].max())}
    return p, facts


WRITERS = {"online_retail": online_retail_csv, "chinese": chinese_orders_csv, "european": european_semicolon_csv,
           "excel": excel_with_title_rows, "parquet": parquet_lines}


def sales_only_client(d: Path, n: int = 120) -> Path:
    """A client with nothing but one order file (``orders.csv``: n orders of 30 customers, one every other day from
    2024-01-01) and its config ``shop.yaml`` in folder ``d``; returns the config's path."""
    pd.DataFrame({"order": [f"O{i}" for i in range(n)], "customer": [f"C{i % 30}" for i in range(n)],
                  "date": pd.date_range("2024-01-01", periods=n, freq="2D").strftime("%Y-%m-%d"),
                  "amount": [5.0 + i for i in range(n)]}).to_csv(d / "orders.csv", index=False)
    cfg = d / "shop.yaml"
    cfg.write_text("client: shop\ndata:\n  sources:\n    orders:\n      - path: orders.csv\n"
                   "        columns: {order_id: order, customer_id: customer, order_ts: date, net_amount: amount}\n")
    return cfg


def zh_sales_only_client(d: Path) -> Path:
    """:func:`sales_only_client` with ``language: zh`` (30 customers, 120 orders): the Chinese consultant tests."""
    d.mkdir(parents=True, exist_ok=True)
    cfg = sales_only_client(d)
    cfg.write_text("language: zh\n" + cfg.read_text(encoding="utf-8"), encoding="utf-8")
    return cfg
