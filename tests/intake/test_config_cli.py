"""Configuration from the environment and the `intake` command line."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from intake import create_app
from intake.cli import database
from intake.config import IntakeConfig
from intake.errors import ConfigError
from intake.state import state
from scripts.pgserver import free_port
from tests.intake.conftest import Mailbox, api_ticket

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
        "MAX_ATTACHMENT_KB": "0",
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
    assert "MAX_ATTACHMENTS: 99 is not allowed; use a number from 0 to 20" in message
    assert "MAX_ATTACHMENT_KB: 0 is not allowed; use a number of at least 1" in message


def test_postgres_urls_use_psycopg(kb_root: Path) -> None:
    env = {"HELPCENTER_ROOT": str(kb_root), "DATABASE_URL": "postgresql://u@127.0.0.1:5/db"}
    assert IntakeConfig.from_env(env).database_url == "postgresql+psycopg://u@127.0.0.1:5/db"


def test_db_upgrade_and_kb_sync_from_the_command_line(kb_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(kb_root / "content", root / "content")
    shutil.copytree(kb_root / "build", root / "build")
    env = {"HELPCENTER_ROOT": str(root), "PATH": "/usr/bin:/bin"}
    up = subprocess.run(
        [*INTAKE, "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0o022),
    )  # noqa: PLW1509
    assert up.returncode == 0, up.stderr
    # Every customer's tickets are in it: readable by its owner only, whatever the umask.
    made = [p for p in (root / "instance").iterdir() if p.name.startswith("intake.sqlite3")]
    assert made and {p.stat().st_mode & 0o777 for p in made if p.is_file()} == {0o600}, made
    head = re.match(r"Database at (\d{4}): sqlite", up.stdout)
    assert head, up.stdout  # the revision it is at, read from the database
    older = f"{int(head.group(1)) - 1:04d}"  # upgrading never goes back, and says so
    back = subprocess.run([*INTAKE, "db", "upgrade", older], env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert back.stdout.startswith(f"Database at {head.group(1)} (not {older}:"), back.stdout
    for same in ("head", "heads", head.group(1)):  # names of where it is: nothing to say
        again = subprocess.run([*INTAKE, "db", "upgrade", same], env=env, capture_output=True,
                               text=True)  # fmt: skip
        assert again.stdout.startswith(f"Database at {head.group(1)}: "), (same, again.stdout)
    nowhere = subprocess.run([*INTAKE, "db", "upgrade", "9999"], env=env, capture_output=True,
                             text=True)  # fmt: skip
    assert nowhere.returncode == 1 and "Traceback" not in nowhere.stderr
    assert nowhere.stderr.startswith("intake: revision: no migration is called '9999': give")
    past = subprocess.run([*INTAKE, "db", "upgrade", "+1"], env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert past.returncode == 1
    assert past.stderr.startswith("intake: revision: +1: Relative revision")
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


def _intake(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*INTAKE, *args], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _project(kb_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(kb_root / "content", root / "content")
    shutil.copytree(kb_root / "build", root / "build")
    return root


def test_a_broken_site_yaml_is_located_not_a_traceback(kb_root: Path, tmp_path: Path) -> None:
    root = _project(kb_root, tmp_path)
    site = root / "content" / "site.yaml"
    site.write_text(site.read_text().replace("default_tenant:", "default_tenantt:"))
    for command in (["kb", "sync"], ["serve"], ["db", "upgrade"]):
        result = _intake({"HELPCENTER_ROOT": str(root)}, *command)
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("intake: content/site.yaml:2: default_tenantt: unknown")
        assert len(result.stderr.splitlines()) == 1


def test_a_missing_database_is_one_line(kb_root: Path, tmp_path: Path) -> None:
    root = _project(kb_root, tmp_path)
    nowhere = f"postgresql://nobody@127.0.0.1:{free_port()}/intake"
    down = _intake({"HELPCENTER_ROOT": str(root), "DATABASE_URL": nowhere}, "kb", "sync")
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert down.stderr.startswith("intake: DATABASE_URL: the database cannot be used:")
    empty = _intake({"HELPCENTER_ROOT": str(root)}, "kb", "sync")  # SQLite, never upgraded
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert "run `intake db upgrade`" in empty.stderr and len(empty.stderr.splitlines()) == 1


def test_a_restore_onto_a_database_it_cannot_reach_is_not_blamed_on_a_service(
    kb_root: Path, tmp_path: Path
) -> None:
    root = _project(kb_root, tmp_path)
    nowhere = f"postgresql://nobody@127.0.0.1:{free_port()}/intake"
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a backup")
    done = _intake({"HELPCENTER_ROOT": str(root), "DATABASE_URL": nowhere}, "restore",
                   "--force", str(junk))  # fmt: skip
    assert done.returncode == 1 and "the service is running" not in done.stderr
    assert f"{junk}: cannot be read as a backup" in done.stderr


def test_a_path_that_cannot_be_written_is_one_line(kb_root: Path, tmp_path: Path) -> None:
    root = _project(kb_root, tmp_path)
    env = {"HELPCENTER_ROOT": str(root)}
    assert _intake(env, "db", "upgrade").returncode == 0
    out = tmp_path / "no-such-folder" / "ada.zip"
    failed = _intake(env, "customers", "export", "--tenant", "eur", "--email", "ada@example.com",
                     "--out", str(out))  # fmt: skip
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr == f"intake: [Errno 2] No such file or directory: '{out}'\n"


def test_serving_more_processes_than_the_database_allows_is_refused(
    kb_root: Path, tmp_path: Path
) -> None:
    root = _project(kb_root, tmp_path)
    result = _intake({"HELPCENTER_ROOT": str(root)}, "serve", "--workers", "3")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--workers: SQLite serves from one process, not 3" in result.stderr


def test_serve_refuses_a_files_folder_it_cannot_use_and_a_port_in_use(
    kb_root: Path, tmp_path: Path
) -> None:
    """Both are said before a word of "Serving on": the service did start, then every upload
    answered 500, or gunicorn gave up after printing that it served."""
    root = _project(kb_root, tmp_path)
    env = {"HELPCENTER_ROOT": str(root)}
    assert _intake(env, "db", "upgrade").returncode == 0
    (tmp_path / "a-file").write_text("")
    nowhere = tmp_path / "a-file" / "uploads"
    refused = _intake({**env, "UPLOAD_DIR": str(nowhere)}, "serve", "--port", str(free_port()))
    assert refused.returncode == 1 and "Serving on" not in refused.stdout
    assert refused.stderr == (f"intake: UPLOAD_DIR: {nowhere} cannot hold files (Not a"
                              " directory); customers' files could not be kept\n")  # fmt: skip
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = _intake(env, "serve", "--port", str(port))
        both = _intake(env, "serve", "--host", "::", "--port", str(port))  # as gunicorn binds
    assert busy.returncode == 1 and "Serving on" not in busy.stdout
    assert busy.stderr == (f"intake: --port: port {port} of 127.0.0.1 is in use: stop what"
                           " serves there, or choose another\n")  # fmt: skip
    assert both.returncode == 1 and f"--port: port {port} of :: is in use" in both.stderr


def test_commands_never_send_mail(kb_root: Path, tmp_path: Path, smtp: Mailbox) -> None:
    root = _project(kb_root, tmp_path)
    env = {"HELPCENTER_ROOT": str(root), "SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port),
           "OUTBOX_INTERVAL": "0.05"}  # fmt: skip
    # A fresh SQLite database, upgraded while a sender thread would race the migration.
    assert _intake(env, "db", "upgrade").returncode == 0
    app = create_app({**env, "SECRET_KEY": "x" * 20, "PATH": "/usr/bin:/bin"})
    api_ticket(app.test_client())  # one confirmation mail waits in the outbox
    state(app).close()
    for command in (["kb", "sync"], ["settings", "list", "--tenant", "eur"], ["jobs", "--help"]):
        assert _intake(env, *command).returncode == 0, command
    assert smtp.messages == []
    assert _intake(env, "outbox", "send").stdout.startswith("1 sent")  # only when asked
    assert len(smtp.messages) == 1


def test_version(kb_root: Path) -> None:
    from intake import __version__

    result = _intake({"HELPCENTER_ROOT": str(kb_root)}, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"intake {__version__}"


def test_help_lists_the_projects_commands_only(kb_root: Path) -> None:
    shown = _intake({"HELPCENTER_ROOT": str(kb_root)}, "--help").stdout
    listed = re.findall(r"^  (\w+) ", shown.split("Commands:")[1], flags=re.MULTILINE)
    assert listed == ["agents", "backup", "chat", "customers", "db", "jobs", "kb", "mail", "outbox",
                      "restore", "serve", "settings", "tickets"]  # fmt: skip
    assert "--app" not in shown and "--env-file" not in shown and "--debug" not in shown
    run = _intake({"HELPCENTER_ROOT": str(kb_root)}, "run")
    assert run.returncode == 2 and "No such command 'run'" in run.stderr


@pytest.mark.parametrize("missing", ["flask", "click", "sqlalchemy", "argon2"])
def test_without_the_service_packages_the_command_says_how_to_install_them(
    missing: str,
) -> None:
    # The wheel without its [service] extra: the package (or one Flask needs) is not there.
    blocked = f"import sys; sys.modules[{missing!r}] = None; "
    entry = [sys.executable, "-c", blocked + "from intake.command import main; main()", "routes"]
    ran = subprocess.run(entry, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 1
    assert ran.stderr.startswith("intake: the service needs packages that are not installed")
    assert "pip install 'helpcenter[service]'" in ran.stderr and "Traceback" not in ran.stderr


def test_a_module_of_python_itself_missing_is_not_blamed_on_the_extra() -> None:
    blocked = "import sys; sys.modules['sqlite3'] = None; "
    entry = [sys.executable, "-c", blocked + "from intake.command import main; main()", "routes"]
    ran = subprocess.run(entry, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 1 and "helpcenter[service]" not in ran.stderr
    assert "sqlite3" in ran.stderr


def test_a_migration_is_never_written_into_an_installed_package(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert database.in_checkout(database.migrations_folder())  # this repository's: written
    installed = tmp_path / "site-packages" / "intake" / "migrations"
    installed.mkdir(parents=True)
    monkeypatch.setattr(database, "files", lambda _package: installed)
    result = make_app().test_cli_runner().invoke(args=["db", "revision", "-m", "test"])
    assert result.exit_code == 1
    assert f"{installed} is an installed copy of intake" in result.output
    assert list(installed.iterdir()) == []
