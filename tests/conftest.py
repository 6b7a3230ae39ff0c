"""Shared fixtures. Every test that touches the database runs on SQLite and on PostgreSQL.

Each test gets a fresh, fully migrated database: SQLite by copying a file migrated once per
session, PostgreSQL by cloning a template database migrated once per session (fast, and tests
stay independent under pytest-xdist).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.services import POSTGRES_URL, require_service
from warroom.accounts import service as accounts
from warroom.accounts.schemas import UserCreate
from warroom.core import migrate
from warroom.core.audit import Actor
from warroom.core.config import Settings
from warroom.core.db import Database
from warroom.core.security.permissions import Role
from warroom.web.app import create_app

TEST_SECRET = "test-secret-key-0123456789"
TEST_ACTOR = Actor("test", "test")
PASSWORD = "correct horse battery"


def _admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def _pg_execute(sql: str) -> None:
    engine = create_engine(_admin_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"warroom_tpl_{uuid.uuid4().hex[:10]}"
    _pg_execute(f'CREATE DATABASE "{name}"')
    db = Database(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}")
    migrate.upgrade(db)
    db.dispose()
    yield name
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database, once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "warroom.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"warroom_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def make_settings(db_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "secret_key": TEST_SECRET,
        "data_dir": data_dir,
        "database_url": db_url,
        "bus_url": "memory://",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


@dataclass
class Account:
    username: str
    password: str
    id: int


def create_account(
    db: Database, role: Role, agency: str | None = None, username: str | None = None
) -> Account:
    name = username or f"{role.value}-{uuid.uuid4().hex[:6]}"
    with db.write() as session:
        user = accounts.create_user(
            session,
            data=UserCreate(username=name, role=role, agency_code=agency, password=PASSWORD),
            actor=TEST_ACTOR,
        )
        return Account(name, PASSWORD, user.id)


def bearer(client: TestClient, account: Account) -> dict[str, str]:
    response = client.post(
        "/api/auth/token", json={"username": account.username, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def app_db(client: TestClient) -> Database:
    """The running app's own Database object."""
    database: Database = client.app.state.db  # type: ignore[attr-defined]
    return database


@pytest.fixture
def admin_headers(client: TestClient, app_db: Database) -> dict[str, str]:
    return bearer(client, create_account(app_db, Role.ADMIN))


def login_browser_session(client: TestClient, account: Account) -> str:
    """Log in through the HTML form like a browser; returns the page's CSRF token."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "login form has no CSRF field"
    response = client.post(
        "/login",
        data={
            "username": account.username,
            "password": account.password,
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', home.text)
    assert csrf
    return csrf.group(1)


os.environ.pop("WARROOM_CONFIG", None)  # a developer's own config must not leak into tests


@pytest.fixture(autouse=True)
def _clean_warroom_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("WARROOM_"):
            monkeypatch.delenv(key)
