"""Fleet JSON API: registry (vehicles, devices, unknown devices, geofences), live vehicles,
history for replay, and reports (JSON, CSV, XLSX). Partners see their own agency only.

Ids are checked against the range of the id columns, and period bounds need a zone and a
UTC equivalent, so out-of-range input is a 422 rather than an error deep in the driver.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from warroom.core.http import DbDep, actor_for, notify_outbox
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal, Role
from warroom.fleet import export, reports, service
from warroom.fleet.config import FleetConfig
from warroom.fleet.fences import FenceSet, load_fences
from warroom.fleet.live_socket import router as live_router
from warroom.fleet.motion import MotionSettings
from warroom.fleet.pages import router as pages_router
from warroom.fleet.schemas import (
    MAX_ID,
    DeviceCreate,
    DeviceRead,
    DeviceUpdate,
    GeofenceCreate,
    GeofenceRead,
    LiveVehicle,
    Moment,
    PositionRead,
    RowId,
    UnknownDeviceRead,
    VehicleCreate,
    VehicleRead,
    VehicleUpdate,
)

api = APIRouter(prefix="/api/fleet", tags=["fleet"])
Reader = Annotated[Principal, require(Permission.FLEET_READ)]
Manager = Annotated[Principal, require(Permission.FLEET_MANAGE)]
MAX_REPLAY_VEHICLES = 20
# One replay answer holds at most this many positions, shared out evenly between its
# vehicles (up to MAX_HISTORY_ROWS each): 20 full tracks would be a million rows, some 1 GB
# of objects in the server for one request.
MAX_REPLAY_ROWS = 200_000
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
TRUNCATED_HEADER = "X-Truncated-Vehicles"


def scope(principal: Principal) -> str | None:
    """The agency a caller is limited to (partners), or None for city-wide roles."""
    return principal.agency_code if principal.role is Role.PARTNER else None


def fleet_config(request: Request) -> FleetConfig:
    config: FleetConfig | None = getattr(request.app.state, "fleet_config", None)
    return config or FleetConfig()


@api.get("/vehicles", response_model=list[VehicleRead])
def list_vehicles(db: DbDep, me: Reader) -> list[VehicleRead]:
    with db.read() as session:
        rows = service.list_vehicles(session, agency=scope(me))
        return [VehicleRead.model_validate(row) for row in rows]


@api.post("/vehicles", response_model=VehicleRead, status_code=201)
def create_vehicle(body: VehicleCreate, request: Request, db: DbDep, me: Manager) -> VehicleRead:
    with db.write() as session:
        vehicle = service.create_vehicle(session, data=body, actor=actor_for(request, me))
        result = VehicleRead.model_validate(vehicle)
    notify_outbox(request)
    return result


@api.get("/vehicles/{vehicle_id}", response_model=VehicleRead)
def get_vehicle(vehicle_id: IdPath, db: DbDep, me: Reader) -> VehicleRead:
    with db.read() as session:
        vehicle = service.get_vehicle(session, vehicle_id=vehicle_id, agency=scope(me))
        return VehicleRead.model_validate(vehicle)


@api.patch("/vehicles/{vehicle_id}", response_model=VehicleRead)
def update_vehicle(
    vehicle_id: IdPath, body: VehicleUpdate, request: Request, db: DbDep, me: Manager
) -> VehicleRead:
    with db.write() as session:
        vehicle = service.update_vehicle(
            session, vehicle_id=vehicle_id, data=body, actor=actor_for(request, me)
        )
        result = VehicleRead.model_validate(vehicle)
    notify_outbox(request)
    return result


@api.get("/devices", response_model=list[DeviceRead])
def list_devices(db: DbDep, me: Reader) -> list[DeviceRead]:
    with db.read() as session:
        return [
            DeviceRead.model_validate(d) for d in service.list_devices(session, agency=scope(me))
        ]


@api.post("/devices", response_model=DeviceRead, status_code=201)
def create_device(body: DeviceCreate, request: Request, db: DbDep, me: Manager) -> DeviceRead:
    with db.write() as session:
        device = service.create_device(session, data=body, actor=actor_for(request, me))
        result = DeviceRead.model_validate(device)
    notify_outbox(request)
    return result


@api.patch("/devices/{device_id}", response_model=DeviceRead)
def update_device(
    device_id: IdPath, body: DeviceUpdate, request: Request, db: DbDep, me: Manager
) -> DeviceRead:
    with db.write() as session:
        device = service.update_device(
            session, device_id=device_id, data=body, actor=actor_for(request, me)
        )
        result = DeviceRead.model_validate(device)
    notify_outbox(request)
    return result


@api.get("/unknown-devices", response_model=list[UnknownDeviceRead])
def list_unknown_devices(db: DbDep, _: Manager) -> list[UnknownDeviceRead]:
    with db.read() as session:
        return [UnknownDeviceRead.model_validate(u) for u in service.list_unknown_devices(session)]


@api.delete("/unknown-devices/{unique_id}", status_code=204)
def dismiss_unknown_device(unique_id: str, request: Request, db: DbDep, me: Manager) -> None:
    with db.write() as session:
        service.dismiss_unknown_device(session, unique_id=unique_id, actor=actor_for(request, me))


@api.get("/geofences", response_model=list[GeofenceRead])
def list_geofences(db: DbDep, me: Reader) -> list[GeofenceRead]:
    with db.read() as session:
        rows = service.list_geofences(session, agency=scope(me))
        return [GeofenceRead.model_validate(row) for row in rows]


@api.post("/geofences", response_model=GeofenceRead, status_code=201)
def create_geofence(body: GeofenceCreate, request: Request, db: DbDep, me: Manager) -> GeofenceRead:
    with db.write() as session:
        geofence = service.create_geofence(session, data=body, actor=actor_for(request, me))
        result = GeofenceRead.model_validate(geofence)
    notify_outbox(request)
    return result


@api.delete("/geofences/{geofence_id}", status_code=204)
def delete_geofence(geofence_id: IdPath, request: Request, db: DbDep, me: Manager) -> None:
    with db.write() as session:
        service.delete_geofence(session, geofence_id=geofence_id, actor=actor_for(request, me))
    notify_outbox(request)


@api.get("/live", response_model=list[LiveVehicle])
def live(db: DbDep, me: Reader) -> list[LiveVehicle]:
    """Every vehicle's latest state (saved every few seconds; the feed has the newest)."""
    with db.read() as session:
        return service.live_vehicles(session, agency=scope(me))


@api.get(
    "/replay",
    responses={
        200: {
            "headers": {
                TRUNCATED_HEADER: {
                    "description": "Ids (comma-separated) of the vehicles whose track holds "
                    "only the first positions of the period: each vehicle's share of "
                    f"{MAX_REPLAY_ROWS} positions, at most {service.MAX_HISTORY_ROWS}.",
                    "schema": {"type": "string"},
                }
            }
        }
    },
)
def replay(
    db: DbDep,
    me: Reader,
    response: Response,
    vehicle_id: Annotated[list[RowId], Query(max_length=MAX_REPLAY_VEHICLES)],
    start: Moment,
    end: Moment,
) -> dict[str, list[PositionRead]]:
    """Tracks of one or several vehicles over a period, keyed by vehicle id. A track cut at
    its share of the row limit is named in the X-Truncated-Vehicles header (the body stays a
    plain map)."""
    vehicles = list(dict.fromkeys(vehicle_id))
    share = MAX_REPLAY_ROWS // len(vehicles)  # the query requires one vehicle at least
    with db.read() as session:
        histories = {
            str(vid): service.vehicle_history(
                session, vehicle_id=vid, start=start, end=end, agency=scope(me), limit=share
            )
            for vid in vehicles
        }
    cut = [vid for vid, history in histories.items() if history.truncated]
    if cut:
        response.headers[TRUNCATED_HEADER] = ",".join(cut)
    return {vid: history.positions for vid, history in histories.items()}


@api.get("/reports/{kind}", response_model=None)
def report(
    kind: reports.ReportKind,
    request: Request,
    db: DbDep,
    me: Reader,
    start: Moment,
    end: Moment,
    vehicle_id: Annotated[list[RowId] | None, Query(max_length=200)] = None,
    group: Annotated[str | None, Query(max_length=30)] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    """Route, trips, stops, summary or geofence visits per vehicle or agency (`group`)."""
    period = reports.Period(start, end)
    config = fleet_config(request)
    settings = MotionSettings(
        config.moving_speed_kmh,
        config.trip_min_distance_m,
        config.trip_min_stop_seconds,
        config.trip_stop_gap_seconds,
    )
    # Only the fences the caller may see: a partner's report must not name other agencies'.
    fences = load_fences(db, agency=scope(me)) if kind == "geofences" else FenceSet()
    with db.read() as session:
        vehicles = reports.select_vehicles(
            session, vehicle_ids=vehicle_id or [], agency=scope(me), group=group
        )
        rows = reports.build_report(
            session, kind=kind, vehicles=vehicles, period=period, settings=settings, fences=fences
        )
    if format == "json":
        return rows
    name = f"fleet-{kind}-{start:%Y%m%d}"
    if format == "csv":
        return _download(export.to_csv(rows), "text/csv; charset=utf-8", f"{name}.csv")
    return _download(
        export.to_xlsx(rows, kind),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{name}.xlsx",
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


router = APIRouter()
router.include_router(api)
router.include_router(pages_router)
router.include_router(live_router)
