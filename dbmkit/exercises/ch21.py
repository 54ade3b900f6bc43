"""Exercises of chapter 21 (RFM analysis).

21.1 builds the R, F and M quintile scores by hand with pandas before ``dbm.rfm.rfm_scores`` shows the same; 21.2
counts the Champions; 21.3 names the segment that answered best (English or Chinese name); 21.4 decides between
raw and shrunk incremental estimates (the winner's curse); 21.5 works out the break-even response rate. ``META``
(read by the exercise engine) gives each exercise its kind, other correct forms and the diagnoses of the usual
mistakes.
"""
from __future__ import annotations

import pandas as pd

from . import exercise
from .mistakes import choice_letter

SCORE_COLUMNS = ["r_score", "f_score", "m_score"]


def _scores(ws, bins=None, method=None):
    from ..rfm import rfm_scores, rfm_segments, rfm_settings
    settings = rfm_settings(ws.cfg)
    if bins is not None:
        settings["bins"] = bins
    if method is not None:
        settings["method"] = method
    return rfm_segments(rfm_scores(ws.table("customer_summary"), **settings))


def qcut_scores(summary: pd.DataFrame, bins: int = 5, reverse_recency: bool = True) -> pd.DataFrame:
    """The student's way: quintiles with ``pd.qcut`` on the ranks (``method="first"``), recency reversed."""
    def q(values, ascending=True):
        return pd.qcut(values.rank(method="first", ascending=ascending), bins, labels=range(1, bins + 1)).astype(int)
    return pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(),
                         "r_score": q(summary["days_since_last"], ascending=not reverse_recency).to_numpy(),
                         "f_score": q(summary["n_orders"]).to_numpy(),
                         "m_score": q(summary["monetary_total"].fillna(0.0)).to_numpy()})


def _helper_scores(ws) -> pd.DataFrame:
    from ..rfm import rfm_scores
    return rfm_scores(ws.table("customer_summary"), bins=5, method="independent")[["customer_id", *SCORE_COLUMNS]]


def _score_frame(answer) -> pd.DataFrame | None:
    """The student's scores as customer_id (when given) + r/f/m score columns, or None (never raises)."""
    try:
        if not isinstance(answer, pd.DataFrame) or not set(SCORE_COLUMNS) <= set(answer.columns):
            return None
        cols = (["customer_id"] if "customer_id" in answer.columns else []) + SCORE_COLUMNS
        out = answer[cols].copy()
        for c in SCORE_COLUMNS:
            out[c] = pd.to_numeric(out[c].astype(object), errors="coerce")
        return out
    except Exception:  # noqa: BLE001 - a comparison must never break a notebook
        return None


def _aligned(answer, expected: pd.DataFrame) -> pd.DataFrame | None:
    a = _score_frame(answer)
    if a is None or len(a) != len(expected):
        return None
    if "customer_id" in a.columns:
        a = a.set_index(a["customer_id"].astype(str))
        if not a.index.is_unique or set(a.index) != set(expected["customer_id"].astype(str)):
            return None
        return a.reindex(expected["customer_id"].astype(str))[SCORE_COLUMNS].reset_index(drop=True)
    return a[SCORE_COLUMNS].reset_index(drop=True)


def _agree(answer, expected: pd.DataFrame, columns=SCORE_COLUMNS) -> bool:
    a = _aligned(answer, expected)
    if a is None:
        return False
    e = expected[SCORE_COLUMNS].reset_index(drop=True)
    return bool(all((a[c].to_numpy() == e[c].to_numpy()).all() for c in columns))


def _same_scores(answer, expected) -> bool:
    """Right when every customer's three scores equal the qcut-on-ranks scores or those of ``rfm_scores``."""
    return any(_agree(answer, e) for e in (expected["qcut"], expected["helper"]))


def _reversed_recency(answer, expected, ws=None, **k) -> bool:
    try:
        e = expected["qcut"]
        a = _aligned(answer, e)
        if a is None:
            return False
        r_rev = bool((a["r_score"].to_numpy() == 6 - e["r_score"].to_numpy()).mean() > 0.9)
        return r_rev and _agree(answer, e, ["f_score", "m_score"])
    except Exception:  # noqa: BLE001
        return False


def _zero_based(answer, expected, ws=None, **k) -> bool:
    a = _score_frame(answer)
    try:
        return a is not None and int(a[SCORE_COLUMNS].min().min()) == 0 and int(a[SCORE_COLUMNS].max().max()) == 4
    except Exception:  # noqa: BLE001
        return False


def _not_a_table(answer, expected, ws=None, **k) -> bool:
    return not isinstance(answer, pd.DataFrame) or _score_frame(answer) is None


@exercise("21.1", "R, F and M quintile scores by hand",
          hint="For each measure rank the customers (rank(method='first')), cut the ranks into 5 groups with "
               "pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]); for recency fewer days is better, so rank it with "
               "ascending=False. Answer with a DataFrame of customer_id, r_score, f_score, m_score.",
          compare=_same_scores)
def _ex_by_hand(ws):
    return {"qcut": qcut_scores(ws.table("customer_summary")), "helper": _helper_scores(ws)}


@exercise("21.2", "Customers who are Champions (冠军客户)",
          hint="Name the segments with dbm.rfm.rfm_segments on the chapter's scores (its bins and method) and count "
               "the rows whose segment is 'Champions' — a number of customers, not a share.",
          rel_tol=0, abs_tol=0)
def _champions(ws, bins=None, method=None):
    return int((_scores(ws, bins, method)["segment"] == "Champions").sum())


def _segment_rows(ws):
    from ..rfm import SEGMENT_MAP, campaign_rfm_contacts, rfm_cell_table
    cells = rfm_cell_table(campaign_rfm_contacts(ws), by="segment")
    names = {r["name"]: r["name_zh"] for r in SEGMENT_MAP}
    return cells, names


def _same_label(answer, expected) -> bool:
    """The segment's English or Chinese name, case and spaces ignored (never raises)."""
    from ..rfm import SEGMENT_MAP
    if not isinstance(answer, str):
        return False
    zh = {r["name"]: r["name_zh"] for r in SEGMENT_MAP} | {"Prospect": "潜在客户", "Other": "其他"}

    def norm(s):
        return "".join(str(s).split()).lower().replace("’", "'")
    return norm(answer) in {norm(expected), norm(zh.get(expected, expected))}


@exercise("21.3", "The segment with the highest past response rate",
          hint="dbm.rfm.rfm_cell_table(contacts, by='segment') has one row per segment: sort by response_rate "
               "(not by contacts or customers) and answer with the segment's name, in English or Chinese.",
          compare=_same_label)
def _best_segment(ws):
    cells, _ = _segment_rows(ws)
    return str(cells.sort_values("response_rate", ascending=False, kind="stable")["segment"].iloc[0])


def _top_by(ws, column: str):
    try:
        cells, _ = _segment_rows(ws)
        return str(cells.sort_values(column, ascending=False, kind="stable")["segment"].iloc[0])
    except Exception:  # noqa: BLE001
        return None


WINNERS_CURSE_CHOICES = {
    "a": "the cells with the highest raw incremental rate: they measured the best result",
    "b": "the cells whose shrunk incremental rate breaks even: a cell's raw rate on a few dozen controls is mostly "
         "luck, shrinkage pulls thin evidence toward the overall rate",
    "c": "the cells with the highest gross response rate: more of them break even",
    "d": "every cell with at least min_contacts past contacts, whatever its rate: a big enough sample is enough",
}


def _letter(answer) -> str | None:
    return choice_letter(answer, WINNERS_CURSE_CHOICES)


@exercise("21.4", "Raw or shrunk estimates: which cells to mail",
          hint="Look at the winner's-curse table: how do the cells at the top of the raw ranking compare with their "
               "shrunk estimate (and, on the synthetic client, with the truth)? Answer with a letter.",
          compare=lambda answer, expected: _letter(answer) == expected)
def _ex_winners_curse(ws, min_contacts=30):
    """'b' when the shrunk estimates of the top raw cells are below their raw ones (the curse shows in the data)."""
    from ..rfm import campaign_rfm_contacts, rfm_cell_table, winners_curse
    cells = rfm_cell_table(campaign_rfm_contacts(ws), by="rfm_cell")
    curse = winners_curse(cells, top=5, min_contacts=min_contacts)
    curse = curse[curse.iloc[:, 0].astype(str) != "all cells"]          # the top cells, not the overall row
    raw, shrunk = curse["incremental_rate"].mean(), curse["incremental_shrunk"].mean()
    return "b" if len(curse) and shrunk <= raw else "a"


def _treated(ws):
    from ..rfm import campaign_rfm_contacts
    k = campaign_rfm_contacts(ws)
    return k, k[k["group"] != "control"]


@exercise("21.5", "Break-even response rate of a direct-mail contact",
          hint="Break-even response rate = cost per contact ÷ margin per response. Cost: "
               "ws.cfg.contact_cost('mail'); margin per response: the treated contacts' response_margin summed, "
               "divided by their number of responders (control contacts were not mailed). Give a share (0.02 = 2 %).",
          rel_tol=0.005)
def _breakeven(ws):
    _, t = _treated(ws)
    return float(ws.cfg.contact_cost("mail") / (t["response_margin"].sum() / t["responded"].sum()))


def _close(answer, value, rel: float = 0.005) -> bool:
    try:
        a, v = float(answer), float(value)
        return abs(a - v) <= rel * max(abs(v), 1e-12)
    except (TypeError, ValueError):
        return False


def _breakeven_per_contact(a, e, ws=None, **k) -> bool:
    """Divided by the margin per CONTACT instead of per response."""
    try:
        _, t = _treated(ws)
        return _close(a, ws.cfg.contact_cost("mail") / (t["response_margin"].sum() / len(t)))
    except Exception:  # noqa: BLE001
        return False


def _breakeven_with_control(a, e, ws=None, **k) -> bool:
    try:
        allc, _ = _treated(ws)
        return not _close(a, e) and _close(
            a, ws.cfg.contact_cost("mail") / (allc["response_margin"].sum() / allc["responded"].sum()))
    except Exception:  # noqa: BLE001
        return False


def _breakeven_inverted(a, e, ws=None, **k) -> bool:
    try:
        return _close(a, 1.0 / float(e))
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _looks_percent(a, e, ws=None, **k) -> bool:
    try:
        return 0 < float(a) <= 100 and not _close(a, e) and _close(float(a) / 100, e)
    except (TypeError, ValueError):
        return False


def _champions_share(a, e, ws=None, bins=None, method=None, **k) -> bool:
    try:
        s = _scores(ws, bins, method)
        v = float(a)
        return 0 < v < 1 or (_close(v, 100 * (s["segment"] == "Champions").mean(), 0.01) and v != e)
    except Exception:  # noqa: BLE001
        return False


def _champions_other_scheme(a, e, ws=None, bins=None, method=None, **k) -> bool:
    try:
        if int(a) == int(e):
            return False
        other = "nested" if (method or ws.cfg.analysis.rfm.method) == "independent" else "independent"
        return int(a) == int((_scores(ws, bins, other)["segment"] == "Champions").sum())
    except Exception:  # noqa: BLE001
        return False


META = {
    "21.1": {
        "kind": "table",
        "diagnoses": [
            (_not_a_table, "answer with a DataFrame holding customer_id, r_score, f_score and m_score — one row per "
                           "customer of the summary"),
            (_reversed_recency, "recency must score recent buyers high — you reversed it: rank days_since_last "
                                "with ascending=False (fewer days is better)"),
            (_zero_based, "your scores run 0–4: qcut with labels=False counts from 0 — use labels=[1, 2, 3, 4, 5]"),
        ],
    },
    "21.2": {
        "kind": "count",
        "diagnoses": [
            (_champions_share, "this looks like a share or a percentage — give the number of customers"),
            (_champions_other_scheme, "that is the count under the other binning method — use the chapter's "
                                      "settings (bins=bins, method=method)"),
        ],
    },
    "21.3": {
        "kind": "label",
        "labels": {"Champions": "冠军客户"},
        "diagnoses": [
            (lambda a, e, ws=None, **k: isinstance(a, str) and _same_label(a, _top_by(ws, "contacts") or "")
             and not _same_label(a, e),
             "that segment had the most contacts, not the highest response rate — sort by response_rate"),
            (lambda a, e, ws=None, **k: isinstance(a, str) and _same_label(a, _top_by(ws, "incremental_rate") or "")
             and not _same_label(a, e),
             "that segment has the highest incremental rate; the question asks for the gross response rate"),
            (lambda a, e, ws=None, **k: not isinstance(a, str), "answer with the segment's name, a string such as "
                                                                  "'Loyal' or '忠诚客户'"),
        ],
    },
    "21.4": {
        "kind": "choice",
        "choices": WINNERS_CURSE_CHOICES,
        "diagnoses": [
            (lambda a, e, ws=None, **k: _letter(a) == "a",
             "the top of a raw ranking collects the luckiest cells: mailed again, they regress toward the mean "
             "(the winner's curse) — compare their raw and shrunk rates in the table"),
            (lambda a, e, ws=None, **k: _letter(a) == "c",
             "gross response credits the campaign with purchases that would have happened anyway (the control "
             "group's rate)"),
            (lambda a, e, ws=None, **k: _letter(a) == "d",
             "min_contacts only removes the thinnest cells; a cell must still pay for its contacts"),
        ],
    },
    "21.5": {
        "kind": "share",
        "diagnoses": [
            (_looks_percent, "this looks like a percentage — give a share (0.02 for 2 %)"),
            (_breakeven_per_contact, "you divided by the margin per contact; break-even uses the margin per "
                                     "RESPONSE (response_margin ÷ responders)"),
            (_breakeven_with_control, "you included the control group: only treated contacts were mailed — drop "
                                      "group == 'control'"),
            (_breakeven_inverted, "you divided the other way round: cost per contact ÷ margin per response"),
        ],
    },
}

ZH = {
    "21.1": {
        "title": "手工计算 R、F、M 五分位得分",
        "hint": "对每项指标给客户排名（rank(method='first')），再用 pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]) 把名次"
                "切成5组；近期是天数越少越好，所以排名时用 ascending=False。以包含 customer_id、r_score、f_score、"
                "m_score 的 DataFrame 作答。",
        "diagnoses": ["请以 DataFrame 作答，包含 customer_id、r_score、f_score 和 m_score——summary 中每位客户一行",
                      "近期得分应当让最近买过的客户得高分——你把方向弄反了：对 days_since_last 排名时用 "
                      "ascending=False（天数越少越好）",
                      "你的得分是0–4：qcut 用 labels=False 时从0开始计数——请用 labels=[1, 2, 3, 4, 5]"],
    },
    "21.2": {
        "title": "冠军客户有多少人",
        "hint": "用 dbm.rfm.rfm_segments 在本章的得分（本章的 bins 和 method）上命名细分，再数出 segment 为 "
                "'Champions' 的行数——回答客户人数，而不是比例。",
        "diagnoses": ["这看起来是一个比例或百分比——请给出客户人数",
                      "这是另一种分组方法下的人数——请使用本章的设置（bins=bins, method=method）"],
    },
    "21.3": {
        "title": "过去响应率最高的细分",
        "hint": "dbm.rfm.rfm_cell_table(contacts, by='segment') 中每个细分一行：按 response_rate 排序（不要按接触人数"
                "或客户数），用中文或英文回答该细分的名称。",
        "diagnoses": ["这个细分的接触人数最多，但响应率不是最高——请按 response_rate 排序",
                      "这个细分的增量响应率最高；题目问的是毛响应率",
                      "请回答细分的名称，即一个字符串，例如 '忠诚客户' 或 'Loyal'"],
    },
    "21.4": {
        "title": "原始估计还是收缩估计：该邮寄哪些单元",
        "hint": "看赢家诅咒表：原始排名靠前的单元，与它们收缩后的估计值（以及合成客户的真实值）相比如何？用字母作答。",
        "diagnoses": ["原始排名的顶端聚集的是最幸运的单元：再次邮寄时，它们会向平均值回归（赢家诅咒）——"
                      "请比较表中它们的原始比率和收缩后的比率",
                      "毛响应率把本来就会发生的购买（对照组的响应率）也算作了营销活动的功劳",
                      "min_contacts 只是去掉了证据最薄弱的单元；一个单元仍然必须赚回它的接触成本"],
    },
    "21.5": {
        "title": "一次直邮接触的盈亏平衡响应率",
        "hint": "盈亏平衡响应率 = 每次接触的成本 ÷ 每次响应的毛利。成本：ws.cfg.contact_cost('mail')；每次响应的毛利："
                "目标组接触的 response_margin 之和除以其响应人数（对照组没有收到邮寄）。以比例作答（0.02 = 2%）。",
        "diagnoses": ["这看起来是一个百分比——请给出比例（2% 写作 0.02）",
                      "你除以的是每次接触的毛利；盈亏平衡用的是每次**响应**的毛利（response_margin ÷ 响应人数）",
                      "你把对照组也算进去了：只有目标组收到了邮寄——去掉 group == 'control' 的行",
                      "你除反了：应当是每次接触的成本 ÷ 每次响应的毛利"],
    },
}
