"""Settings: environment over TOML over defaults; default secrets refused outside demo mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.core.config import DEMO_SECRET, ConfigError, load_settings


def test_default_secret_is_refused_outside_demo() -> None:
    with pytest.raises(ConfigError, match="WARROOM_SECRET_KEY"):
        load_settings()


def test_demo_mode_accepts_the_built_in_secret() -> None:
    assert load_settings(demo=True).secret_key.get_secret_value() == DEMO_SECRET


@pytest.mark.parametrize("weak", ["change-me", "short"])
def test_weak_secrets_are_refused(monkeypatch: pytest.MonkeyPatch, weak: str) -> None:
    monkeypatch.setenv("WARROOM_SECRET_KEY", weak)
    with pytest.raises(ConfigError):
        load_settings()


def test_toml_file_with_environment_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('secret_key = "from-the-toml-file-0123"\nport = 9000\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    monkeypatch.setenv("WARROOM_PORT", "9100")
    settings = load_settings()
    assert settings.port == 9100 and settings.host == "0.0.0.0"
    assert settings.secret_key.get_secret_value() == "from-the-toml-file-0123"


def test_unknown_toml_key_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('secret_key = "from-the-toml-file-0123"\nprot = 9000\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    with pytest.raises(ConfigError, match="prot"):
        load_settings()


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_CONFIG", "/nonexistent/warroom.toml")
    with pytest.raises(ConfigError, match=r"/nonexistent/warroom\.toml"):
        load_settings()


def test_sqlite_in_the_data_folder_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    settings = load_settings(demo=True)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'warroom.db'}"
    assert settings.secret_key.get_secret_value() not in repr(settings)
