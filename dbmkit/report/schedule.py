"""Which chapters of a report may run at the same time (``dbmkit report --jobs N``): the chapters' order as a
dependency graph, and the rule that picks the next chapter to start.

What a chapter shares with another is the client's DuckDB database (the analysis tables it writes — ``rfm``,
``clv``, ``scores``, the plan's ``campaign_contacts`` … — and reads back) and the report folder (the send file).
:data:`CHAPTER_IO` says, for every standard chapter, which of those it reads and which it writes; it was found by
running every chapter on a fresh work folder with a tracer of the tables each query names (the table a chapter
builds on demand through ``ws.table`` counts as written by it) and of the files that changed.

:func:`dependencies` turns it into a graph that gives the same results as the serial run: of two chapters that
touch the same thing, and at least one of them writes it, the later one in reading order waits for the earlier
one (read after write, write after read, write after write). Key numbers are no shared thing: each chapter
records its own into a file of its own, merged in reading order (:mod:`dbmkit.report.runner`).

DuckDB lets one process write a database file while no other process has it open; a reader waits for a writer
and the reverse (:func:`dbmkit.database.store.connect` retries). So that a writing chapter never waits long, at
most one chapter that writes the database runs at a time (:func:`next_chapter`); chapters that only read run
beside it and beside each other. A chapter the runner knows nothing about — a client's own chapter, or its copy
of a standard one — is treated as touching everything: it waits for every earlier chapter and every later one
waits for it.
"""
from __future__ import annotations

__all__ = ["CHAPTER_IO", "EVERYTHING", "PREBUILT", "ON_DEMAND", "TYPICAL_SECONDS", "dependencies", "writers",
           "next_chapter"]

from ..client_workspace import DERIVED

EVERYTHING = "*"     # what an unknown chapter reads and writes
# made by the runner before any chapter starts (read by nearly every chapter; depends only on the database)
PREBUILT = ("customer_summary",)
# the analysis tables a chapter builds on demand when they are missing (ws.table)
ON_DEMAND = frozenset(DERIVED) - set(PREBUILT)

# chapter number → (what it reads, what it writes): analysis tables of the database by name, files of the report
# folder as "file:<name>"; base tables (orders, customers …) are written only by the build, before any chapter
CHAPTER_IO: dict[str, tuple[frozenset, frozenset]] = {}


def _io(reads: str = "", writes: str = "") -> tuple[frozenset, frozenset]:
    return frozenset(reads.split()), frozenset(writes.split())


_PLAN_READS = "customer_summary rfm clv segments scores campaign_contacts campaign_waterfall product_rules " \
              "product_recommendations"
_EVALUATION = "campaign_results campaign_feedback campaign_evaluation"
CHAPTER_IO.update({
    "00": _io(),
    "10": _io(),
    "11": _io(),
    "12": _io(),                   # erasure and retention are tried on a Sandbox, a private copy of the database
    "20": _io("customer_summary"),
    "21": _io("customer_summary", "rfm"),
    "22": _io("customer_summary"),
    "23": _io("customer_summary", "clv"),
    "24": _io("customer_summary", "segments"),
    "25": _io(),
    "26": _io("customer_summary", "scores"),
    "27": _io("customer_summary scores"),
    "30": _io(_PLAN_READS, "campaign_contacts campaign_waterfall product_rules product_recommendations"),
    "31": _io(_PLAN_READS, "campaign_contacts campaign_waterfall file:campaign_list"),
    "32": _io("customer_summary segments"),
    "40": _io("campaign_contacts rfm segments clv " + _EVALUATION, _EVALUATION),
    "41": _io("campaign_contacts clv " + _EVALUATION, _EVALUATION),
    "90": _io(),
    "91": _io(),
})

# seconds a chapter of the demo client takes on one core (benchmarks/RESULTS.md): the longest chain of what is left
# starts first, so that the chapters at the end of the graph (30 → 31 → 40 → 41) do not wait for a slow reader
TYPICAL_SECONDS = {"00": 5, "10": 6, "11": 10, "12": 8, "20": 9, "21": 8, "22": 7, "23": 8, "24": 9, "25": 6,
                   "26": 14, "27": 8, "30": 8, "31": 10, "32": 8, "40": 7, "41": 10}


def _io_of(number: str, kind: str) -> tuple[frozenset, frozenset]:
    if kind != "standard" or number not in CHAPTER_IO:
        return frozenset({EVERYTHING}), frozenset({EVERYTHING})
    return CHAPTER_IO[number]


def _effective_io(chapters: list[tuple[str, str]]) -> list[tuple[frozenset, frozenset]]:
    """What each chapter of this run reads and writes. A chapter that reads an analysis table built on demand
    (``client_workspace.DERIVED``: ``ws.table("scores")``) that no earlier chapter of the run writes builds it
    itself: that read is a write too (27 alone builds ``scores``; after 26 it only reads them)."""
    out, written = [], set()
    for number, kind in chapters:
        reads, writes = _io_of(number, kind)
        writes = writes | {r for r in reads & ON_DEMAND if r not in written}
        written |= writes
        out.append((reads, frozenset(writes)))
    return out


def _conflict(a: tuple[frozenset, frozenset], b: tuple[frozenset, frozenset]) -> bool:
    (ra, wa), (rb, wb) = a, b
    if EVERYTHING in wa or EVERYTHING in wb:
        return True
    return bool(wa & (rb | wb) or wb & ra)


def dependencies(chapters: list[tuple[str, str]]) -> dict[int, set[int]]:
    """For chapters given in reading order as (number, kind) pairs — kind as in
    :class:`~dbmkit.client_chapters.ChapterSource` (standard, overridden, added) — the positions each one waits for.

    >>> deps = dependencies([("21", "standard"), ("22", "standard"), ("30", "standard"), ("31", "standard")])
    >>> deps[1], deps[2], deps[3]
    (set(), {0}, {2})
    >>> dependencies([("21", "standard"), ("50", "added"), ("22", "standard")])[2]
    {1}
    """
    io = _effective_io(chapters)
    deps: dict[int, set[int]] = {}
    for j in range(len(io)):
        deps[j] = {i for i in range(j) if _conflict(io[i], io[j])}
    # a dependency implied by another one is left out (21 → 30 → 31 makes 21 → 31 redundant): shorter logs
    for j in deps:
        implied = set().union(*(_ancestors(deps, i) for i in deps[j])) if deps[j] else set()
        deps[j] -= implied
    return deps


def _ancestors(deps: dict[int, set[int]], i: int) -> set[int]:
    seen, todo = set(), list(deps[i])
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(deps[k])
    return seen


def writers(chapters: list[tuple[str, str]]) -> set[int]:
    """The positions of the chapters that write the client's database in this run (at most one runs at a time).

    >>> writers([("21", "standard"), ("22", "standard"), ("50", "added")])
    {0, 2}
    >>> writers([("27", "standard")]), writers([("26", "standard"), ("27", "standard")])  # 27 alone builds scores
    ({0}, {0})
    """
    return {j for j, (_, w) in enumerate(_effective_io(chapters)) if any(not x.startswith("file:") for x in w)}


def next_chapter(chapters: list[tuple[str, str]], deps: dict[int, set[int]], done: set[int],
                 running: set[int]) -> int | None:
    """The position of the chapter to start now, or None: one whose dependencies are all done, that does not
    write the database while another writer runs, and — of those — the one with the longest chain of work after
    it (by :data:`TYPICAL_SECONDS`), then the first in reading order.

    >>> chs = [("21", "standard"), ("22", "standard"), ("23", "standard")]
    >>> next_chapter(chs, dependencies(chs), done=set(), running={0})    # 23 writes too: 22 runs beside 21
    1
    """
    wr = writers(chapters)
    writer_running = bool(wr & running)
    rest = _chain_seconds(chapters, deps)
    best = None
    for j in range(len(chapters)):
        if j in done or j in running or not deps[j] <= done:
            continue
        if writer_running and j in wr:
            continue
        if best is None or rest[j] > rest[best]:
            best = j
    return best


def _chain_seconds(chapters: list[tuple[str, str]], deps: dict[int, set[int]]) -> dict[int, float]:
    """Seconds of the longest chain of chapters that starts with each chapter (itself included)."""
    after: dict[int, list[int]] = {j: [] for j in deps}
    for j, ds in deps.items():
        for i in ds:
            after[i].append(j)
    out: dict[int, float] = {}
    for j in sorted(deps, reverse=True):
        own = TYPICAL_SECONDS.get(chapters[j][0], 8)
        out[j] = own + max((out[k] for k in after[j]), default=0)
    return out
