"""New incidents from the API are group-committed: answered only once written, each with its
timeline, audit and event; one bad or failing create never takes its batch down."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from tests.conftest import bearer, create_account
from tests.emergency.helpers import ACTOR, CENTER
from warroom.core import audit
from warroom.core.db import Database
from warroom.core.errors import InvalidInputError
from warroom.core.outbox import OutboxMessage
from warroom.core.security.permissions import Role
from warroom.emergency import opening
from warroom.emergency.events import IncidentCreated
from warroom.emergency.intake import (
    IncidentIntake,
    IntakeClosedError,
    NewIncident,
    commit_batch,
)
from warroom.emergency.models import Incident, TimelineEntry
from warroom.emergency.rows import insert_incident
from warroom.emergency.schemas import IncidentCreate, IncidentRead, Location


def _new(description: str = "", type_code: str = "medical") -> NewIncident:
    where = Location(lat=CENTER[0], lon=CENTER[1])
    return NewIncident(
        IncidentCreate(type=type_code, location=where, description=description), ACTOR
    )


def _count(db: Database, model: type[object], *where: object) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def _chain_intact(db: Database) -> bool:
    with db.read() as session:
        return audit.verify_chain(session).intact


def test_a_batch_opens_each_incident_with_timeline_audit_and_event(db: Database) -> None:
    outcomes = commit_batch(db, [_new("one"), _new("two"), _new("three")])
    assert all(isinstance(o, IncidentRead) for o in outcomes)
    ids = [o.id for o in outcomes]  # type: ignore[union-attr]
    assert len(set(ids)) == 3
    assert [o.description for o in outcomes] == ["one", "two", "three"]  # type: ignore[union-attr]
    assert _count(db, TimelineEntry, TimelineEntry.kind == "created") == 3
    with db.read() as session:
        audited = session.scalars(
            select(audit.AuditEntry.target_id).where(audit.AuditEntry.action == "incident.created")
        ).all()
        topics = session.scalars(select(OutboxMessage.topic)).all()
    assert sorted(audited) == sorted(str(i) for i in ids)
    assert topics == [IncidentCreated.topic] * 3
    assert _chain_intact(db)


def test_a_refused_create_leaves_the_rest_of_its_batch_alone(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    good, unknown, also_good = commit_batch(db, [_new(), _new(type_code="ufo"), _new()])
    assert isinstance(good, IncidentRead) and isinstance(also_good, IncidentRead)
    assert isinstance(unknown, InvalidInputError) and "ufo" in unknown.message
    assert _count(db, Incident) == 2
    assert "retrying" not in caplog.text, "refused before writing: the batch needs no redo"


@pytest.fixture
def poisoned(db: Database) -> Database:
    """A database that refuses (mid-transaction, like a constraint) incidents described
    'poison'."""
    with db.write() as session:
        if db.is_sqlite:
            session.execute(
                text(
                    "CREATE TRIGGER poison BEFORE INSERT ON emergency_incidents "
                    "WHEN NEW.description = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
                )
            )
        else:
            session.execute(
                text(
                    "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.description = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            session.execute(
                text(
                    "CREATE TRIGGER poison BEFORE INSERT ON emergency_incidents "
                    "FOR EACH ROW EXECUTE FUNCTION poison()"
                )
            )
    return db


def test_a_failing_write_is_retried_alone_so_the_others_commit(
    poisoned: Database, caplog: pytest.LogCaptureFixture
) -> None:
    first, bad, last = commit_batch(poisoned, [_new("a"), _new("poison"), _new("b")])
    assert "retrying one by one" in caplog.text
    assert isinstance(first, IncidentRead) and isinstance(last, IncidentRead)
    assert isinstance(bad, Exception) and "poisoned" in str(bad)
    with poisoned.read() as session:
        kept = session.scalars(select(Incident.description).order_by(Incident.id)).all()
    assert kept == ["a", "b"]
    assert _count(poisoned, TimelineEntry) == 2
    assert _chain_intact(poisoned)


async def test_the_intake_answers_after_commit_and_writes_what_is_queued_at_stop(
    db: Database,
) -> None:
    intake, app = IncidentIntake(db), FastAPI()
    await intake.start(app)
    assert app.state.incident_intake is intake
    creates = [asyncio.create_task(intake.create(_new(str(n)).data, ACTOR)) for n in range(20)]
    await asyncio.sleep(0)  # every create is queued now
    await intake.stop(app)
    answered = await asyncio.gather(*creates)
    assert sorted(int(r.description) for r in answered) == list(range(20))
    assert _count(db, Incident) == 20
    with pytest.raises(IntakeClosedError):
        await intake.create(_new().data, ACTOR)


def test_concurrent_api_creates_are_all_committed_and_audited(
    client: TestClient, app_db: Database
) -> None:
    headers = bearer(client, create_account(app_db, Role.DISPATCHER))
    body = {"type": "fire", "location": {"lat": CENTER[0], "lon": CENTER[1]}}

    def post(_: int) -> int:
        response = client.post("/api/emergency/incidents", headers=headers, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(post, range(24)))
    assert len(set(ids)) == 24
    detail = client.get(f"/api/emergency/incidents/{ids[0]}", headers=headers).json()
    assert detail["type"] == "fire" and [e["kind"] for e in detail["timeline"]] == ["created"]
    assert _count(app_db, Incident) == 24
    assert _chain_intact(app_db)


def test_an_inserted_incident_belongs_to_the_session_and_keeps_changes(db: Database) -> None:
    with db.write() as session:
        incident = opening.create_incident(
            session, data=_new().data, actor=ACTOR, external_id="eido-1"
        )
        assert session.get(Incident, incident.id) is incident
        incident.description = "changed in the same transaction"
    with db.read() as session:
        stored = session.get(Incident, incident.id)
        assert stored is not None
        assert stored.description == "changed in the same transaction"
        assert stored.external_id == "eido-1" and stored.dispatched_at is None


def test_inserting_an_incident_refuses_unknown_columns(db: Database) -> None:
    with pytest.raises(ValueError, match="colour"), db.write() as session:
        insert_incident(session, {"type": "medical", "colour": "red"})
