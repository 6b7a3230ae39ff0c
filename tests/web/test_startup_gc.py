"""Objects built at start-up are kept out of garbage collections while the app runs (a full
collection walking them paused every request for 100-300 ms), and handed back at shutdown."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from warroom.core.config import Settings
from warroom.web.app import create_app


def test_startup_objects_are_frozen_while_the_app_runs(settings: Settings) -> None:
    gc.unfreeze()
    app = create_app(settings)
    with TestClient(app):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
