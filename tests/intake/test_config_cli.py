"""Configuration from the environment and the `intake` command line."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from intake.config import IntakeConfig
from intake.errors import ConfigError

INTAKE = [sys.executable, "-c", "from intake.command import main; main()"]


def test_defaults_need_no_setup(kb_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(kb_root / "content", root / "content")
    config = IntakeConfig.from_env({"HELPCENTER_ROOT": str(root)})
    assert config.database_url == f"sqlite:///{root / 'instance' / 'intake.sqlite3'}"
    assert config.upload_dir == root / "instance" / "uploads"
    # A generated secret key is kept, so every worker and restart signs alike.
    assert len(config.secret_key) > 40
    assert IntakeConfig.from_env({"HELPCENTER_ROOT": str(root)}).secret_key == config.secret_key


def test_every_bad_variable_is_named(kb_root: Path) -> None:
    env = {
        "HELPCENTER_ROOT": str(kb_root),
        "DATABASE_URL": "mysql://x/y",
        "SECRET_KEY": "short",
        "SMTP_PORT": "abc",
        "MAX_ATTACHMENTS": "99",
        "RATELIMIT_ENABLED": "maybe",
        "TICKET_RATE_LIMIT": "lots",
        "PUBLIC_URL": "desk",
        "UPLOAD_DIR": str(kb_root / "site" / "uploads"),
    }
    with pytest.raises(ConfigError) as info:
        IntakeConfig.from_env(env)
    message = str(info.value)
    for key in ("DATABASE_URL", "SECRET_KEY", "SMTP_PORT", "MAX_ATTACHMENTS", "RATELIMIT_ENABLED",
                "TICKET_RATE_LIMIT", "PUBLIC_URL", "UPLOAD_DIR"):  # fmt: skip
        assert f"{key}:" in message


def test_postgres_urls_use_psycopg(kb_root: Path) -> None:
    env = {"HELPCENTER_ROOT": str(kb_root), "DATABASE_URL": "postgresql://u@127.0.0.1:5/db"}
    assert IntakeConfig.from_env(env).database_url == "postgresql+psycopg://u@127.0.0.1:5/db"


def test_db_upgrade_and_kb_sync_from_the_command_line(kb_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(kb_root / "content", root / "content")
    shutil.copytree(kb_root / "build", root / "build")
    env = {"HELPCENTER_ROOT": str(root), "PATH": "/usr/bin:/bin"}
    up = subprocess.run([*INTAKE, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    database = root / "instance" / "intake.sqlite3"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"support_tickets", "ticket_responses", "chat_sessions", "chat_messages",
            "knowledge_base_articles", "faqs", "agents", "outbox"} <= tables  # fmt: skip
    sync = subprocess.run([*INTAKE, "kb", "sync"], env=env, capture_output=True, text=True)
    assert sync.returncode == 0, sync.stderr
    assert "eur: " in sync.stdout and " inserted" in sync.stdout
    flask = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "intake", "db", "upgrade"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert flask.returncode == 0, flask.stderr


def test_configuration_errors_print_one_message_and_exit_1(tmp_path: Path) -> None:
    env = {"HELPCENTER_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([*INTAKE, "kb", "sync"], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "HELPCENTER_ROOT:" in result.stderr and "Traceback" not in result.stderr
