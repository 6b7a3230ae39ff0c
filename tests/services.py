"""Reaching the real services tests need (PostgreSQL, NATS, ...).

Outside CI a missing service skips the tests that need it, with the reason. Under ``CI=true`` it
fails them instead: CI has every service running, so a missing one is a broken run, not a skip.
"""

from __future__ import annotations

import os
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

POSTGRES_URL = os.environ.get(
    "WARROOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NATS_URL = os.environ.get("WARROOM_TEST_NATS_URL", "nats://127.0.0.1:4222")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (locally) or fail (in CI) the calling test when ``host:port`` does not answer."""
    if port_open(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; CI must run this test against the real {name}")
    pytest.skip(f"{message}; start it to run this test (CI always does)")
