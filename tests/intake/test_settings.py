"""Tenant settings: checked values, per tenant, secrets encrypted at rest under ENCRYPTION_KEY."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from intake.errors import ConfigError, InvalidInput
from intake.models import TenantSetting
from intake.settings import SecretBox, TenantSettings, new_key
from intake.state import state


def test_values_are_checked_and_kept_per_tenant(app: Flask) -> None:
    db, box = state(app).db, state(app).secrets
    with db.write("eur") as session:
        TenantSettings(session, box).set("auto_close_days", 7)
        TenantSettings(session, box).set("require_two_factor", True)
    with db.read("eur") as session:
        assert TenantSettings(session, box).get("auto_close_days") == 7
    with db.read("km") as session:
        assert TenantSettings(session, box).get("auto_close_days") == 0  # the default
    for key, value in (("auto_close_days", 400), ("auto_close_days", "7"),
                       ("require_two_factor", "yes"), ("no_such_key", 1)):  # fmt: skip
        with pytest.raises(InvalidInput) as info, db.write("eur") as session:
            TenantSettings(session, box).set(key, value)
        assert info.value.message.startswith(f"{key}: ")


def test_a_secret_is_stored_encrypted_and_read_back(app: Flask) -> None:
    db, box = state(app).db, state(app).secrets
    with db.write("eur") as session:
        TenantSettings(session, box).set("mail_password", "hunter2-correct-horse")
    with db.all_tenants() as session:
        row = session.scalars(select(TenantSetting)).one()
    assert row.value is None and row.secret and "hunter2" not in row.secret
    with db.read("eur") as session:
        settings = TenantSettings(session, box)
        assert settings.get("mail_password") == "hunter2-correct-horse"
        assert ("mail_password", "(set)") in settings.overview()
    with db.read("eur") as session, pytest.raises(ConfigError, match="ENCRYPTION_KEY"):
        TenantSettings(session, SecretBox(new_key())).get("mail_password")  # another key


def test_a_bad_key_is_named(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="ENCRYPTION_KEY: "):
        make_app(ENCRYPTION_KEY="not-a-key")


def test_settings_from_the_command_line(app: Flask) -> None:
    runner = app.test_cli_runner()
    changed = runner.invoke(args=["settings", "set", "--tenant", "km", "auto_close_days", "3"])
    assert changed.exit_code == 0, changed.output
    listed = runner.invoke(args=["settings", "list", "--tenant", "km"])
    assert "auto_close_days = 3" in listed.output and "mail_password = (not set)" in listed.output
    # Each value as `set` takes it back.
    assert "require_two_factor = false" in listed.output
    assert "time_zone = Europe/Paris" in listed.output or "time_zone = UTC" in listed.output
    for typed in ("soon", "--5", "9" * 5000):  # the last two raised ValueError
        bad = runner.invoke(args=["settings", "set", "--tenant", "km", "auto_close_days", "--",
                                  typed])  # fmt: skip
        assert bad.exit_code != 0 and "auto_close_days: use a whole number" in str(bad.exception)
    key = subprocess.run(
        [sys.executable, "-c", "from intake.settings import new_key; print(new_key())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert SecretBox(key).open(SecretBox(key).seal("x")) == "x"
