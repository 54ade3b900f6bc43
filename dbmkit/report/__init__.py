"""Client reports: run the workbook with papermill, export HTML without code, collect the key numbers.

In a notebook, ``record("gini", 0.61)`` stores a named number; the report runner collects them into
``kpis.json``. ``run_report(config)`` executes the chapters in order (parameters: the config path and overrides),
writes one HTML page per chapter (no code cells, figures embedded), the executed notebooks, ``kpis.json`` and an
``index.html`` with the client, the date, the key numbers and links to every chapter. A failing chapter is named
with its cell and error; the report still shows everything that ran.

One concept per module:

* :mod:`~dbmkit.report.kpis` — the key numbers: ``KPI_INFO`` (labels, formats), :func:`record`, :func:`recorded`,
  :func:`format_kpi`, :func:`key_numbers` (a chapter's key numbers as a small table), and :func:`provenance`, the
  closing cell of every chapter; a number's interval is recorded beside it (``CI_SUFFIXES``) and ``SIGNIFICANCE``
  names the p-value it rests on (the index card shows both).
* :mod:`~dbmkit.report.pages` — a chapter page (:func:`export_html`: no code, contact details masked) and the page of
  a skipped chapter (:func:`skipped_page_html`).
* :mod:`~dbmkit.report.index` — the index page (:func:`index_html`) and its data summary (:func:`data_summary`).
* :mod:`~dbmkit.report.style` — the style sheets (``REPORT_CSS`` for dbmkit's own pages, ``CHAPTER_CSS``).
* :mod:`~dbmkit.report.result` — what a run returns (:class:`ReportResult`, :class:`ChapterRun`).
* :mod:`~dbmkit.report.runner` — :func:`run_report`, and where the repository and the notebooks are
  (:func:`repo_root`, :func:`notebooks_dir`).
* :mod:`~dbmkit.report.schedule` — which chapters may run at the same time (``--jobs``): what each chapter reads
  and writes, the dependency graph that keeps the serial run's results, one database writer at a time.
* :mod:`~dbmkit.report.site` — the course website from an executed report (:func:`build_site`, ``dbmkit site``).
"""
from __future__ import annotations

from .index import data_summary, index_html
from .kpis import CI_SUFFIXES, HEADLINE, KPI_INFO, SIGNIFICANCE, format_kpi, key_numbers, provenance, record, recorded
from .pages import export_html, skipped_page_html
from .result import ChapterRun, ReportResult
from .runner import notebooks_dir, repo_root, run_report
from .site import SiteError, build_site
from .style import CHAPTER_CSS, REPORT_CSS

__all__ = ["record", "recorded", "provenance", "run_report", "ReportResult", "KPI_INFO", "notebooks_dir",
           "export_html", "repo_root", "skipped_page_html", "ChapterRun", "HEADLINE", "format_kpi", "data_summary",
           "index_html", "REPORT_CSS", "CHAPTER_CSS", "key_numbers", "CI_SUFFIXES", "SIGNIFICANCE", "build_site",
           "SiteError"]
