"""dbmkit new-client: format detection, table and mapping guesses from headers (EN/中文/DE/FR) and values, the
commented YAML draft, and clear errors — on sales files in shapes the code has never seen."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbmkit import consultant
from dbmkit.config import ConfigError, load_config
from dbmkit.ingest import IngestError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import consultant_files as cf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = {
    "online_retail": ("sales_lines", {"order_id": "InvoiceNo", "customer_id": "CustomerID", "order_ts": "InvoiceDate",
                                      "product_id": "StockCode", "quantity": "Quantity", "unit_price": "UnitPrice"}),
    "chinese": ("orders", {"order_id": "订单编号", "customer_id": "客户编号", "order_ts": "订单日期",
                           "net_amount": "金额", "channel": "渠道", "status": "订单状态"}),
    "european": ("orders", {"order_id": "N° commande", "customer_id": "N° client", "order_ts": "Date de commande",
                            "net_amount": "Montant TTC", "channel": "Canal"}),
    "excel": ("orders", {"order_id": "Txn Ref", "customer_id": "Member No.", "order_ts": "Txn Date",
                         "net_amount": "Total (USD)", "store_id": "Outlet"}),
    "parquet": ("sales_lines", {"order_id": "basket", "customer_id": "hh_key", "order_ts": "ts", "product_id": "sku",
                                "quantity": "qty", "unit_price": "price_each"}),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("client_files")
    return {k: w(d)[0] for k, w in cf.WRITERS.items()}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_table_and_mapping_are_guessed(files, kind):
    draft = consultant.draft_source(files[kind])
    table, mapping = EXPECTED[kind]
    assert draft.table == table
    assert draft.columns == mapping
    assert draft.missing == []
    assert all(g.why for g in draft.guesses)          # every guess says why


def test_detected_settings(files):
    ret = consultant.draft_source(files["online_retail"])
    assert ret.date_format == "%m/%d/%Y %H:%M"        # 12/13/2010 occurs: month first
    assert any("'C'" in n and "cancellations" in n for n in ret.notes)
    assert any("no customer id" in n and "anonymous" in n for n in ret.notes)
    assert [c for c, _ in ret.unplaced] == ["Description", "Country"]
    cn = consultant.draft_source(files["chinese"])
    assert (cn.info["encoding"], cn.language, cn.currency, cn.date_format) == ("gb18030", "zh", "CNY", "%Y年%m月%d日")
    assert {c for c, _ in cn.unplaced} == {"客户姓名", "手机号"}
    eu = consultant.draft_source(files["european"])
    assert (eu.info["delimiter"], eu.info["encoding"], eu.decimal, eu.date_format) == (";", "cp1252", ",", "%d/%m/%Y")
    xl = consultant.draft_source(files["excel"])
    assert (xl.info["format"], xl.info["header_row"]) == ("excel", 3)
    pq = consultant.draft_source(files["parquet"])
    assert pq.info["format"] == "parquet" and "guessed from the values" in \
        next(g.why for g in pq.guesses if g.canonical == "customer_id")


def test_value_profiles():
    df = pd.DataFrame({
        "a": ["2024-01-05", "2024-02-01 10:00", "2024-03-09"],
        "b": ["1.234,50", "12,00", "3,5"],
        "c": ["C536379", "536380", "536381"],
        "d": ["+86 138 0013 8000", "13900139000", "(212) 555-0142"],
        "e": ["x@y.com", "a.b@c.org", "q@r.cn"],
        "f": ["3", "-1", "12"],
        "g": ["85123A", "71053", "84406B"],
        "h": ["13/01/2024", "14/02/2024", "01/03/2024"],
    })
    prof = consultant.profile_columns(df).set_index("column")
    assert prof.loc["a", "kind"] == "date"
    assert prof.loc["b", "kind"] == "decimal" and prof.loc["b", "decimal_comma"]
    assert prof.loc["c", "kind"] == "id" and prof.loc["c", "letter_prefix"] == "C"
    assert prof.loc["d", "kind"] == "phone"
    assert prof.loc["e", "kind"] == "email"
    assert prof.loc["f", "kind"] == "int" and prof.loc["f", "negative_share"] == pytest.approx(1 / 3)
    assert prof.loc["g", "kind"] == "code"
    assert prof.loc["h", "date_format"] == "%d/%m/%Y"


def test_draft_config_is_valid_yaml_with_comments(files, tmp_path):
    path = consultant.new_client("retail_uk", [files["online_retail"]], directory=tmp_path / "clients")
    text = path.read_text(encoding="utf-8")
    cfg = load_config(path)
    src = cfg.data.sources["sales_lines"][0]
    assert cfg.client == "retail_uk" and src.columns == EXPECTED["online_retail"][1]
    assert cfg.resolve(src.path) == files["online_retail"].resolve()
    assert "# - 'Description'" in text and "# - 'Country'" in text          # unplaced columns listed
    assert "the header 'InvoiceNo' is a usual name for order_id" in text
    assert "docs/CONFIG.md" in text and "dbmkit check" in text
    raw = yaml.safe_load(text)
    assert raw["data"]["sources"]["sales_lines"][0]["date_format"] == "%m/%d/%Y %H:%M"
    with pytest.raises(FileExistsError):
        consultant.new_client("retail_uk", [files["online_retail"]], directory=tmp_path / "clients")
    consultant.new_client("retail_uk", [files["online_retail"]], directory=tmp_path / "clients", force=True)


def test_chinese_draft_offers_the_buyers_as_customers(files, tmp_path):
    path = consultant.new_client("cn_shop", [files["chinese"]], directory=tmp_path)
    text = path.read_text(encoding="utf-8")
    cfg = load_config(path)
    assert (cfg.language, cfg.currency, cfg.data.default_phone_region) == ("zh", "CNY", "CN")
    assert cfg.data.sources["orders"][0].encoding == "gb18030"
    assert '#     columns: {customer_id: "客户编号", full_name: "客户姓名", phone: "手机号"}' in text


def test_several_files_in_one_draft(files, tmp_path):
    customers = tmp_path / "members.csv"
    pd.DataFrame({"Member No.": [f"M{i:04d}" for i in range(50)],
                  "E-Mail": [f"p{i}@mail.com" for i in range(50)],
                  "Mobile": [f"+44 7700 900{i:03d}" for i in range(50)],
                  "Postcode": ["SW1A 1AA"] * 50,
                  "Joined": pd.date_range("2020-01-01", periods=50, freq="W").strftime("%Y-%m-%d")}).to_csv(
        customers, index=False)
    path = consultant.new_client("two_files", [files["excel"], customers], directory=tmp_path)
    cfg = load_config(path)
    assert set(cfg.data.sources) == {"orders", "customers"}
    assert cfg.data.sources["customers"][0].columns == {"customer_id": "Member No.", "email": "E-Mail",
                                                        "phone": "Mobile", "postal_code": "Postcode",
                                                        "signup_date": "Joined"}


def test_errors_are_clear(files, tmp_path):
    prod = tmp_path / "products.csv"
    pd.DataFrame({"SKU": ["A1", "B2", "C3"], "Product name": ["x", "y", "z"], "Category": ["a", "b", "a"]}).to_csv(
        prod, index=False)
    with pytest.raises(IngestError, match="none of the files looks like a sales file.*products.csv → products"):
        consultant.new_client("p", [prod], directory=tmp_path)
    with pytest.raises(ConfigError, match="letters, digits"):
        consultant.new_client("Bad Name", [files["excel"]], directory=tmp_path)
    with pytest.raises(IngestError, match="file not found"):
        consultant.new_client("x", [tmp_path / "nope.csv"], directory=tmp_path)
    assert not list(tmp_path.glob("*.yaml")) and not list(tmp_path.glob(".*.yaml"))   # nothing half-written


def test_cli_new_client(files, tmp_path):
    exe = [sys.executable, "-m", "dbmkit.cli", "new-client"]
    r = subprocess.run(exe + ["eu_shop", str(files["european"]), "--dir", str(tmp_path)], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "order_id         ← N° commande" in r.stdout and "decimal comma" in r.stdout
    assert (tmp_path / "eu_shop.yaml").exists()
    r = subprocess.run(exe + ["eu_shop", str(files["european"]), "--dir", str(tmp_path)], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 2 and "--force" in r.stderr
    r = subprocess.run(exe + ["x", str(tmp_path / "missing.csv"), "--dir", str(tmp_path)], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr


# headers a client might use for each column of an order file (drawn from the synonym lists)
_ORDER_HEADERS = {c: consultant.HEADER_SYNONYMS[c] for c in ("order_id", "customer_id", "order_ts", "net_amount")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({c: st.sampled_from(v) for c, v in _ORDER_HEADERS.items()}),
       st.permutations(list(_ORDER_HEADERS)), st.sampled_from([",", ";", "\t", "|"]),
       st.sampled_from(["utf-8", "gb18030"]))
def test_any_usual_headers_in_any_order_are_mapped(tmp_path_factory, headers, order, sep, encoding):
    """Whatever usual names and column order a client's order file has, the mapping comes back right."""
    if len({consultant.normalise_header(h) for h in headers.values()}) < 4:
        return                                                  # two columns with the same name: not a real file
    rng = np.random.default_rng(0)
    n = 120
    data = {"order_id": [f"O{i}" for i in range(n)], "customer_id": [f"K{i % 37}" for i in range(n)],
            "order_ts": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "net_amount": [f"{x:.2f}" for x in rng.uniform(5, 300, n)]}
    df = pd.DataFrame({headers[c]: data[c] for c in order})
    p = tmp_path_factory.mktemp("prop") / "orders.csv"
    df.to_csv(p, index=False, sep=sep, encoding=encoding)
    draft = consultant.draft_source(p)
    assert draft.table == "orders"
    assert draft.columns == {c: headers[c] for c in ("order_id", "customer_id", "order_ts", "net_amount")}


def test_drafts_for_the_bundled_real_data():
    """The real files the client configs in clients/ map: each is guessed as the table the hand-written config uses."""
    data = ROOT / "data"
    expect = {
        "completejourney/transactions_sample.csv.gz": ("sales_lines", {"order_id": "basket_id",
                                                                       "customer_id": "household_id",
                                                                       "order_ts": "transaction_timestamp",
                                                                       "product_id": "product_id"}),
        "completejourney/products.csv.gz": ("products", {"product_id": "product_id", "category": "department"}),
        "completejourney/campaign_descriptions.csv.gz": ("campaigns", {"campaign_id": "campaign_id",
                                                                       "start_date": "start_date",
                                                                       "end_date": "end_date"}),
        "completejourney/campaigns.csv.gz": ("contacts", {"campaign_id": "campaign_id", "customer_id": "household_id"}),
        "completejourney/coupon_redemptions.csv.gz": ("responses", {"campaign_id": "campaign_id",
                                                                    "customer_id": "household_id",
                                                                    "response_ts": "redemption_date"}),
        "completejourney/demographics.csv.gz": ("customers", {"customer_id": "household_id"}),
        "cdnow/CDNOW_sample.csv": ("orders", {"customer_id": "customer_id", "order_ts": "date",
                                              "net_amount": "dollars"}),
    }
    for f, (table, mapping) in expect.items():
        d = consultant.draft_source(data / f)
        assert d.table == table, f
        assert {k: d.columns.get(k) for k in mapping} == mapping, f
    tx = consultant.draft_source(data / "completejourney/transactions_sample.csv.gz")
    assert any(n.startswith("CHECK: unit_price ← 'sales_value'") for n in tx.notes)    # a line total, flagged
    cd = consultant.draft_source(data / "cdnow/CDNOW_sample.csv")
    assert "order_id" not in cd.columns and cd.date_format == "%Y%m%d"
    assert any("no order id found" in n for n in cd.notes)
