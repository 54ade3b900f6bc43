"""The chapters tell the contact channels as they are: six — e-mail, SMS, mail, phone and, where the client's contact
costs price them (the CNY defaults do), WeChat and app push — in both editions; exercise 12.5 compares the priced
app channels too, and its text names every channel its checker may expect."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from dbmkit.config import load_config
from dbmkit.exercises import ch12

ROOT = Path(__file__).resolve().parents[1]


def _cell(edition: str, chapter: str, cell_id: str) -> str:
    path = next((ROOT / edition).glob(f"{chapter}_*.ipynb"))
    return next(c.source for c in nbformat.read(str(path), as_version=4).cells if c.get("id") == cell_id)


@pytest.mark.parametrize("edition", ["notebooks", "notebooks_zh"])
def test_no_chapter_counts_only_four_contact_channels(edition):
    for path in sorted((ROOT / edition).glob("*.ipynb")):
        for c in nbformat.read(str(path), as_version=4).cells:
            four = re.search(r"(?i)four (contact )?channels|四(个|种)(接触)?渠道", c.source)
            if c.cell_type == "markdown" and four:        # only beside the six: "… a USD client on the four"
                assert re.search(r"(?i)\bsix\b|六个渠道", c.source), (path.name, c.id, four.group(0))


@pytest.mark.parametrize("edition, wechat, push", [("notebooks", "WeChat", "app push"),
                                                   ("notebooks_zh", "微信", "App推送")])
def test_the_channel_cells_name_the_app_channels(edition, wechat, push):
    for chapter, cell_id in [("00", "00-011"), ("12", "12-015"), ("12", "12-042"), ("30", "30-004"),
                             ("30", "30-021")]:
        text = _cell(edition, chapter, cell_id)
        assert wechat in text and push in text, (edition, cell_id)
    assert re.search(r"(?i)six|六个", _cell(edition, "30", "30-021"))


def test_exercise_12_5_compares_the_priced_app_channels():
    usd = load_config(ROOT / "clients" / "demo.yaml")
    cny = load_config(ROOT / "clients" / "demo_zh.yaml")
    assert ch12.channels(SimpleNamespace(cfg=usd)) == ("email", "sms", "mail")
    assert ch12.channels(SimpleNamespace(cfg=cny)) == ("email", "sms", "mail", "wechat", "app_push")
    # the exercise's text names every channel the checker may expect, in both editions
    for edition, names in [("notebooks", ch12.channels(SimpleNamespace(cfg=cny))),
                           ("notebooks_zh", ("邮件", "短信", "直邮", "微信", "App推送"))]:
        text = _cell(edition, "12", "12-042")
        for name in names:
            assert name in text, (edition, name)
    assert all(f"'{c}'" in ch12.ZH["12.5"]["hint"] for c in ch12.channels(SimpleNamespace(cfg=cny)))


def test_exercise_12_5_on_a_chinese_client_counts_wechat_and_app_push(tmp_path, monkeypatch):
    import dbmkit as dbm
    cfg = tmp_path / "zh_small.yaml"
    cfg.write_text("client: zh_small\nlanguage: zh\ncurrency: CNY\n"
                   "data:\n  synthetic: {n_people: 400, n_campaigns: 1, seed: 11, locale: zh}\n", encoding="utf-8")
    monkeypatch.setenv("DBMKIT_WORKDIR", str(tmp_path / "work"))
    ws = dbm.workspace(str(cfg))
    n = int(ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0])
    reach = {ch: n - dbm.database.suppression_list(ws, ch)["customer_id"].nunique() for ch in ch12.channels(ws)}
    assert set(reach) == {"email", "sms", "mail", "wechat", "app_push"}
    assert all(0 <= v <= n for v in reach.values()) and reach["wechat"] > 0      # the demo's members carry openids
    best = max(reach, key=reach.get)
    zh = {"email": "邮件", "sms": "短信", "mail": "直邮", "wechat": "微信", "app_push": "App推送"}
    assert dbm.exercises.check("12.5", best, ws).correct is True
    assert dbm.exercises.check("12.5", zh[best], ws).correct is True
    for other in set(reach) - {best}:
        if reach[other] != reach[best]:
            assert dbm.exercises.check("12.5", other, ws).correct is False
