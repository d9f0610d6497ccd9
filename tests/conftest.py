"""Shared fixtures: the demo district read the one way the project reads data (the inbox)."""

from __future__ import annotations

import pandas as pd
import pytest

from guozi_analysis.base import config
from guozi_analysis.intake.inbox import Inbox, open_inbox


@pytest.fixture(scope="session")
def demo_inbox() -> Inbox:
    """The bundled demo district, validated and ingested (the store is cached between sessions)."""
    return open_inbox(config.DEMO_DIR / "raw")


@pytest.fixture()
def demo_tables(demo_inbox) -> dict[str, pd.DataFrame]:
    """Copies of the demo district's accepted tables (a test may change them freely)."""
    return {name: frame.copy() for name, frame in demo_inbox.tables.items()}
