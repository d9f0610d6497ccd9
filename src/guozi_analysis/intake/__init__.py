"""Intake layer: reading submissions, validation with Chinese findings, ingest into the processed
store, templates and the data-quality report. Imports only the base layer.

The analyst's entry points (see ``docs/api.md``): :func:`open_inbox` (the one data path),
:func:`read_submission` (one file), :func:`ingest` (files or folders into a store),
:func:`load_processed` (the accepted rows of a store).
"""

from guozi_analysis.intake.inbox import Inbox, InboxError, open_inbox
from guozi_analysis.intake.ingestion import IngestReport, ingest, load_processed, read_submission

__all__ = ["Inbox", "InboxError", "IngestReport", "ingest", "load_processed", "open_inbox", "read_submission"]
