"""While the app runs, objects built at start-up are kept out of garbage collections (a full
collection walking them paused every request for 100-300 ms), the young generation waits for
more allocations (the ingest's short-lived objects die before a pass) and threads hand over
the interpreter lock sooner; all of it is handed back at shutdown."""

from __future__ import annotations

import gc
import sys

from fastapi.testclient import TestClient

from warroom.core import serving
from warroom.core.config import Settings
from warroom.web.app import create_app


def test_interpreter_is_settled_while_the_app_runs_and_restored_after(settings: Settings) -> None:
    gc.unfreeze()
    before = gc.get_threshold(), sys.getswitchinterval()
    app = create_app(settings)
    with TestClient(app):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == serving.SERVER_GC_THRESHOLDS
        assert sys.getswitchinterval() == serving.SERVER_SWITCH_INTERVAL_S
    assert gc.get_freeze_count() == 0
    assert (gc.get_threshold(), sys.getswitchinterval()) == before
