"""The emergency API end to end: calls, dispatch, partners, KPIs, EIDO, CAP and Atom."""

from __future__ import annotations

from fastapi.testclient import TestClient
from lxml import etree

from tests.conftest import bearer, create_account
from tests.emergency.helpers import CENTER, make_unit
from tests.emergency.test_aml import SMS
from warroom.core.db import Database
from warroom.core.security.permissions import Role
from warroom.emergency.cap import CAP_NS, cap_schema
from warroom.emergency.taxonomy import Capability

WHERE = {"lat": CENTER[0], "lon": CENTER[1]}


def _call(client: TestClient, headers: dict[str, str], **extra: object) -> dict[str, object]:
    body = {
        "caller_number": "+62811",
        "call_type": "emergency",
        "incident_type": "fire",
        "location": WHERE,
        **extra,
    }
    response = client.post("/api/emergency/calls", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_call_taker_to_dispatch_to_partner(client: TestClient, app_db: Database) -> None:
    taker = bearer(client, create_account(app_db, Role.OPERATOR))
    dispatcher = bearer(client, create_account(app_db, Role.DISPATCHER))
    fire = bearer(client, create_account(app_db, Role.PARTNER, agency="fire"))
    police = bearer(client, create_account(app_db, Role.PARTNER, agency="police"))
    unit_id = make_unit(
        app_db,
        "DMK-01",
        agency="fire",
        caps=(Capability.FIRE_ENGINE,),
        at=(CENTER[0] + 0.01, CENTER[1]),
    )
    call = _call(client, taker, aml=SMS)
    incident_id = call["incident_id"]
    assert call["location_source"] == "aml_sms"

    recs = client.get(f"/api/emergency/incidents/{incident_id}/recommendations", headers=dispatcher)
    assert [r["unit_id"] for r in recs.json()] == [unit_id]
    assert client.get(f"/api/emergency/incidents/{incident_id}", headers=fire).status_code == 404
    assigned = client.post(
        f"/api/emergency/incidents/{incident_id}/assign",
        headers=dispatcher,
        json={"unit_ids": [unit_id]},
    )
    assert assigned.status_code == 200, assigned.text
    again = client.post(
        f"/api/emergency/incidents/{incident_id}/assign",
        headers=dispatcher,
        json={"unit_ids": [unit_id]},
    )
    assert again.status_code == 409 and "not available" in again.json()["detail"]

    assert [i["id"] for i in client.get("/api/emergency/incidents", headers=fire).json()] == [
        incident_id
    ]
    assert client.get("/api/emergency/incidents", headers=police).json() == []
    ack = client.post(f"/api/emergency/units/{unit_id}/acknowledge", headers=fire)
    assert ack.status_code == 200 and ack.json()["acknowledged_at"]
    assert (
        client.post(f"/api/emergency/units/{unit_id}/acknowledge", headers=police).status_code
        == 404
    )
    moved = client.post(f"/api/emergency/units/{unit_id}/position", headers=fire, json=WHERE)
    assert moved.json() == {"arrived": True}
    detail = client.get(f"/api/emergency/incidents/{incident_id}", headers=dispatcher).json()
    assert detail["status"] == "on_scene" and len(detail["calls"]) == 1
    assert [e["kind"] for e in detail["timeline"]][:2] == ["created", "call_linked"]
    kpi = client.get("/api/emergency/kpi", headers=dispatcher).json()
    assert kpi["by_priority"]["P1"]["response"]["count"] == 1
    assert client.get("/api/emergency/kpi", headers=fire).json()["agency"] == "fire"


def test_bad_input_gets_clear_4xx(client: TestClient, app_db: Database) -> None:
    taker = bearer(client, create_account(app_db, Role.OPERATOR))
    no_place = client.post(
        "/api/emergency/calls",
        headers=taker,
        json={"caller_number": "1", "call_type": "emergency", "incident_type": "fire"},
    )
    assert no_place.status_code == 422 and "location" in no_place.json()["detail"]
    unknown = client.post(
        "/api/emergency/incidents", headers=taker, json={"type": "ufo", "location": WHERE}
    )
    assert unknown.status_code == 422 and "unknown incident type" in unknown.json()["detail"]
    bad_aml = _post_raw(client, taker, "not aml")
    assert bad_aml.status_code == 422
    incident_id = _call(client, taker)["incident_id"]
    closed = client.post(
        f"/api/emergency/incidents/{incident_id}/status", headers=taker, json={"status": "closed"}
    )
    assert closed.status_code == 409
    assert (
        client.post(
            f"/api/emergency/incidents/{incident_id}/assign", headers=taker, json={"unit_ids": [1]}
        ).status_code
        == 403
    )


def _post_raw(client: TestClient, headers: dict[str, str], text: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/emergency/aml", headers={**headers, "Content-Type": "text/plain"}, content=text
    )


def test_eido_round_trip(client: TestClient, app_db: Database) -> None:
    admin = bearer(client, create_account(app_db, Role.SUPERVISOR))
    incident_id = _call(client, admin)["incident_id"]
    message = client.get(f"/api/emergency/incidents/{incident_id}/eido", headers=admin).json()
    assert message["incidentComponent"][0]["incidentTypeCommonRegistryText"] == "Fire"
    message["incidentComponent"][0]["incidentTrackingIdentifier"] = "urn:other-psap:42"
    imported = client.post("/api/emergency/eido", headers=admin, json=message)
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert body["type"] == "fire" and abs(body["lat"] - CENTER[0]) < 1e-6
    assert client.post("/api/emergency/eido", headers=admin, json=message).status_code == 409


def test_cap_warning_is_valid_and_in_the_atom_feed(client: TestClient, app_db: Database) -> None:
    supervisor = bearer(client, create_account(app_db, Role.SUPERVISOR))
    published = client.post(
        "/api/emergency/warnings",
        headers=supervisor,
        json={
            "headline": "Banjir di Kecamatan Manggala",
            "event": "Banjir",
            "description": "Air setinggi 80 cm.",
            "severity": "Severe",
            "category": "Met",
            "area_desc": "Manggala",
            "polygon": [
                {"lat": -5.16, "lon": 119.48},
                {"lat": -5.16, "lon": 119.50},
                {"lat": -5.14, "lon": 119.50},
            ],
        },
    )
    assert published.status_code == 201, published.text
    warning_id = published.json()["id"]
    # Public warnings are read without an account (broadcasters, citizens).
    xml = client.get(f"/api/emergency/warnings/{warning_id}.cap").content
    document = etree.fromstring(xml)
    assert cap_schema().validate(document), cap_schema().error_log
    sent = document.findtext(f"{{{CAP_NS}}}sent")
    assert sent is not None and sent.endswith("+08:00") and "." not in sent
    polygon = document.findtext(f".//{{{CAP_NS}}}polygon").split()
    assert polygon[0] == polygon[-1] == "-5.16000,119.48000"
    feed = client.get("/api/emergency/warnings.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert f"/api/emergency/warnings/{warning_id}.cap".encode() in feed.content
    operator = bearer(client, create_account(app_db, Role.OPERATOR))
    assert client.post("/api/emergency/warnings", headers=operator, json={}).status_code == 403


def test_pages_render_for_staff(client: TestClient, app_db: Database) -> None:
    from tests.conftest import login_browser_session

    login_browser_session(client, create_account(app_db, Role.DISPATCHER))
    for path in ("/emergency", "/emergency/call", "/emergency/incidents/1"):
        page = client.get(path)
        assert page.status_code == 200 and "emergency.js" in page.text
