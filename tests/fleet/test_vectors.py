"""Every shared test vector through the registry's decoder, each from a fresh session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fleet import vectors
from warroom.fleet.protocols import PROTOCOLS, DecodeError, Session

VECTORS = vectors.load()


def test_vectors_cover_every_protocol_in_the_file() -> None:
    assert {vector["protocol"] for vector in VECTORS} <= set(PROTOCOLS)


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["id"] for vector in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    decode = PROTOCOLS[vector["protocol"]].decode
    message = vectors.message_bytes(vector)
    if vector["expect"] == "error":
        with pytest.raises(DecodeError, match=r"\w"):
            decode(message, Session())
        return
    lines = decode(message, Session()).to_json_lines()
    assert vectors.mismatches(vector["expect"], lines) == []
