"""The Chinese edition (issue 16): translations kept in step with the English, Chinese labels, exercises and
defaults for a Chinese client."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

import dbmkit as dbm
from dbmkit import i18n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import translate  # noqa: E402
import zh_share  # noqa: E402


@pytest.fixture
def tr_sandbox(tmp_path, monkeypatch):
    """tools/translate.py on copies of chapter 21's notebook and translation."""
    file = "21_analyze_rfm"
    for d in ("notebooks", "translations/zh", "notebooks_zh"):
        (tmp_path / d).mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / f"{file}.ipynb", tmp_path / "notebooks")
    monkeypatch.setattr(translate, "NB_DIR", tmp_path / "notebooks")
    monkeypatch.setattr(translate, "TR_DIR", tmp_path / "translations" / "zh")
    monkeypatch.setattr(translate, "ZH_DIR", tmp_path / "notebooks_zh")
    nb = translate.read_en(file)
    cells = {c.id: {"en_sha": translate.en_sha(c.source), "en": c.source, "zh": f"中文 {i}"}
             for i, c in enumerate(nb.cells) if translate.is_narrative(c)}
    last = list(cells)[-1]
    cells[last]["zh"] += "\n\n## 小结\n\n## 复习题\n\n对营销人员的意义"
    translate.save_translation(file, cells, list(cells))
    translate.build(files=[file])
    return file, tmp_path


def test_in_step_translation_passes(tr_sandbox):
    file, _ = tr_sandbox
    assert translate.problems([file]) == []


def test_an_english_cell_changed_alone_fails_the_check(tr_sandbox):
    file, root = tr_sandbox
    path = root / "notebooks" / f"{file}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if translate.is_narrative(c))
    cell.source += "\n\nA new English sentence."
    nbformat.write(nb, path)
    found = translate.problems([file])
    assert any(cell.id in p and "changed since" in p for p in found), found
    # reviewing the translation and stamping it makes the check pass again (after the rebuild)
    translate._stamp(file, [cell.id])
    translate.build(files=[file])
    assert translate.problems([file]) == []


def test_missing_translation_and_stale_notebook_fail(tr_sandbox):
    file, root = tr_sandbox
    tr = translate.load_translation(file)
    first = next(iter(tr))
    tr[first]["zh"] = ""
    translate.save_translation(file, tr, list(tr))
    found = translate.problems([file])
    assert any("without Chinese" in p for p in found) and any("notebooks_zh/ is out of date" in p for p in found)


def test_generated_notebook_has_english_code_and_chinese_narrative(tr_sandbox):
    file, root = tr_sandbox
    en = translate.read_en(file)
    zh = nbformat.read(root / "notebooks_zh" / f"{file}.ipynb", as_version=4)
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in zh.cells]
    for a, b in zip(en.cells, zh.cells):
        if a.cell_type == "code":
            assert b.source == a.source.replace(translate.DEMO_EN, translate.DEMO_ZH)
        elif translate.is_narrative(a):
            assert b.source.startswith("中文")
    params = next(c for c in zh.cells if "parameters" in c.metadata.get("tags", []))
    assert "demo_zh.yaml" in params.source
    assert "目录" in zh.cells[0].source                      # the navigation in Chinese


def test_translation_file_round_trips_awkward_text(tmp_path, monkeypatch):
    monkeypatch.setattr(translate, "TR_DIR", tmp_path)
    texts = {"a": "  leading spaces", "b": "trailing space \nline", "c": "# heading\n\n|x|y|\n", "d": "tab\there",
             "e": "中文：“引号”与 `code` — 破折号", "f": ""}
    cells = {k: {"en_sha": translate.en_sha(v), "en": v, "zh": v} for k, v in texts.items()}
    translate.save_translation("x", cells, list(cells))
    back = translate.load_translation("x")
    assert {k: v["en"] for k, v in back.items()} == texts


def test_label_catalogue_has_one_chinese_name_per_column():
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for f in sorted(i18n.LABELS_DIR.glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for part in ("columns", "values"):
            for k, v in (data.get(part) or {}).items():
                key = (part, str(k))
                if key in seen and seen[key][0] != str(v):
                    clashes.append(f"{part} {k}: {seen[key][1]} says {seen[key][0]}, {f.name} says {v}")
                seen.setdefault(key, (str(v), f.name))
    assert not clashes, clashes


def test_tables_on_a_chinese_page_have_chinese_headers_and_labels():
    df = pd.DataFrame({"segment": ["Champions"], "customers": [1200], "revenue": [123456.0]})
    cells = dbm.show(df, key="segment", money=["revenue"], currency="CNY", lang="zh").cells
    assert list(cells.columns) == ["细分", "客户数", "收入"]
    assert cells.iloc[0].tolist() == ["冠军客户", "1,200", "¥12.3万"]
    assert list(dbm.show(df, key="segment", lang="en").cells.columns) == ["segment", "customers", "revenue"]
    flags = pd.DataFrame({"channel": ["email", "sms"], "pays": [True, False]})
    assert dbm.show(flags, key="channel", lang="zh").cells.iloc[:, 1].tolist() == ["是", "否"]
    assert dbm.show(flags, key="channel", lang="en").cells["pays"].tolist() == ["True", "False"]


def test_every_exercise_speaks_chinese():
    from dbmkit.exercises import REGISTRY, load_all, meta_of, zh_of
    load_all()
    missing = []
    for ex_id, ex in sorted(REGISTRY.items()):
        zh = zh_of(ex)
        for part in ("title", "hint"):
            if not zh_share.CJK.search(str(zh.get(part) or "")):
                missing.append(f"{ex_id} {part}")
        n = len(meta_of(ex_id).get("diagnoses") or ())
        if len(zh.get("diagnoses") or ()) != n:
            missing.append(f"{ex_id} diagnoses ({len(zh.get('diagnoses') or ())} of {n})")
    assert not missing, missing


def test_a_chinese_client_gets_costs_in_its_own_money():
    cfg = dbm.load_config({"client": "x", "currency": "CNY", "language": "zh", "data": {"synthetic": {}}})
    assert cfg.economics.cost_per_contact == {"email": 0.03, "sms": 0.05, "mail": 3.0, "phone": 5.0,
                                              "wechat": 0.01, "app_push": 0.005}     # the app channels priced too
    assert cfg.economics.campaign_fixed_cost == 10000
    part = dbm.load_config({"client": "x", "currency": "CNY", "data": {"synthetic": {}},
                            "economics": {"cost_per_contact": {"sms": 0.1}}})
    assert part.economics.cost_per_contact["sms"] == 0.1 and part.economics.cost_per_contact["mail"] == 3.0
    usd = dbm.load_config({"client": "x", "data": {"synthetic": {}}})
    assert usd.economics.cost_per_contact["mail"] == 0.85 and usd.economics.campaign_fixed_cost == 1500


def test_the_chinese_calendar_peaks_on_singles_day_and_pauses_at_spring_festival():
    from dbmkit.datasets.retailer import sales_calendar
    m, days = sales_calendar(pd.Timestamp("2023-07-01"), 3 * 365, locale="zh")
    s = pd.Series(m, index=days)
    for year in (2023, 2024, 2025):
        assert s[f"{year}-11-11"] == s[f"{year}"].max()
    assert s["2024-02-12"] < 0.7 * s["2024-01-20"]            # the holiday week after 春节 (10 Feb 2024)
    en, _ = sales_calendar(pd.Timestamp("2023-07-01"), 3 * 365)
    assert pd.Series(en, index=days)["2024-11-11"] < pd.Series(en, index=days)["2024-12-14"]


def test_demo_zh_config_is_a_chinese_client():
    cfg = dbm.load_config(ROOT / "clients" / "demo_zh.yaml")
    assert (cfg.language, cfg.currency, cfg.data.synthetic.locale) == ("zh", "CNY", "zh")
    from dbmkit.client_chapters import standard_dir
    assert standard_dir("zh").name == "notebooks_zh"


def test_zh_share_counts_chinese_against_english_words():
    html = ("<html><body><nav>Index next</nav><p>客户终身价值很重要。</p><p>RFM and CLV of the customers</p>"
            "<pre>print('hello world')</pre></body></html>")
    share, zh, en = zh_share.share(html)
    assert (zh, en) == (9, 4)                 # "and", "of", "the", "customers" count; RFM, CLV and code do not
    assert share == pytest.approx(9 / (9 + 1.7 * 4))
    code = '<p>表 order_items 来自 ./crm_orders.csv（utf-8-sig），见 dbm.rfm 与 {"id": "C1"}；the file.</p>'
    assert zh_share.english_words(zh_share.prose(code)) == ["the", "file"]


def test_an_exercise_label_table_is_read_both_ways_and_other_counts_speak_chinese():
    from dbmkit.exercises import feedback
    from dbmkit.exercises.compare import Rule, same
    rule = Rule("label", labels={"Electronics": "电子产品"})
    assert same("电子产品", "Electronics", rule) and same("Electronics", "电子产品", rule)
    assert not same("Books", "电子产品", rule)
    choice = Rule("choice", choices={"a": "Keep the raw rates", "b": "Use the shrunk rates"})
    assert same("（b）", "b", choice) and same("b)", "b", choice) and not same("（a）", "b", choice)
    from dbmkit.exercises.mistakes import choice_letter
    assert choice_letter("使用收缩后的比率", {"a": "x", "b": "y"}, {"a": "保留", "b": "使用收缩后的比率"}) == "b"
    from dbmkit.i18n import pick
    text = feedback.message("other_count", "zh", name=pick(("orders", "订单"), "zh"))
    assert "订单" in text and "orders" not in text
