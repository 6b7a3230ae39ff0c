"""The `warroom` command: users, schema, clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.cli import app

runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", db_url)
    monkeypatch.setenv("WARROOM_SECRET_KEY", "test-secret-key-0123456789")


@pytest.mark.usefixtures("env")
def test_create_and_list_users() -> None:
    created = runner.invoke(
        app,
        ["users", "create", "andi", "--role", "dispatcher", "--password-stdin"],
        input="andi-password-112\n",
    )
    assert created.exit_code == 0, created.output
    partner = runner.invoke(
        app,
        ["users", "create", "pmk", "--role", "partner", "--agency", "fire", "--password-stdin"],
        input="pmk-password-112\n",
    )
    assert partner.exit_code == 0, partner.output
    listed = runner.invoke(app, ["users", "list", "--json"])
    rows = {r["username"]: r for r in json.loads(listed.output)}
    assert rows["andi"]["role"] == "dispatcher" and rows["pmk"]["agency"] == "fire"


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "mayor", "--password-stdin"], "x" * 12, "mayor"),
        (["--role", "operator"], "", "--password-stdin"),
        (["--role", "operator", "--password-stdin"], "short", "password"),
        (["--role", "partner", "--password-stdin"], "x" * 12, "agency"),
        (["--role", "partner", "--agency", "nasa", "--password-stdin"], "x" * 12, "nasa"),
    ],
)
def test_bad_user_input_gets_a_message_and_nonzero_exit(
    args: list[str], stdin: str, message: str
) -> None:
    result = runner.invoke(app, ["users", "create", "tono", *args], input=stdin + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("env")
def test_duplicate_user_exits_1() -> None:
    args = ["users", "create", "dewi", "--role", "analyst", "--password-stdin"]
    assert runner.invoke(app, args, input="dewi-password-1\n").exit_code == 0
    again = runner.invoke(app, args, input="dewi-password-1\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_missing_secret_outside_demo_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2 and "WARROOM_SECRET_KEY" in result.output


def test_db_upgrade_on_an_empty_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WARROOM_SECRET_KEY", "test-secret-key-0123456789")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "database at revision" in result.output
    assert (tmp_path / "warroom.db").exists()


def test_unreachable_database_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/x")
    monkeypatch.setenv("WARROOM_SECRET_KEY", "test-secret-key-0123456789")
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 2 and "cannot use the database" in result.output
