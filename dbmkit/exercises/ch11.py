"""Exercises of chapter 11 (clean and merge/purge).

11.1 decides whether a pair of records is one person (the expected answer is the chapter's own scoring of the
pair against the client's threshold); 11.2 works out by hand how many source records merge/purge folded into
persons; 11.3 counts the households of more than one person with SQL; 11.4 counts the invalid e-mails; 11.5 reads
the quality score. ``META`` (read by the exercise engine) gives each exercise its kind and the diagnoses of the usual
mistakes.
"""
from __future__ import annotations

import pandas as pd

from . import exercise
from .mistakes import choice_letter


def _n(ws, sql: str) -> int:
    return int(ws.sql(sql)["n"].iloc[0])


def _records(ws) -> int:
    return _n(ws, "SELECT count(*) AS n FROM customer_records")


def _persons(ws) -> int:
    return _n(ws, "SELECT count(*) AS n FROM customers")


def _eq(a, value) -> bool:
    try:
        return float(a) == float(value)
    except (TypeError, ValueError):
        return False


@exercise("11.2", "Source records merged into other records (records − persons)",
          hint="Every person is one row of customers, every source record one row of customer_records: the records "
               "merged away are the difference, count(customer_records) − count(customers).",
          rel_tol=0, abs_tol=0)
def _ex_merged_away(ws):
    return _records(ws) - _persons(ws)


# 11.1: one pair of records, scored by the chapter's own comparison and weights
PAIR = pd.DataFrame({
    "record_id": ["crm-1", "web-7"], "first_name": ["Robert", "Bob"], "last_name": ["Smith", "Smith"],
    "email": [None, "bob.smith@example.com"], "phone": ["+12125550142", "+12125550142"],
    "birth_date": ["1980-03-05", "1980-03-05"], "postal_code": ["10001", "10002"],
    "street": ["12 Main Street", "48 Park Avenue"]})
PAIR_CHOICES = {
    "a": "the same person: phone, birth date and surname agree and Bob is short for Robert; a new address and an "
         "e-mail given only once are what a move and a web account look like",
    "b": "two people: the postal codes and streets differ",
    "c": "two people: one record has an e-mail and the other has none",
    "d": "cannot be decided without the same e-mail on both records",
}
PAIR_CHOICES_ZH = {   # the options as the Chinese page writes them (accepted as answers too)
    "a": "同一个人：电话、出生日期和姓一致，Bob 是 Robert 的昵称；"
         "地址变了、只有一条记录留了邮箱，正是搬家和开通网店账户后会出现的情形",
    "b": "两个人：邮编和街道都不同",
    "c": "两个人：一条记录有邮箱，另一条没有",
    "d": "两条记录没有相同的邮箱，就无法判定",
}


def pair_probability() -> float:
    """Match probability of the two records of 11.1 (blocking aside: they share a phone)."""
    from ..identity import compare_pairs, score_pairs
    scored = score_pairs(compare_pairs(PAIR, pd.DataFrame({"i": [0], "j": [1]})))
    return float(scored["probability"].iloc[0])


def _letter(answer) -> str | None:
    return choice_letter(answer, PAIR_CHOICES, PAIR_CHOICES_ZH)


@exercise("11.1", "Same person? A match decision for one pair",
          hint="Go field by field with the weights table: which fields agree, which disagree, which are unknown "
               "(missing on one side counts neither way)? A shared phone and birth date are strong evidence; a "
               "different address is weak evidence against. Answer with a letter.",
          compare=lambda answer, expected: _letter(answer) == expected)
def _ex_pair(ws=None):
    from ..database import cleaning_settings
    threshold = float(cleaning_settings(ws)["match_threshold"]) if ws is not None else 0.85
    return "a" if pair_probability() >= threshold else "b"


def _multi_households(ws) -> int:
    return _n(ws, "SELECT count(*) AS n FROM (SELECT household_id FROM customers GROUP BY 1 HAVING count(*) > 1)")


@exercise("11.3", "Households with more than one person, in SQL",
          hint="GROUP BY household_id in customers, keep the groups HAVING count(*) > 1, then count the groups: "
               "SELECT count(*) AS n FROM (SELECT household_id FROM customers GROUP BY 1 HAVING ...).",
          rel_tol=0, abs_tol=0)
def _ex_households(ws):
    return _multi_households(ws)


@exercise("11.4", "Source records whose e-mail was given but invalid",
          hint="customer_records keeps a flag per record: count the rows where email_valid is false "
               "(not NULL: NULL means no e-mail was given).",
          rel_tol=0, abs_tol=0)
def _invalid_emails(ws):
    return _n(ws, "SELECT count(*) AS n FROM customer_records WHERE email_valid = false")


@exercise("11.5", "Quality score of the customers table after cleaning (0–100)",
          hint="dbm.clean.quality_summary(ws.sql('SELECT * FROM data_quality')) gives one score per table and "
               "stage; take customers, 'after cleaning'.",
          rel_tol=0, abs_tol=0.05)
def _score(ws):
    return _stage_score(ws, "after cleaning")


def _stage_score(ws, stage: str) -> float:
    from ..clean import quality_summary
    s = quality_summary(ws.sql("SELECT * FROM data_quality"))
    return float(s[(s["table"] == "customers") & (s["stage"] == stage)]["score"].iloc[0])


def _score_before(a, e, ws=None, **k) -> bool:
    try:
        from ..clean import quality_summary
        s = quality_summary(ws.sql("SELECT * FROM data_quality"))
        other = s[(s["table"] == "customers") & (s["stage"] != "after cleaning")]["score"]
        return any(abs(float(a) - float(v)) <= 0.05 for v in other) and abs(float(a) - float(e)) > 0.05
    except Exception:  # noqa: BLE001
        return False


def _score_share(a, e, ws=None, **k) -> bool:
    try:
        return 0 < float(a) <= 1 and abs(100 * float(a) - float(e)) <= 0.5
    except (TypeError, ValueError):
        return False


def _safe(fn):
    def wrapped(a, e, ws=None, **k):
        try:
            return bool(fn(a, e, ws))
        except Exception:  # noqa: BLE001 - a diagnosis must never break a notebook
            return False
    return wrapped


META = {
    "11.2": {
        "kind": "count",
        "diagnoses": [
            (_safe(lambda a, e, ws: not _eq(a, e) and _eq(a, _n(ws, "SELECT count(*) AS n FROM customers "
                                                                  "WHERE n_records > 1"))),
             "you counted the persons with more than one record; the question asks for the records merged away "
             "(records − persons)"),
            (_safe(lambda a, e, ws: not _eq(a, e) and _eq(a, _persons(ws))),
             "that is the number of persons; subtract it from the number of source records"),
            (_safe(lambda a, e, ws: not _eq(a, e) and _eq(a, _records(ws))),
             "that is the number of source records; subtract the number of persons"),
            (_safe(lambda a, e, ws: _eq(a, -e) and e != 0), "the sign is reversed: records − persons"),
        ],
    },
    "11.1": {
        "kind": "choice",
        "choices": PAIR_CHOICES,
        "diagnoses": [
            (lambda a, e, ws=None, **k: _letter(a) == "b",
             "a different address is weak evidence (people move); a shared phone and birth date weigh far more — "
             "add up the weights"),
            (lambda a, e, ws=None, **k: _letter(a) == "c",
             "a value missing on one record is unknown, not a disagreement: it counts neither way"),
            (lambda a, e, ws=None, **k: _letter(a) == "d",
             "no single field is required: the evidence of all fields adds up (Fellegi–Sunter)"),
        ],
    },
    "11.3": {
        "kind": "count",
        "diagnoses": [
            (_safe(lambda a, e, ws: not _eq(a, e) and _eq(a, _n(ws, """SELECT count(*) AS n FROM customers WHERE
                   household_id IN (SELECT household_id FROM customers GROUP BY 1 HAVING count(*) > 1)"""))),
             "you counted the persons in those households, not the households"),
            (_safe(lambda a, e, ws: not _eq(a, e) and _eq(a, _n(ws, "SELECT count(DISTINCT household_id) AS n "
                                                                  "FROM customers"))),
             "that is every household; keep only those with more than one person (HAVING count(*) > 1)"),
        ],
    },
    "11.4": {
        "kind": "count",
        "diagnoses": [
            (_safe(lambda a, e, ws: not _eq(a, e) and _eq(a, _n(ws, "SELECT count(*) AS n FROM customer_records "
                                                                  "WHERE email_valid IS NOT TRUE"))),
             "you counted the records without an e-mail too: NULL means none was given, not an invalid one"),
            (_safe(lambda a, e, ws: not _eq(a, e) and _eq(a, _n(ws, "SELECT count(*) AS n FROM customers "
                                                                  "WHERE email IS NULL"))),
             "you counted persons in customers; the flag is per source record, in customer_records"),
        ],
    },
    "11.5": {
        "kind": "number",
        "diagnoses": [
            (_score_before, "that is the score before cleaning (the sources as loaded); take stage "
                            "'after cleaning'"),
            (_score_share, "this looks like a share; the score runs 0–100"),
        ],
    },
}

ZH = {
    "11.1": {
        "title": "是同一个人吗？对一对记录做匹配判定",
        "hint": "对照权重表逐个字段判断：哪些字段一致，哪些不一致，哪些未知（一方缺失的值既不算支持也不算反对）？"
                "共享的电话和出生日期是强证据；地址不同只是很弱的反证。请回答一个字母。",
        "diagnoses": [
            "地址不同只是很弱的证据（人们会搬家）；共享的电话和出生日期分量大得多——把各字段的权重加起来看",
            "一条记录上缺失的值属于“未知”，而不是“不一致”：它既不支持也不反对匹配",
            "没有哪个字段是必需的：所有字段的证据相加（Fellegi–Sunter）",
        ],
    },
    "11.2": {
        "title": "并入其他记录的源记录数（记录数 − 人数）",
        "hint": "每个人是 customers 中的一行，每条源记录是 customer_records 中的一行：被合并掉的记录数就是两者之差，"
                "count(customer_records) − count(customers)。",
        "diagnoses": [
            "你统计的是拥有多条记录的人数；题目问的是被合并掉的记录数（记录数 − 人数）",
            "这是人数；请用源记录数减去它",
            "这是源记录数；请减去人数",
            "符号反了：应为记录数 − 人数",
        ],
    },
    "11.3": {
        "title": "用 SQL 统计人数多于一人的家庭",
        "hint": "在 customers 中 GROUP BY household_id，用 HAVING count(*) > 1 保留这些组，再数组的个数："
                "SELECT count(*) AS n FROM (SELECT household_id FROM customers GROUP BY 1 HAVING ...)。",
        "diagnoses": [
            "你统计的是这些家庭中的人数，而不是家庭数",
            "这是全部家庭数；只保留人数多于一人的家庭（HAVING count(*) > 1）",
        ],
    },
    "11.4": {
        "title": "填写了邮箱但邮箱无效的源记录",
        "hint": "customer_records 为每条记录保存一个标记：统计 email_valid 为 false 的行"
                "（不是 NULL：NULL 表示没有填写邮箱）。",
        "diagnoses": [
            "你把没有邮箱的记录也算进去了：NULL 表示没有填写，而不是填写了无效邮箱",
            "你统计的是 customers 中的人；这个标记是按源记录保存的，在 customer_records 中",
        ],
    },
    "11.5": {
        "title": "清洗后 customers 表的数据质量得分（0–100）",
        "hint": "dbm.clean.quality_summary(ws.sql('SELECT * FROM data_quality')) 为每张表的每个阶段给出一个得分；"
                "取 customers 表、'after cleaning'（清洗后）阶段。",
        "diagnoses": [
            "这是清洗前（刚载入的数据源）的得分；请取 'after cleaning'（清洗后）阶段",
            "这看起来是一个比例；得分的范围是 0–100",
        ],
    },
}
