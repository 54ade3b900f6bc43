"""The "Your turn" exercises of chapters 10, 11 and 21 (issue 15) on the small client: each expected answer has the
right kind, an answer computed here independently (pandas or SQL, the way a student would) is accepted, the usual
wrong answers are rejected, and each diagnosis in ``META`` fires on the mistake it names and not on the right answer.
The chapter endings' review questions have their answers in ``instructor/chNN.yaml``."""
from __future__ import annotations

import math
from pathlib import Path

import duckdb
import nbformat
import pandas as pd
import pytest
from exercise_checks import fires, no_diagnosis_on

import dbmkit as dbm
from dbmkit.exercises import REGISTRY, ch10, ch11, ch21, check
from dbmkit.exercises import load_all as _load_all
from dbmkit.exercises.instructor import solutions


def solution_of(ex_id: str) -> str:
    """The worked solution, from the instructor source (instructor/chNN.yaml)."""
    return solutions()[ex_id]["solution"]


ROOT = Path(__file__).resolve().parents[1]
MODULES = {"10": ch10, "11": ch11, "21": ch21}
NOTEBOOKS = {"10": "10_build_collect", "11": "11_build_clean_merge", "21": "21_analyze_rfm"}
BUILD_OR_DECIDE = {"10": {"10.1", "10.3", "10.4"}, "11": {"11.2", "11.1", "11.3"}, "21": {"21.1", "21.4", "21.5"}}


@pytest.fixture(scope="module")
def ws(small_ws):
    _load_all()
    return small_ws


def n(ws, sql: str) -> int:
    return int(ws.sql(sql).iloc[0, 0])


def test_every_chapter_has_at_least_four_exercises_half_build_or_decide():
    _load_all()
    kinds = {"count", "share", "percent", "money", "number", "label", "choice", "table", "set"}
    for ch, module in MODULES.items():
        ids = sorted(i for i in REGISTRY if i.startswith(ch + "."))
        assert len(ids) >= 4 and set(ids) == set(module.META), ch
        assert BUILD_OR_DECIDE[ch] <= set(ids) and 2 * len(BUILD_OR_DECIDE[ch]) >= len(ids), ch
        for i in ids:
            meta = module.META[i]
            assert meta["kind"] in kinds and meta["diagnoses"], i
            if meta["kind"] == "count":
                assert REGISTRY[i].rel_tol == 0 and REGISTRY[i].abs_tol == 0, i
            if meta["kind"] == "choice":
                assert set(meta["choices"]) == {"a", "b", "c", "d"}, i


# ------------------------------------------------------------------------------------------------ chapter 10
def test_10_1_reconciliation_in_sql(ws):
    log = ws.sql("SELECT * FROM load_log")
    mine = (log.groupby("source", as_index=False)[["rows_loaded", "rows_quarantined"]].sum()
            .sample(frac=1.0, random_state=1))                         # any row order
    assert check("10.1", mine, ws).correct is True
    no_diagnosis_on("10.1", mine, ws)
    off = mine.copy()
    off.loc[off.index[0], "rows_quarantined"] += 1
    assert check("10.1", off, ws).correct is False
    by_table = log.groupby("table_name", as_index=False)[["rows_loaded", "rows_quarantined"]].sum()
    assert check("10.1", by_table, ws).correct is False and fires("10.1", "GROUP BY source", by_table, ws)
    total = int(log["rows_quarantined"].sum())
    assert check("10.1", total, ws).correct is False and fires("10.1", "not a total", total, ws)
    read = log[["source", "rows_read", "rows_quarantined"]]
    assert fires("10.1", "rows_read is what was read", read, ws)


def test_10_2_the_worst_file(ws):
    r = dbm.database.reconciliation(ws)
    worst = r.sort_values("rows_quarantined", ascending=False, kind="stable")["source"].iloc[0]
    assert check("10.2", worst, ws).correct is True and check("10.2", "./" + worst, ws).correct is True
    no_diagnosis_on("10.2", worst, ws)
    assert fires("10.2", "not a number of rows", int(r["rows_quarantined"].max()), ws)
    most_read = r.sort_values("rows_read", ascending=False, kind="stable")["source"].iloc[0]
    if r.loc[r["source"] == most_read, "rows_quarantined"].item() < r["rows_quarantined"].max():
        assert check("10.2", most_read, ws).correct is False and fires("10.2", "most rows read", most_read, ws)


def test_10_3_the_refused_export_is_the_one_that_loads_nothing(ws):
    log = ch10.refuse_log().set_index("option")
    assert (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]).all()
    refused = [k for k in log.index if log.loc[k, "rows_loaded"] == 0]
    assert refused == ["c"] and REGISTRY["10.3"].expected(ws) == "c"
    assert log.loc["d", "rows_loaded"] >= 3 and (log.drop(index="c")["rows_loaded"] > 0).all()   # the others load
    assert check("10.3", "c", ws).correct is True and check("10.3", "(C)", ws).correct is True
    assert check("10.3", ch10.REFUSE_CHOICES["c"], ws).correct is True
    no_diagnosis_on("10.3", "c", ws)
    for wrong, text in (("a", "reading problems"), ("b", "reading problems"), ("d", "duplicated line")):
        assert check("10.3", wrong, ws).correct is False and fires("10.3", text, wrong, ws)


def test_10_4_cdnow_customers_not_rows(ws):
    path = dbm.datasets.real.data_dir() / "cdnow" / "CDNOW_sample.csv"
    raw = pd.read_csv(path, dtype={"customer_id": str})
    customers, rows = raw["customer_id"].nunique(), len(raw)
    assert REGISTRY["10.4"].expected(ws) == customers and customers < rows
    assert check("10.4", customers, ws).correct is True
    no_diagnosis_on("10.4", customers, ws)
    assert check("10.4", customers + 1, ws).correct is False
    assert check("10.4", rows, ws).correct is False and fires("10.4", "counted purchases", rows, ws)


def test_10_5_anonymous_sales(ws):
    anon = ws.sql("SELECT * FROM anonymous_sales")
    right = len(anon)
    assert isinstance(REGISTRY["10.5"].expected(ws), int) and check("10.5", right, ws).correct is True
    no_diagnosis_on("10.5", right, ws)
    assert check("10.5", right - 1, ws).correct is False
    amount = float(anon["net_amount"].sum())
    assert check("10.5", amount, ws).correct is False and fires("10.5", "amount", amount, ws)
    named = float(ws.sql("SELECT sum(net_amount) FROM sales").iloc[0, 0])
    assert fires("10.5", "share of sales", amount / (amount + named), ws)


# ------------------------------------------------------------------------------------------------ chapter 11
def test_11_2_records_merged_away(ws):
    records, persons = n(ws, "SELECT count(*) FROM customer_records"), n(ws, "SELECT count(*) FROM customers")
    right = records - persons
    assert right > 0 and REGISTRY["11.2"].expected(ws) == right and check("11.2", right, ws).correct is True
    no_diagnosis_on("11.2", right, ws)
    multi = n(ws, "SELECT count(*) FROM customers WHERE n_records > 1")
    assert multi != right and fires("11.2", "persons with more than one record", multi, ws)
    assert check("11.2", multi, ws).correct is False
    assert fires("11.2", "that is the number of persons", persons, ws)
    assert fires("11.2", "that is the number of source records", records, ws)
    assert fires("11.2", "sign is reversed", -right, ws)
    assert check("11.2", right + 1, ws).correct is False


def test_11_1_the_pair_is_one_person(ws):
    p = ch11.pair_probability()
    threshold = dbm.database.cleaning_settings(ws)["match_threshold"]
    # by hand from the weights: prior, phone, birth date, first name (Bob → Robert), last name, postal code, street
    w = dbm.identity.WEIGHTS
    score = (w["prior"] + w["phone"][0] + w["birth_date"][0] + w["first_name"]["exact"] + w["last_name"]["exact"]
             + w["postal_code"][1] + w["street"][1])
    assert math.isclose(p, 1 / (1 + math.exp(-score)), rel_tol=1e-9) and p >= threshold
    assert REGISTRY["11.1"].expected(ws) == "a" and check("11.1", "a", ws).correct is True
    no_diagnosis_on("11.1", "a", ws)
    for wrong, text in (("b", "weak evidence"), ("c", "unknown, not a disagreement"), ("d", "no single field")):
        assert check("11.1", wrong, ws).correct is False and fires("11.1", text, wrong, ws)


def test_11_3_households_in_sql(ws):
    hh = ws.sql("SELECT household_id FROM customers")["household_id"].value_counts()
    right = int((hh > 1).sum())
    assert REGISTRY["11.3"].expected(ws) == right and check("11.3", right, ws).correct is True
    no_diagnosis_on("11.3", right, ws)
    people = int(hh[hh > 1].sum())
    assert check("11.3", people, ws).correct is False and fires("11.3", "persons in those households", people, ws)
    assert fires("11.3", "every household", int(len(hh)), ws)


def test_11_4_invalid_emails(ws):
    flags = ws.sql("SELECT email_valid FROM customer_records")["email_valid"]
    right = int((flags == False).sum())  # noqa: E712 - NULL (no e-mail) is not False
    assert REGISTRY["11.4"].expected(ws) == right and check("11.4", right, ws).correct is True
    no_diagnosis_on("11.4", right, ws)
    with_null = int((flags.fillna(False) == False).sum())  # noqa: E712 - NULL counted as invalid: the mistake
    assert with_null > right and fires("11.4", "without an e-mail too", with_null, ws)
    assert check("11.4", with_null, ws).correct is False


def test_11_5_quality_score(ws):
    q = dbm.clean.quality_summary(ws.sql("SELECT * FROM data_quality"))
    after = float(q.query("table == 'customers' and stage == 'after cleaning'")["score"].iloc[0])
    before = float(q.query("table == 'customers' and stage != 'after cleaning'")["score"].iloc[0])
    assert check("11.5", after, ws).correct is True and check("11.5", after + 0.5, ws).correct is False
    no_diagnosis_on("11.5", after, ws)
    assert abs(after - before) > 1 and fires("11.5", "score before cleaning", before, ws)
    assert fires("11.5", "looks like a share", after / 100, ws)


# ------------------------------------------------------------------------------------------------ chapter 21
def hand_quintiles(summary: pd.DataFrame, recency_ascending: bool = False) -> pd.DataFrame:
    """Written here without the package: quintiles of the ranks (1 = worst), recency reversed."""
    def q(v, ascending=True):
        ranks = v.rank(method="first", ascending=ascending)
        return pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int)
    return pd.DataFrame({"customer_id": summary["customer_id"],
                         "r_score": q(summary["days_since_last"], ascending=recency_ascending),
                         "f_score": q(summary["n_orders"]), "m_score": q(summary["monetary_total"].fillna(0))})


def test_21_1_quintiles_by_hand(ws):
    summary = ws.table("customer_summary")
    mine = hand_quintiles(summary)
    assert (mine[["r_score", "f_score", "m_score"]].apply(lambda s: s.value_counts().max() - s.value_counts().min())
            <= 1).all()                                                    # five equal classes
    assert check("21.1", mine, ws).correct is True
    assert check("21.1", mine.sample(frac=1.0, random_state=2), ws).correct is True     # any row order
    assert check("21.1", mine.drop(columns="customer_id"), ws).correct is True          # in the summary's order
    helper = dbm.rfm.rfm_scores(summary, bins=5, method="independent")
    assert check("21.1", helper, ws).correct is True                      # ties ranked together: also right
    no_diagnosis_on("21.1", mine, ws)
    backwards = hand_quintiles(summary, recency_ascending=True)
    assert check("21.1", backwards, ws).correct is False
    assert fires("21.1", "you reversed it", backwards, ws)
    zero = mine.assign(**{c: mine[c] - 1 for c in ("r_score", "f_score", "m_score")})
    assert check("21.1", zero, ws).correct is False and fires("21.1", "labels=False", zero, ws)
    assert fires("21.1", "answer with a DataFrame", 541, ws)
    off = mine.copy()
    off.loc[off.index[0], "m_score"] = 6 - off.loc[off.index[0], "m_score"] if off.loc[off.index[0], "m_score"] != 3 \
        else 1
    assert check("21.1", off, ws).correct is False


def test_21_2_champions(ws):
    rfm = dbm.rfm.rfm_segments(dbm.rfm.rfm_scores(ws.table("customer_summary"), **dbm.rfm.rfm_settings(ws.cfg)))
    right = int((rfm["segment"] == "Champions").sum())
    assert REGISTRY["21.2"].expected(ws) == right and check("21.2", right, ws).correct is True
    no_diagnosis_on("21.2", right, ws)
    assert check("21.2", right + 1, ws).correct is False
    share = right / len(rfm)
    assert fires("21.2", "share or a percentage", share, ws) and fires("21.2", "share or a percentage", 100 * share, ws)
    nested = dbm.rfm.rfm_segments(dbm.rfm.rfm_scores(ws.table("customer_summary"), method="nested"))
    other = int((nested["segment"] == "Champions").sum())
    if other != right:
        assert fires("21.2", "other binning method", other, ws)


def test_21_3_best_segment_in_english_or_chinese(ws):
    cells = dbm.rfm.rfm_cell_table(dbm.rfm.campaign_rfm_contacts(ws), by="segment")
    best = cells.loc[cells["response_rate"].idxmax(), "segment"]
    zh = {r["name"]: r["name_zh"] for r in dbm.rfm.SEGMENT_MAP}[best]
    for answer in (best, best.upper(), f"  {best} ", zh):
        assert check("21.3", answer, ws).correct is True, answer
        no_diagnosis_on("21.3", answer, ws)
    most = cells.loc[cells["contacts"].idxmax(), "segment"]
    if most != best:
        assert check("21.3", most, ws).correct is False and fires("21.3", "most contacts", most, ws)
    incr = cells.loc[cells["incremental_rate"].idxmax(), "segment"]
    if incr != best:
        assert fires("21.3", "incremental rate", incr, ws)
    assert fires("21.3", "segment's name", 3, ws)


def test_21_4_mail_on_the_shrunk_estimates(ws):
    cells = dbm.rfm.rfm_cell_table(dbm.rfm.campaign_rfm_contacts(ws), by="rfm_cell")
    curse = dbm.rfm.winners_curse(cells, top=5, min_contacts=30)
    top = curse[curse["rfm_cell"] != "all cells"]
    assert len(top) and (top["incremental_shrunk"] <= top["incremental_rate"]).all()   # the curse shows
    assert REGISTRY["21.4"].expected(ws) == "b"
    for answer in ("b", "B", "(b)", ch21.WINNERS_CURSE_CHOICES["b"]):
        assert check("21.4", answer, ws).correct is True, answer
    no_diagnosis_on("21.4", "b", ws)
    for wrong, text in (("a", "winner's curse"), ("c", "gross response"), ("d", "thinnest cells")):
        assert check("21.4", wrong, ws).correct is False and fires("21.4", text, wrong, ws)


def test_21_5_breakeven_by_hand(ws):
    k = dbm.rfm.campaign_rfm_contacts(ws)
    con = duckdb.connect()
    con.register("k", k)
    margin, responders, treated = con.execute(
        "SELECT sum(response_margin), sum(responded::INT), count(*) FROM k WHERE \"group\" <> 'control'").fetchone()
    cost = ws.cfg.contact_cost("mail")
    right = cost / (margin / responders)
    assert 0 < right < 1 and check("21.5", right, ws).correct is True
    no_diagnosis_on("21.5", right, ws)
    assert check("21.5", right * 1.02, ws).correct is False
    assert fires("21.5", "percentage", 100 * right, ws)
    per_contact = cost / (margin / treated)
    assert check("21.5", per_contact, ws).correct is False and fires("21.5", "margin per contact", per_contact, ws)
    m_all, r_all = con.execute("SELECT sum(response_margin), sum(responded::INT) FROM k").fetchone()
    with_control = cost / (m_all / r_all)
    if not math.isclose(with_control, right, rel_tol=0.005):
        assert fires("21.5", "control group", with_control, ws)
    assert fires("21.5", "other way round", 1 / right, ws)


# ------------------------------------------------------------------------------------------------ all of them
def test_diagnoses_never_raise_and_unanswered_is_not_an_error(ws):
    for module in MODULES.values():
        for ex_id, meta in module.META.items():
            assert check(ex_id, None, ws).correct is None
            e = REGISTRY[ex_id].expected(ws)
            for fn, _ in meta["diagnoses"]:
                for odd in ("not a number", [1, 2], float("nan"), -1, pd.DataFrame({"x": [1]})):
                    fn(odd, e, ws)


def test_chapter_21_page_has_no_settings_dict_and_shows_the_segment_table_by_key():
    nb = nbformat.read(str(ROOT / "notebooks" / "21_analyze_rfm.ipynb"), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "RFM settings:" not in code and "display(by_segment[[" not in code
    assert 'dbm.show(by_segment, key=["segment"]' in code
    by_hand = next(i for i, c in enumerate(nb.cells) if 'check("21.1"' in c.source)
    helper = next(i for i, c in enumerate(nb.cells) if "dbm.rfm.rfm_scores(summary" in c.source)
    assert by_hand < helper                                             # by hand first, then the helper


def test_worked_solutions_of_21_run_with_the_chapters_variables(ws):
    """The solutions of chapter 21 use the notebook's variables (summary, rfm_table, by_segment, contacts)."""
    summary = ws.table("customer_summary")
    settings = dbm.rfm.rfm_settings(ws.cfg)
    contacts = dbm.rfm.campaign_rfm_contacts(ws, **settings)
    ns = {"dbm": dbm, "ws": ws, "pd": pd, "summary": summary, "contacts": contacts,
          "rfm_table": dbm.rfm.rfm_segments(dbm.rfm.rfm_scores(summary, **settings)),
          "by_segment": dbm.rfm.rfm_cell_table(contacts, by="segment")}
    for ex_id in ("21.1", "21.2", "21.3", "21.4", "21.5"):
        exec(solution_of(ex_id), ns)
        assert check(ex_id, ns["answer"], ws).correct is True, ex_id
