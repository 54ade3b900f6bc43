"""The consultant's workflow: draft a client config from the client's files, and run many clients in one go.

``dbmkit new-client NAME FILE...`` looks at each file — format, encoding, delimiter, header row (via
:func:`dbmkit.ingest.detect_file`) — profiles its columns (dates, amounts, ids, codes, e-mails, phones,
quantities), guesses which canonical table it feeds (one row per order → ``orders``; one row per invoice line →
``sales_lines``; people → ``customers`` …) and the column mapping from the headers (English and Chinese, e.g.
客户编号, 订单日期, 金额, 数量, 单价, plus common German/French/Spanish names) and from the values. It writes a
commented YAML draft: every guess says why, every column it could not place is listed. ``dbmkit check`` then validates
the draft against the data.

``dbmkit batch CONFIG...`` runs the report of several clients, each in its own process, so one failing client
never stops the others, and writes a summary table (status, time, key numbers).

Example
-------
>>> import tempfile, os
>>> d = tempfile.mkdtemp(); p = os.path.join(d, "sales.csv")
>>> _ = open(p, "w", encoding="utf-8").write(
...     "Invoice,Customer,Date,Amount\\n" + "".join(f"{i},{i % 7},2024-01-{i % 28 + 1:02d},{i * 1.5:.2f}\\n"
...                                          for i in range(1, 60)))
>>> draft = draft_source(p)
>>> draft.table, draft.columns
('orders', {'order_id': 'Invoice', 'customer_id': 'Customer', 'order_ts': 'Date', 'net_amount': 'Amount'})

One concept per module: :mod:`~dbmkit.consultant.headers` (usual header names), :mod:`~dbmkit.consultant.profile`
(what a column's values look like), :mod:`~dbmkit.consultant.mapping` (the table a file feeds and its column
mapping), :mod:`~dbmkit.consultant.draft` (the commented YAML draft, :func:`new_client`),
:mod:`~dbmkit.consultant.batch` (:func:`run_batch` and its summary) and :mod:`~dbmkit.consultant.commands` (the
``dbmkit`` sub-commands).
"""
from __future__ import annotations

from .batch import BATCH_KPIS, batch_summary_html, format_batch_table, run_batch
from .commands import register_cli
from .draft import draft_config, new_client
from .headers import HEADER_SYNONYMS, header_score, normalise_header
from .mapping import GUESSABLE, KIND_FITS, SALES_TABLES, Guess, SourceDraft, customers_column, draft_source
from .profile import ColumnProfile, profile_column, profile_columns

__all__ = ["profile_columns", "draft_source", "SourceDraft", "draft_config", "new_client", "run_batch",
           "batch_summary_html", "register_cli", "HEADER_SYNONYMS", "normalise_header", "header_score",
           "ColumnProfile", "profile_column", "Guess", "SALES_TABLES", "GUESSABLE", "KIND_FITS", "customers_column",
           "BATCH_KPIS", "format_batch_table"]
