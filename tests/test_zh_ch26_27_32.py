"""The Chinese edition of chapters 26, 27 and 32 beyond their narrative: every exercise has its Chinese title, hint
and one Chinese diagnosis per English one; the model-types table and the seed case boxes read in the page's
language; the chapters' label files name the columns their tables show."""
from __future__ import annotations

import importlib
import re

import pytest

from dbmkit import cases, i18n, models
from dbmkit.exercises import REGISTRY

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("chapter", ["26", "27", "32"])
def test_every_exercise_speaks_chinese(chapter):
    mod = importlib.import_module(f"dbmkit.exercises.ch{chapter}")
    ids = sorted(i for i in REGISTRY if i.startswith(f"{chapter}."))
    assert len(ids) >= 4 and sorted(mod.ZH) == ids
    for i in ids:
        zh = mod.ZH[i]
        assert CJK.search(zh["title"]) and CJK.search(zh["hint"]), i
        assert len(zh["diagnoses"]) == len(mod.META[i]["diagnoses"]), i
        assert all(CJK.search(d) for d in zh["diagnoses"]), i


def test_model_types_in_both_languages():
    en, zh = models.model_types("en"), models.model_types("zh")
    assert en.equals(models.MODEL_TYPES) and len(zh) == len(en) == 6
    assert list(zh["model_type"]) == list(en["中文"])
    assert all(CJK.search(t) for t in zh["where_in_workbook"])
    # the workbook does fit a regression of an amount (chapter 27's spend model), and both tables say so
    assert "chapter 27" in en.set_index("model_type").loc["regression", "where in the workbook"]
    assert "第27章" in zh.set_index("model_type").loc["回归", "where_in_workbook"]


@pytest.mark.parametrize("key", ["ecommerce_platform", "hotel_call_center", "appliance_gift", "jcpenney",
                                 "traditional_vs_online"])
def test_seed_case_boxes_of_chapters_27_and_32_are_chinese_on_a_zh_page(key):
    box = cases.seed_case_box(key, "zh").data
    assert box.startswith("> **案例：") and "来源：种子文档00" in box
    words = re.findall(r"[A-Za-z]{3,}", box.replace("JCPenney", "").replace("IT", "").replace("VIP", ""))
    assert len(CJK.findall(box)) > 60 and len(words) <= 2, words


def test_ecommerce_case_keeps_the_seed_wording():
    text = cases.SEED_CASES["ecommerce_platform"]["text_zh"]
    for phrase in ("全面的清洗和整理", "剔除重复、错误和无效的数据", "高价值客户群体", "线上线下的无缝对接"):
        assert phrase in text


@pytest.mark.parametrize("column", ["auc", "top_decile_lift", "churn_score", "response_decile", "index", "mape",
                                    "r2", "predictor", "tier", "required_lift", "breakeven_extra_spend", "next_month",
                                    "cycle_days"])
def test_columns_of_the_chapters_have_chinese_names(column):
    label = i18n.column_label(column, "zh")
    assert label != column and CJK.search(label) or label == "AUC", (column, label)
    assert i18n.column_label(column, "en") == column
