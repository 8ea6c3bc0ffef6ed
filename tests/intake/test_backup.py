"""`intake backup` under write load and `intake restore` into another database: every ticket
acknowledged before the backup began comes back, with its files, and the database is whole."""

from __future__ import annotations

import io
import sqlite3
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from intake import create_app
from intake.backup import pgtools, take
from intake.cli.database import upgrade
from intake.models import CustomerErasure, SupportTicket
from intake.state import state
from tests.intake.conftest import api_ticket, make_env, ticket_form
from tests.intake.fixtures import DatabaseFactory

WRITES, SECONDS = 400, 30.0  # the writer's bounds


class Writer(threading.Thread):
    """Create tickets through the API, one after another, noting when each was acknowledged."""

    def __init__(self, app: Flask) -> None:
        super().__init__(daemon=True)
        self.client = app.test_client()
        self.acknowledged: list[tuple[str, float]] = []
        self.failed: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + SECONDS
        for n in range(WRITES):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            answer = self.client.post("/api/v1/eur/tickets", json=ticket_form(subject=f"Load {n}"))
            if answer.status_code == 201:
                self.acknowledged.append(
                    (answer.get_json()["ticket"]["reference"], time.monotonic())
                )
            else:
                self.failed.append(answer.status_code)

    def wait_for(self, count: int) -> None:
        for _ in range(int(SECONDS / 0.01)):
            if len(self.acknowledged) >= count or not self.is_alive():
                return
            time.sleep(0.01)


def restored_app(intake_db: DatabaseFactory, kb_root: Path, tmp_path: Path, name: str) -> Flask:
    """An app of a new, empty database and upload folder: where the backup goes."""
    app = create_app(make_env(kb_root, intake_db.new(name), tmp_path / "restored-uploads"))
    app.config["TESTING"] = True
    return app


def test_a_backup_under_write_load_restores_every_ticket_acknowledged_before_it(
    make_app: Callable[..., Flask], intake_db: DatabaseFactory, kb_root: Path, tmp_path: Path
) -> None:
    app = make_app()
    client = app.test_client()
    first = api_ticket(client, subject="With a file")
    ref, token = first["ticket"]["reference"], first["token"]
    auth = {"Authorization": f"Bearer {token}"}
    note = {"file": (io.BytesIO(b"order 1234, wrong VAT"), "notes.txt")}
    sent = client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers=auth, data=note)
    assert sent.status_code == 201
    writer = Writer(app)
    writer.start()
    writer.wait_for(20)
    began = time.monotonic()
    backup = tmp_path / "nightly.tar"
    taken = app.test_cli_runner().invoke(args=["backup", str(backup)])
    writer.wait_for(len(writer.acknowledged) + 10)  # writes went on while it was taken
    writer.stop.set()
    writer.join(timeout=60)
    assert taken.exit_code == 0, taken.output
    assert f"written to {backup}" in taken.output and "1 stored files" in taken.output
    before = {r for r, at in writer.acknowledged if at < began} | {ref}
    assert len(before) > 20 and not writer.failed
    assert not list(tmp_path.glob("intake-backup-*"))  # nothing left behind

    target = restored_app(intake_db, kb_root, tmp_path, "restored")
    done = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert done.exit_code == 0, done.output
    url = state(target).config.database_url
    if url.startswith("sqlite"):
        with sqlite3.connect(str(make_url(url).database)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    with state(target).db.read("eur") as session:
        found = set(session.scalars(select(SupportTicket.reference)))
    assert before <= found
    reread = target.test_client().get(f"/api/v1/eur/tickets/{ref}", headers=auth).get_json()
    [attachment] = [a for reply in reread["ticket"]["replies"] for a in reply["attachments"]]
    download = target.test_client().get(
        f"/api/v1/eur/tickets/{ref}/attachments/{attachment['id']}", headers=auth
    )
    assert download.status_code == 200 and download.data == b"order 1234, wrong VAT"
    download.close()
    state(target).close()


def test_restore_refuses_what_would_lose_data_and_names_why(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app()
    api_ticket(app.test_client())
    runner = app.test_cli_runner()
    backup = tmp_path / "b.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    again = runner.invoke(args=["backup", str(backup)])
    assert "exists: choose a new file name" in str(again.exception)
    refused = str(runner.invoke(args=["restore", str(backup)]).exception)
    assert "holds 1 tickets" in refused and "--force" in refused
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    broken = runner.invoke(args=["restore", "--force", str(junk)])
    assert f"{junk}: cannot be read as a backup" in str(broken.exception)
    # A stored file the backup does not hold is the replaced database's: nothing would name
    # it again, so no export or erasure would reach it.
    uploads = state(app).config.upload_dir
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / ("0a1b2c3d" * 4)).write_bytes(b"a customer's file of the replaced database")
    for other in ("operator-notes.txt", "README"):  # not names the store gives: left alone
        (uploads / other).write_text("not a stored file")
    assert runner.invoke(args=["restore", "--force", str(backup)]).exit_code == 0
    assert sorted(p.name for p in uploads.iterdir()) == ["README", "operator-notes.txt"]


def test_a_restore_keeps_the_files_the_restored_database_names(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """A backup taken where UPLOAD_DIR was not mounted holds no files: restoring it must not
    delete the attachments its database names."""
    app = make_app()
    client = app.test_client()
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    note = {"file": (io.BytesIO(b"order 1234"), "notes.txt")}
    assert client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers=auth,
                       data=note).status_code == 201  # fmt: skip
    uploads = state(app).config.upload_dir
    stored = sorted(p.name for p in uploads.iterdir())
    assert len(stored) == 1
    without_files = tmp_path / "no-files.tar"
    take(state(app).config.database_url, None, without_files)
    restored = app.test_cli_runner().invoke(args=["restore", "--force", str(without_files)])
    assert restored.exit_code == 0, restored.output
    assert sorted(p.name for p in uploads.iterdir()) == stored


def test_restore_refuses_while_the_service_runs_even_forced(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """A serving process would write on into the replaced database (the deleted file, on
    SQLite), and every ticket it acknowledged after the restore would be lost."""
    app = make_app()
    runner = app.test_cli_runner()
    backup = tmp_path / "b.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    served = make_app()  # a serving process of the same database, its background work on
    state(served).background.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            refused = runner.invoke(args=["restore", "--force", str(backup)])
            if refused.exit_code != 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)  # its job threads take their locks as they start
        assert refused.exit_code != 0
        assert "the service is running on this database" in refused.output
    finally:
        state(served).background.stop()
    assert runner.invoke(args=["restore", "--force", str(backup)]).exit_code == 0


def test_a_restore_onto_a_site_without_a_database_warns_of_nothing(
    kb_root: Path, tmp_path: Path
) -> None:
    """The embedded default's first restore on a new machine: no database there yet."""
    source = f"sqlite:///{tmp_path / 'old-site.sqlite3'}"
    upgrade(source)
    app = create_app(make_env(kb_root, source, tmp_path / "old-uploads"))
    api_ticket(app.test_client())
    backup = tmp_path / "b.tar"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    state(app).close()
    fresh = f"sqlite:///{tmp_path / 'new-site' / 'intake.sqlite3'}"
    (tmp_path / "new-site").mkdir()
    target = create_app(make_env(kb_root, fresh, tmp_path / "new-uploads", KB_SYNC_ON_START="0"))
    try:
        early = target.test_cli_runner().invoke(args=["backup", str(tmp_path / "none.tar")])
        assert "the database has no tables yet" in str(early.exception)
        assert "run `intake db upgrade`" in str(early.exception)
        done = target.test_cli_runner().invoke(args=["restore", str(backup)])
        assert done.exit_code == 0, done.output
        assert "warning" not in done.output  # a database never set up erased nobody
    finally:
        state(target).close()


@pytest.mark.parametrize("name", ["backup", "restore"])
def test_the_commands_say_what_they_do(make_app: Callable[..., Flask], name: str) -> None:
    shown = make_app().test_cli_runner().invoke(args=[name, "--help"])
    assert shown.exit_code == 0 and ("backup" in shown.output.lower())


def test_a_backup_is_for_its_owner_only_and_restores_no_path_outside(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app()
    runner = app.test_cli_runner()
    backup = tmp_path / "b.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    assert backup.stat().st_mode & 0o077 == 0  # the database: no one else may read it
    hostile = tmp_path / "hostile.tar"
    with tarfile.open(backup) as source, tarfile.open(hostile, "w") as out:
        for member in source.getmembers():
            out.addfile(member, source.extractfile(member))
        for name in ("files/../escaped", "files/sub/dir", "../../escaped"):
            entry = tarfile.TarInfo(name)
            entry.size = 3
            out.addfile(entry, io.BytesIO(b"bad"))
        link = tarfile.TarInfo("files/abc123")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        out.addfile(link)
    done = runner.invoke(args=["restore", "--force", str(hostile)])
    assert done.exit_code == 0, done.output
    uploads = state(app).config.upload_dir
    assert not (tmp_path / "escaped").exists() and not (uploads.parent / "escaped").exists()
    assert not (uploads / "abc123").exists()


def test_postgresql_programs_get_the_password_from_the_environment() -> None:
    dsn, env = pgtools.libpq_url("postgresql+psycopg://ada:s3cret@127.0.0.1:5433/helpdesk")
    assert dsn == "postgresql://ada@127.0.0.1:5433/helpdesk" and env["PGPASSWORD"] == "s3cret"


def test_a_restored_backup_forgets_again_who_was_erased_after_it(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """Erasures made after a backup would come back with it: restoring erases those customers
    again (found by the erasure's keyed digest of the address, which names nobody without the
    service's key), and leaves everyone else."""
    app = make_app()
    client, runner = app.test_client(), app.test_cli_runner()
    api_ticket(client, email="ada@example.com", description="Ada's secret: 4711 is my PIN.")
    api_ticket(client, email="bob@example.com", description="Bob's own words stay as they are.")
    backup = tmp_path / "before.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    erased = runner.invoke(args=["customers", "erase", "--tenant", "eur", "--email",
                                 "ADA@example.com", "--yes"])  # fmt: skip
    assert erased.exit_code == 0, erased.output
    with state(app).db.read("eur") as session:
        (record,) = session.scalars(select(CustomerErasure))
        assert record.address_digest and "ada" not in record.address_digest
    done = runner.invoke(args=["restore", "--force", str(backup)])
    assert done.exit_code == 0, done.output
    assert "1 customers erased after the backup was taken were erased again" in done.output
    with state(app).db.read("eur") as session:
        descriptions = set(session.scalars(select(SupportTicket.description)))
        assert descriptions == {"[erased]", "Bob's own words stay as they are."}
    again = runner.invoke(args=["restore", "--force", str(backup)])  # once more: the same
    assert again.exit_code == 0 and "erased again" in again.output


def test_a_customer_erased_before_and_again_after_the_backup_is_erased_again(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app()
    client, runner = app.test_client(), app.test_cli_runner()
    erase = ["customers", "erase", "--tenant", "eur", "--email", "ada@example.com", "--yes"]
    api_ticket(client, email="ada@example.com", description="Her first words, erased.")
    assert runner.invoke(args=erase).exit_code == 0
    api_ticket(client, email="ada@example.com", description="Ada came back: PIN 4711.")
    backup = tmp_path / "between.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    assert runner.invoke(args=erase).exit_code == 0  # her second erasure, after the backup
    done = runner.invoke(args=["restore", "--force", str(backup)])
    assert done.exit_code == 0, done.output
    assert "1 customers erased after the backup was taken were erased again" in done.output
    with state(app).db.read("eur") as session:
        assert set(session.scalars(select(SupportTicket.description))) == {"[erased]"}


def test_a_restore_says_which_erasures_it_cannot_make_again(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """An erasure kept without a digest (an older version made it) cannot be made again: the
    restore says so rather than bring the customer back without a word."""
    app = make_app()
    client, runner = app.test_client(), app.test_cli_runner()
    api_ticket(client, email="ada@example.com", description="Ada's words before the backup.")
    backup = tmp_path / "before.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    erase = ["customers", "erase", "--tenant", "eur", "--email", "ada@example.com", "--yes"]
    assert runner.invoke(args=erase).exit_code == 0
    with state(app).db.write("eur") as session:
        session.scalars(select(CustomerErasure)).one().address_digest = None
    done = runner.invoke(args=["restore", "--force", str(backup)])
    assert done.exit_code == 0, done.output
    assert "1 erasures made after the backup was taken keep no digest" in done.output
