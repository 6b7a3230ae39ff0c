"""The `warroom` command."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from warroom.core.config import ConfigError, Settings, load_settings
from warroom.core.errors import DomainError
from warroom.core.security.passwords import WeakPasswordError
from warroom.core.security.permissions import Role

app = typer.Typer(
    help="warroom: a city command centre.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit trail.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (results go to docs/BENCHMARKS.md).", no_args_is_help=True)
for sub, name in ((db_app, "db"), (users_app, "users"), (audit_app, "audit"), (bench_app, "bench")):
    app.add_typer(sub, name=name)

CLI_ACTOR_SOURCE = "cli"


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Known failures become one line on stderr and a non-zero exit, never a traceback."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc))
    except (DomainError, WeakPasswordError) as exc:
        fail(str(exc), 1)
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            fail(f"cannot use the database: {exc.orig}")
        raise


def settings(**overrides: Any) -> Settings:
    with clear_errors():
        return load_settings(**overrides)


def _database(config: Settings) -> Any:
    from warroom.core.db import Database

    return Database(config.resolved_database_url)


def _cli_actor() -> Any:
    import getpass

    from warroom.core.audit import Actor

    return Actor(f"cli:{getpass.getuser()}", CLI_ACTOR_SOURCE)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest version (safe to run again)."""
    from warroom.core import migrate

    with clear_errors():
        db = _database(settings())
        migrate.upgrade(db)
        typer.echo(f"database at revision {migrate.describe(migrate.current_heads(db))}")


@users_app.command("create")
def users_create(
    name: str,
    role: Annotated[
        Role, typer.Option(help="admin, supervisor, operator, dispatcher, analyst or partner")
    ],
    agency: Annotated[str | None, typer.Option(help="Agency code (required for partner)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Create a user. The password comes from stdin so it stays out of shell history."""
    from pydantic import ValidationError

    from warroom.accounts import service
    from warroom.accounts.schemas import UserCreate

    if not password_stdin:
        fail("pass --password-stdin and the password on standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    with clear_errors():
        try:
            data = UserCreate(username=name, role=role, agency_code=agency, password=password)
        except ValidationError as exc:
            fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        db = _database(settings())
        with db.write() as session:
            user = service.create_user(session, data=data, actor=_cli_actor())
            typer.echo(f"created user {user.username} ({user.role}) with id {user.id}")


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List users with role, agency and state."""
    from warroom.accounts import service
    from warroom.core.clock import utcnow

    with clear_errors():
        db = _database(settings())
        with db.read() as session:
            rows = [
                {
                    "id": u.id,
                    "username": u.username,
                    "role": u.role,
                    "agency": u.agency_code,
                    "active": u.active,
                    "locked": service.is_locked(u, utcnow()),
                }
                for u in service.list_users(session)
            ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for r in rows:
        state = "locked" if r["locked"] else "active" if r["active"] else "disabled"
        typer.echo(
            f"{r['id']:>5}  {r['username']:<24} {r['role']:<11} {r['agency'] or '-':<12} {state}"
        )


AnchorsOpt = Annotated[
    Path | None,
    typer.Option("--anchors", help="Anchor file: also check the anchored heads still stand."),
]


@audit_app.command("verify")
def audit_verify(anchors: AnchorsOpt = None) -> None:
    """Check the hash chain of the whole audit trail; exit 1 at the first tampered entry."""
    from warroom.core.audit import verify_chain
    from warroom.core.audit_anchor import AnchorFileError, check_anchors, read_anchors

    with clear_errors():
        try:
            anchored = read_anchors(anchors) if anchors is not None else []
        except AnchorFileError as error:
            fail(str(error))
        db = _database(settings())
        with db.read() as session:
            report = verify_chain(session)
            anchor_report = check_anchors(session, anchored)
    if not report.intact:
        typer.echo(
            f"audit trail TAMPERED: entry {report.first_bad_id}: {report.reason} "
            f"({report.checked} entries before it verified)",
            err=True,
        )
        raise typer.Exit(1)
    if not anchor_report.intact:
        broken = anchor_report.broken
        assert broken is not None
        typer.echo(
            f"audit trail TAMPERED: anchor of entry {broken.entry_id} taken "
            f"{broken.taken_at.isoformat()}: {anchor_report.reason}",
            err=True,
        )
        raise typer.Exit(1)
    suffix = f", {anchor_report.checked} anchors hold" if anchors is not None else ""
    typer.echo(f"audit trail intact: {report.checked} entries verified{suffix}")


@audit_app.command("anchor")
def audit_anchor(
    file: Annotated[
        Path | None, typer.Option("--file", help="Default: the audit_anchor_file setting.")
    ] = None,
) -> None:
    """Append the audit trail's current head to the anchor file (keep it off this machine)."""
    from warroom.core.audit_anchor import append_anchor, take_anchor

    with clear_errors():
        config = settings()
        target = file or config.audit_anchor_file
        if target is None:
            raise ConfigError("give --file or set WARROOM_AUDIT_ANCHOR_FILE")
        db = _database(config)
        with db.read() as session:
            anchor = take_anchor(session)
        if anchor is None:
            typer.echo("audit trail is empty: nothing to anchor", err=True)
            raise typer.Exit(1)
        try:
            append_anchor(target, anchor)
        except OSError as error:
            fail(f"cannot write anchor file {target}: {error.strerror}")
    typer.echo(f"anchored entry {anchor.entry_id} ({anchor.hash[:16]}...) in {target}")


def _serve(config: Settings, prepare: Callable[[Settings], None] | None = None) -> None:
    import uvicorn

    from warroom.core.logging import configure_logging
    from warroom.web.app import SchemaOutdatedError, check_schema, create_app

    configure_logging(config.log_level)
    with clear_errors():
        if prepare is not None:
            prepare(config)
        try:
            check_schema(_database(config))  # a clear message here, not a startup traceback
        except SchemaOutdatedError as exc:
            fail(str(exc))
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        ws_ping_interval=20,
        server_header=False,
    )


HostOpt = Annotated[str | None, typer.Option(help="Address to bind (default from settings)")]
PortOpt = Annotated[int | None, typer.Option(help="Port (default from settings)")]


def _overrides(host: str | None, port: int | None) -> dict[str, Any]:
    return {k: v for k, v in {"host": host, "port": port}.items() if v is not None}


@app.command()
def serve(host: HostOpt = None, port: PortOpt = None) -> None:
    """Run the war room (web UI, API, WebSockets)."""
    _serve(settings(**_overrides(host, port)))


DEMO_USERS = (
    ("demo", Role.ADMIN, None),
    ("operator", Role.OPERATOR, None),
    ("damkar", Role.PARTNER, "fire"),
)


# A living city for the demo: trackers report over loopback through the real protocols.
DEMO_ENVIRONMENT = {
    "WARROOM_FLEET_LISTENERS": "osmand:0,gt06:0,teltonika:0,h02:0",
    "WARROOM_FLEET_BIND_HOST": "127.0.0.1",
    "WARROOM_FLEET_SIMULATE_VEHICLES": "60",
}


def prepare_demo(config: Settings) -> None:
    """Schema, reference data and demo logins (fresh random passwords each start, printed)."""
    for key, value in DEMO_ENVIRONMENT.items():
        os.environ.setdefault(key, value)  # an operator's own setting wins
    from warroom.accounts import service
    from warroom.accounts.schemas import UserCreate
    from warroom.core import migrate
    from warroom.core.errors import NotFoundError

    db = _database(config)
    migrate.upgrade(db)
    lines = []
    with db.write() as session:
        for name, role, agency in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            try:
                service.set_password(session, username=name, password=password, actor=_cli_actor())
            except NotFoundError:
                service.create_user(
                    session,
                    data=UserCreate(
                        username=name,
                        role=role,
                        agency_code=agency,
                        password=password,
                    ),
                    actor=_cli_actor(),
                )
            lines.append(f"    {name:<9} {password:<14} ({role.value})")
    db.dispose()
    url = f"http://{config.host}:{config.port}"
    typer.echo("\n".join(["", f"  warroom demo: Kota Makassar at {url}", "  logins:", *lines, ""]))


@app.command()
def demo(host: HostOpt = None, port: PortOpt = None) -> None:
    """Run the war room with the Makassar demo city (SQLite in the data folder)."""
    _serve(settings(demo=True, **_overrides(host, port)), prepare_demo)


def _register_domain_commands() -> None:
    from warroom.bench import register_bench_commands
    from warroom.cameras.cli import cameras_app
    from warroom.fleet.cli import fleet_app
    from warroom.geo.cli import geo_app

    register_bench_commands(bench_app)
    app.add_typer(fleet_app, name="fleet")
    app.add_typer(geo_app, name="geo")
    app.add_typer(cameras_app, name="cameras")


_register_domain_commands()
