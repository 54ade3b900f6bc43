"""The marketing database (数据库/数据仓库): build it from the sources, keep it safe, protect the people in it.

One concept per module:

* ``store`` — the database file: DDL of the canonical tables with keys and checks (``ddl``), ``connect``, row
  counts and content fingerprints, the views, the build's ``_meta`` record, running a build step's SQL file;
* ``pipeline`` — the build, phase 1 (``build``: ingest → rules and duplicates → orders → clean → merge/purge →
  store, written to a new file and swapped into place with ``os.replace``, so a failed build never leaves a
  half-written database), ``BuildReport``, ``cleaning_settings``, ``clean_like_build``;
* ``rules`` — the row rules and duplicate keys that send staged rows to quarantine, and the quarantine
  bookkeeping (rows read = loaded + quarantined);
* ``consent`` — consent per channel, read fail-safe (latest evidence wins; an opt-out wins a tie; no record means
  no consent; evidence that cannot be read with certainty counts as an opt-out, in ``consent_uncertain``),
  ``suppression_list(channel)`` of everyone who must not be contacted and why, and ``suppressed_contact_points``,
  the same list by e-mail address, phone number and postal address;
* ``erasure`` — right to erasure (``erase_customer``: from every table, every later build and so every later
  export, with an audit entry without personal data; ``erase_identifier`` finds the person by id, e-mail or phone
  for ``dbmkit erase``; ``apply_ledger`` applies another work folder's erasures before an export), pseudonymised
  extracts, the retention rule (``stale_customers`` / ``apply_retention``);
* ``links`` — known id links (a ``customer_links`` source: a crosswalk or key map): checked
  (``resolve_links``; the links that cannot be applied quarantined with the reason), given to merge/purge as certain
  matches, kept fail-safe (an erased record's person is withheld with every record a link joins to it; a linked
  record's opt-out holds for the whole person: ``hold_linked_opt_outs``) and counted (``link_summary``);
* ``ledger`` — the client's erasure ledger: salted hashes of every erased person's identifiers (no personal data),
  beside the client's config and shared by all its work folders;
* ``quality`` — reconciliation, quarantine and value-issue summaries, the truth check of orders, the table overview,
  the data-quality report before/after cleaning;
* ``sandbox`` — ``Sandbox``, a private copy to try erasure and retention on.

The tables follow :mod:`dbmkit.schema` with primary keys, foreign keys, NOT NULL and CHECK constraints
(docs/DATA_MODEL.md); the SQL of the build steps is in ``dbmkit/sql/build_<step>.sql``. Every public name is
available here as ``dbm.database.<name>``.

Example
-------
>>> import tempfile
>>> from dbmkit.client_workspace import workspace
>>> ws = workspace({"client": "doc_db", "workdir": tempfile.mkdtemp(),
...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
>>> rep = ws.build_summary()
>>> rep["rows_read"] == rep["rows_loaded"] + rep["rows_quarantined"]
True
"""
from __future__ import annotations

from .consent import (
                      CONTACT_FIELD,
                      channels_in_use,
                      consent_summary,
                      consent_vocabulary,
                      contact_point_hits,
                      contact_point_keys,
                      latest_consents,
                      read_channel,
                      read_status,
                      suppressed_contact_points,
                      suppression_list,
                      uncertain_consents,
)
from .erasure import (
                      DIRECT_IDENTIFIERS,
                      ERASED,
                      PERSON_TABLES,
                      apply_ledger,
                      apply_retention,
                      erase_customer,
                      erase_identifier,
                      find_persons,
                      load_erasures,
                      pseudonymise,
                      pseudonymised_extract,
                      stale_customers,
)
from .ledger import LedgerError, ledger_digest, load_ledger
from .links import link_reason_kind, link_summary, resolve_links
from .pipeline import LOAD_ORDER, BuildReport, build, clean_like_build, cleaning_settings
from .quality import (
                      QUALITY_SQL,
                      TABLE_NOTES,
                      order_truth_check,
                      quarantine_summary,
                      reason_kind,
                      reason_text,
                      reconciliation,
                      table_overview,
                      value_issue_summary,
)
from .sandbox import Sandbox
from .store import (
                      FOREIGN_KEYS,
                      PRIMARY_KEYS,
                      SCHEMA_VERSION,
                      SQL_TYPES,
                      VOLATILE_TABLES,
                      connect,
                      ddl,
                      enrich_customers,
                      table_counts,
                      table_fingerprints,
)

__all__ = ["build", "connect", "ddl", "table_overview", "table_counts", "table_fingerprints", "suppression_list",
           "erase_customer", "pseudonymise", "pseudonymised_extract", "stale_customers", "apply_retention",
           "latest_consents", "consent_summary", "enrich_customers", "reconciliation", "quarantine_summary",
           "value_issue_summary", "order_truth_check",
           "reason_kind", "reason_text", "Sandbox", "cleaning_settings", "clean_like_build", "BuildReport",
           "SCHEMA_VERSION", "PRIMARY_KEYS", "FOREIGN_KEYS", "SQL_TYPES", "VOLATILE_TABLES", "LOAD_ORDER",
           "CONTACT_FIELD", "channels_in_use", "ERASED", "PERSON_TABLES", "DIRECT_IDENTIFIERS", "QUALITY_SQL",
           "TABLE_NOTES",
           "load_erasures", "erase_identifier", "find_persons", "apply_ledger", "load_ledger", "ledger_digest",
           "LedgerError",
           "uncertain_consents", "suppressed_contact_points", "contact_point_keys",
           "contact_point_hits", "consent_vocabulary", "read_status", "read_channel", "link_summary",
           "link_reason_kind", "resolve_links"]
