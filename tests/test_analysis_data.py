"""The bundled real data: files match the checksums of data/README.md, loaders give the documented tables."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

import dbmkit as dbm
from dbmkit.datasets import real

ROOT = Path(__file__).resolve().parents[1]


def _readme_checksums() -> dict[str, str]:
    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    return {m.group(2): m.group(1) for m in re.finditer(r"^([0-9a-f]{64})  (\S+)$", text, flags=re.M)}


def test_every_bundled_file_has_its_checksum():
    sums = _readme_checksums()
    assert len(sums) >= 12
    for rel, sha in sums.items():
        data = (ROOT / "data" / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha, rel
    listed = set(sums)
    for folder in ("cdnow", "completejourney"):
        for p in (ROOT / "data" / folder).iterdir():
            if p.suffix in (".txt", ".gz") or p.name.startswith("cdnow_customers"):
                assert f"{folder}/{p.name}" in listed, f"{p} has no checksum in data/README.md"


def test_complete_journey_tables_and_published_fact():
    camp = dbm.datasets.complete_journey("campaigns")
    red = dbm.datasets.complete_journey("coupon_redemptions")
    desc = dbm.datasets.complete_journey("campaign_descriptions")
    assert len(camp) == 6589 and camp["household_id"].nunique() == 1559 and len(desc) == 27
    pairs = camp.drop_duplicates()
    redeemed = red[["household_id", "campaign_id"]].drop_duplicates().assign(redeemed=1)
    m = pairs.merge(redeemed, how="left", on=["household_id", "campaign_id"]).fillna({"redeemed": 0})
    m = m.merge(desc, on="campaign_id")
    assert round(m["redeemed"].mean(), 3) == 0.120
    by_type = m.groupby("campaign_type")["redeemed"].mean().round(3).to_dict()
    assert by_type == {"Type A": 0.166, "Type B": 0.065, "Type C": 0.059}
    tx = dbm.datasets.complete_journey("transactions_sample")
    assert len(tx) == 75000 and tx["household_id"].nunique() == 2377
    assert str(tx["transaction_timestamp"].dtype).startswith("datetime64")
    for table, rows in (("coupons", 116204), ("demographics", 801), ("products", 92331),
                        ("promotions_sample", 360535)):
        assert len(dbm.datasets.complete_journey(table)) == rows


def test_loader_errors_name_the_fix(tmp_path, monkeypatch):
    with pytest.raises(KeyError, match="tables: campaign_descriptions"):
        dbm.datasets.complete_journey("transactions")
    with pytest.raises(ValueError, match="'sample'"):
        dbm.datasets.cdnow("full")
    monkeypatch.setenv("DBMKIT_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="data/README.md"):
        real.cdnow("sample")
    monkeypatch.setenv("DBMKIT_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="DBMKIT_DATA_DIR"):
        real.cdnow_summary()
