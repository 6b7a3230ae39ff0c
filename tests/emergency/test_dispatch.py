"""Incidents, lifecycle, units, assignment (including the race), recommendation, arrival."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.emergency.helpers import ACTOR, CENTER, make_incident, make_unit
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.core.errors import ConflictError, DomainError, InvalidInputError
from warroom.emergency import dispatch, service, units
from warroom.emergency.config import EmergencyConfig
from warroom.emergency.lifecycle import IncidentStatus, UnitStatus
from warroom.emergency.models import Assignment, Incident, Unit
from warroom.emergency.positions import Fix, record_fixes
from warroom.emergency.schemas import CallCreate, Location
from warroom.emergency.taxonomy import CallType, Capability
from warroom.geo.network import get_router


def test_emergency_call_opens_a_located_incident(db: Database) -> None:
    with db.write() as session:
        call = service.take_call(
            session,
            actor=ACTOR,
            data=CallCreate(
                caller_number="+62811",
                call_type=CallType.EMERGENCY,
                incident_type="fire",
                location=Location(lat=CENTER[0], lon=CENTER[1]),
            ),
        )
        incident = session.get(Incident, call.incident_id)
        assert incident is not None
        assert incident.priority == 1 and incident.status == "new"
        assert incident.kecamatan is not None, "the kecamatan comes from the region index"
        kinds = [e.kind for e in service.timeline(session, incident_id=incident.id)]
        assert kinds == ["created", "call_linked"]


def test_bad_calls_are_refused(db: Database) -> None:
    with pytest.raises(InvalidInputError, match="location"), db.write() as session:
        service.take_call(
            session,
            actor=ACTOR,
            data=CallCreate(caller_number="1", call_type=CallType.EMERGENCY, incident_type="fire"),
        )
    with pytest.raises(InvalidInputError, match="unknown incident type"), db.write() as session:
        service.take_call(
            session,
            actor=ACTOR,
            data=CallCreate(
                caller_number="1",
                call_type=CallType.EMERGENCY,
                incident_type="alien",
                location=Location(lat=CENTER[0], lon=CENTER[1]),
            ),
        )


def test_prank_call_opens_no_incident(db: Database) -> None:
    with db.write() as session:
        call = service.take_call(
            session, actor=ACTOR, data=CallCreate(caller_number="1", call_type=CallType.PRANK)
        )
        assert call.incident_id is None and call.location_source == "none"


def test_duplicates_same_type_near_and_recent(db: Database) -> None:
    first = make_incident(db, "fire")
    make_incident(db, "medical")
    config = EmergencyConfig(duplicate_radius_m=300, duplicate_window_minutes=30)
    with db.read() as session:
        near = service.find_duplicates(
            session, type_code="fire", lat=CENTER[0] + 0.001, lon=CENTER[1], config=config
        )
        assert [i.id for i, _, _ in near] == [first]
        far = service.find_duplicates(
            session, type_code="fire", lat=CENTER[0] + 0.01, lon=CENTER[1], config=config
        )
        assert far == []
        later = service.find_duplicates(
            session,
            type_code="fire",
            lat=CENTER[0],
            lon=CENTER[1],
            config=config,
            at=utcnow() + timedelta(hours=1),
        )
        assert later == []


def test_lifecycle_refuses_out_of_order_changes(db: Database) -> None:
    incident_id = make_incident(db)
    with pytest.raises(ConflictError, match="cannot become resolved"), db.write() as session:
        service.set_status(
            session, incident_id=incident_id, status=IncidentStatus.RESOLVED, actor=ACTOR
        )
    with pytest.raises(DomainError), db.write() as session:
        service.set_status(
            session, incident_id=incident_id, status=IncidentStatus.DISPATCHED, actor=ACTOR
        )


def test_full_lifecycle_frees_the_unit(db: Database) -> None:
    incident_id, unit_id = make_incident(db), make_unit(db, "AMB-01")
    with db.write() as session:
        units.assign_units(session, incident_id=incident_id, unit_ids=[unit_id], actor=ACTOR)
    with db.write() as session:
        units.acknowledge(session, unit_id=unit_id, actor=ACTOR)
        units.set_unit_status(session, unit_id=unit_id, status=UnitStatus.ON_SCENE, actor=ACTOR)
        units.set_unit_status(session, unit_id=unit_id, status=UnitStatus.TRANSPORTING, actor=ACTOR)
    with db.write() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.status == "transporting"
        assert incident.dispatched_at and incident.arrived_at
        service.set_status(
            session, incident_id=incident_id, status=IncidentStatus.RESOLVED, actor=ACTOR
        )
    with db.read() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None and unit.status == "available" and unit.incident_id is None


def test_assigning_an_unavailable_unit_fails_whole_request(db: Database) -> None:
    first, second = make_incident(db), make_incident(db, at=(-5.16, 119.42))
    a, b = make_unit(db, "AMB-01"), make_unit(db, "AMB-02")
    with db.write() as session:
        units.assign_units(session, incident_id=first, unit_ids=[a], actor=ACTOR)
    with pytest.raises(ConflictError, match="AMB-01 is dispatched"), db.write() as session:
        units.assign_units(session, incident_id=second, unit_ids=[b, a], actor=ACTOR)
    with db.read() as session:
        unit_b = session.get(Unit, b)
        assert unit_b is not None and unit_b.status == "available", "all or nothing"


def test_two_dispatchers_racing_for_one_unit(db: Database) -> None:
    """Threads with their own transactions: exactly one assignment wins, on both backends."""
    unit_id = make_unit(db, "AMB-01")
    incidents = [make_incident(db, at=(CENTER[0] + i * 0.01, CENTER[1])) for i in range(6)]
    barrier = threading.Barrier(len(incidents))
    outcomes: list[str] = []

    def dispatcher(incident_id: int) -> None:
        barrier.wait(timeout=10)
        try:
            with db.write() as session:
                units.assign_units(
                    session, incident_id=incident_id, unit_ids=[unit_id], actor=ACTOR
                )
            outcomes.append("won")
        except ConflictError:
            outcomes.append("lost")

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in incidents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["lost"] * 5 + ["won"]
    with db.read() as session:
        assert session.query(Assignment).filter_by(unit_id=unit_id).count() == 1
        dispatched = session.query(Incident).filter_by(status="dispatched").count()
        assert dispatched == 1


def test_fixes_of_any_number_of_vehicles_are_matched_with_a_few_statement_shapes(
    db: Database,
) -> None:
    """Events carry the fixes of however many vehicles moved; were each count its own SQL
    text, every pooled SQLite connection would keep a prepared copy of each."""
    from sqlalchemy import event

    unit_id = make_unit(db, "AMB-02", vehicle_id=5)
    lookups: set[str] = set()

    def remember(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SELECT emergency_units.id"):
            lookups.add(statement)

    event.listen(db.write_engine, "before_cursor_execute", remember)
    now = utcnow()
    for count in range(1, 41):
        fixes = [Fix(vehicle, CENTER[0], CENTER[1] + count * 1e-4, now) for vehicle in range(count)]
        with db.write() as session:
            record_fixes(session, fixes=fixes, arrival_radius_m=100)
    event.remove(db.write_engine, "before_cursor_execute", remember)
    assert 1 <= len(lookups) <= 7, "40 counts, at most 7 shapes (lists padded to 1, 2, ... 64)"
    with db.read() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None and unit.lon == pytest.approx(CENTER[1] + 40e-4)


def test_recommendation_ranks_capable_units_by_road_time(db: Database) -> None:
    incident_id = make_incident(db, "medical")
    near = make_unit(db, "AMB-NEAR", at=(CENTER[0] + 0.005, CENTER[1]))
    far = make_unit(db, "AMB-FAR", at=(CENTER[0] + 0.04, CENTER[1] + 0.03))
    make_unit(db, "POL-01", agency="police", caps=(Capability.POLICE_CAR,), at=CENTER)
    with db.read() as session:
        ranked = dispatch.recommend(session, incident_id=incident_id, router=get_router())
    assert [r.unit_id for r in ranked] == [near, far]
    assert 0 < ranked[0].eta_s < ranked[1].eta_s and ranked[0].distance_m > 0


def test_gps_inside_the_geofence_sets_arrival(db: Database) -> None:
    incident_id = make_incident(db)
    unit_id = make_unit(db, "AMB-01", vehicle_id=77, at=(CENTER[0] + 0.02, CENTER[1]))
    with db.write() as session:
        units.assign_units(session, incident_id=incident_id, unit_ids=[unit_id], actor=ACTOR)
    now = utcnow()
    with db.write() as session:
        away = record_fixes(
            session, fixes=[Fix(77, CENTER[0] + 0.01, CENTER[1], now)], arrival_radius_m=100
        )
        assert away == []
    with db.write() as session:
        arrived = record_fixes(
            session,
            fixes=[Fix(77, CENTER[0] + 0.0003, CENTER[1], now), Fix(999, 0, 0, now)],
            arrival_radius_m=100,
        )
        assert arrived == [unit_id]
    with db.read() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.status == "on_scene"
        assert any(
            e.actor == "system:gps-arrival"
            for e in service.timeline(session, incident_id=incident_id)
        )
