"""While the app runs, objects built at start-up are kept out of garbage collections (a full
collection walking them paused every request for 100-300 ms) and the young generation waits
for more allocations (the ingest's short-lived objects die before a pass); both are handed
back at shutdown."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from warroom.core import collector
from warroom.core.config import Settings
from warroom.web.app import create_app


def test_collector_is_settled_while_the_app_runs_and_restored_after(settings: Settings) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    app = create_app(settings)
    with TestClient(app):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == collector.SERVER_THRESHOLDS
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
