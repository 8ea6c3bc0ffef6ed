"""One backup file: a snapshot of the database and the stored files, restored as one.

A backup is a tar archive: `manifest.json`, then the database (`database.sqlite3`, from
SQLite's online backup API, or `database.dump`, from pg_dump: both one consistent snapshot
taken while the service writes), then `files/<name>` for each file under UPLOAD_DIR. The
database comes first: stored files are never changed once written, so every file a row of the
snapshot names is still there to copy, unless it was erased in between. The archive is written
under a temporary name and renamed when complete, so a backup cut short leaves nothing that
looks whole.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intake.backup import pgtools
from intake.errors import BackupError

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files/"
# The tables whose rows name stored files (a restore reports the files missing).
FILE_COLUMNS = (("ticket_attachments", "stored_name"), ("chat_messages", "stored_name"))


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written first in the archive."""

    format: int
    dialect: str
    created: str  # ISO 8601, UTC
    revision: str  # the schema's Alembic revision
    tickets: int  # when the backup began: the snapshot holds these at least
    files: int


@dataclass(frozen=True)
class Restored:
    """A restore's outcome: the backup's manifest, and files its rows name that it lacks."""

    manifest: Manifest
    missing_files: int


def _dialect(url: str) -> str:
    return make_url(url).get_backend_name()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"DATABASE_URL: {url!r} is not a database file")
    return Path(database)


def _facts(url: str) -> tuple[str, int, set[str]]:
    """Return the schema revision, the number of tickets and the stored names rows refer to."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tickets = conn.execute(text("SELECT count(*) FROM support_tickets")).scalar_one()
            named: set[str] = set()
            for table, column in FILE_COLUMNS:
                found = f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
                named.update(str(row[0]) for row in conn.execute(text(found)))
    except Exception as exc:  # noqa: BLE001 (any database problem is reported, located)
        said = str(exc).splitlines()[0]
        if "alembic_version" in said:  # no table of ours at all: never set up
            raise BackupError(f"the database has no tables yet ({said}): run `intake db"
                              " upgrade`, or check DATABASE_URL") from None  # fmt: skip
        raise BackupError(f"the database cannot be read: {said}") from None
    finally:
        engine.dispose()
    return str(revision or ""), int(tickets), named


def _snapshot(url: str, into: Path) -> str:
    """Write the database's snapshot into `into` (a folder); return its name in the archive."""
    if _dialect(url) == "sqlite":
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"DATABASE_URL: no database at {source}")
        target = into / "database.sqlite3"
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy)  # one read transaction: a consistent state; writers go on (WAL)
        live.close()
        copy.close()
        return target.name
    target = into / "database.dump"
    pgtools.dump(url, target)
    return target.name


def take(url: str, upload_dir: Path | None, dest: Path) -> Manifest:
    """Write a backup of the database (and of UPLOAD_DIR's files, when given) to `dest`."""
    dest = dest.resolve()
    if dest.exists():
        raise BackupError(f"{dest} exists: choose a new file name")
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent} is not a folder")
    revision, tickets, _named = _facts(url)  # when it began: the snapshot holds at least these
    with tempfile.TemporaryDirectory(prefix="intake-backup-", dir=dest.parent) as tmp:
        folder = Path(tmp)
        name = _snapshot(url, folder)
        stored = sorted(p for p in upload_dir.iterdir() if p.name.isalnum()) if (
            upload_dir and upload_dir.is_dir()) else []  # fmt: skip
        manifest = Manifest(FORMAT, _dialect(url), dt.datetime.now(dt.UTC).isoformat(),
                            revision, tickets, len(stored))  # fmt: skip
        (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
        partial = folder / "backup.tar"
        partial.touch(mode=0o600)  # the whole database: customers' data, password hashes
        with tarfile.open(partial, "w") as archive:
            archive.add(folder / MANIFEST, MANIFEST)
            archive.add(folder / name, name)
            for path in stored:
                try:
                    archive.add(path, FILES + path.name)
                except FileNotFoundError:
                    continue  # erased since the snapshot: its rows are gone too
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, dest)
    return manifest


def read_manifest(archive: tarfile.TarFile, src: Path) -> Manifest:
    """Return the manifest of an opened backup, or say why it is not one of ours."""
    try:
        member = archive.extractfile(MANIFEST)
        data = json.loads(member.read()) if member else None
        manifest = Manifest(**data) if isinstance(data, dict) else None
    except (KeyError, ValueError, TypeError):
        manifest = None
    if manifest is None or manifest.format != FORMAT:
        raise BackupError(f"{src}: not a backup of intake (no {MANIFEST} of format {FORMAT})")
    return manifest


def restore(src: Path, url: str, upload_dir: Path | None, force: bool = False) -> Restored:
    """Put a backup's database and files in place of the configured ones.

    Refuses a backup of the other database kind, and a database that holds tickets unless
    `force`. The service must be stopped: the database is replaced whole.
    """
    try:
        archive = tarfile.open(src, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{src}: cannot be read as a backup ({exc})") from None
    with archive, tempfile.TemporaryDirectory(prefix="intake-restore-") as tmp:
        manifest = read_manifest(archive, src)
        if manifest.dialect != _dialect(url):
            raise BackupError(f"{src} is a backup of a {manifest.dialect} database; DATABASE_URL"
                              f" is {_dialect(url)}")  # fmt: skip
        if not force:
            _refuse_if_in_use(url)
        name = "database.sqlite3" if manifest.dialect == "sqlite" else "database.dump"
        snapshot = Path(tmp) / name
        member = archive.extractfile(name) if name in archive.getnames() else None
        if member is None:
            raise BackupError(f"{src}: the backup holds no {name}")
        with open(snapshot, "wb") as out:
            shutil.copyfileobj(member, out, 1024 * 1024)
        if manifest.dialect == "sqlite":
            _restore_sqlite(snapshot, _sqlite_path(url))
        else:
            pgtools.load(url, snapshot)
        kept = _restore_files(archive, upload_dir) if upload_dir is not None else set()
    if upload_dir is None:  # the files live in the database, restored with it
        return Restored(manifest, 0)
    _revision, _tickets, named = _facts(url)
    _delete_orphans(upload_dir, kept | named)
    present = {p.name for p in upload_dir.iterdir()} if upload_dir.is_dir() else set()
    return Restored(manifest, len(named - present))


STORED_NAME = re.compile(r"[0-9a-f]{32}")  # intake.files.storage.new_name's


def _delete_orphans(upload_dir: Path, wanted: set[str]) -> None:
    """Delete the stored files neither the backup held nor the restored database names: the
    replaced database's, which no export, erasure or later backup would ever leave out. Only
    names the store gives are touched (UPLOAD_DIR may be a folder shared with other files)."""
    for path in upload_dir.iterdir():
        if STORED_NAME.fullmatch(path.name) and path.name not in wanted and path.is_file():
            path.unlink()


def _refuse_if_in_use(url: str) -> None:
    if _dialect(url) == "sqlite" and not _sqlite_path(url).exists():
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tickets = conn.execute(text("SELECT count(*) FROM support_tickets")).scalar_one()
    except Exception:  # noqa: BLE001 (no schema yet: nothing to lose)
        tickets = 0
    finally:
        engine.dispose()
    if tickets:
        raise BackupError(f"the database holds {tickets} tickets: restoring replaces them;"
                          " stop the service, then add --force")  # fmt: skip


def _restore_sqlite(snapshot: Path, target: Path) -> None:
    """Check the snapshot, then move it into place in one rename."""
    with sqlite3.connect(snapshot) as conn:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    if verdict != "ok":
        raise BackupError(f"the backup's database fails its integrity check: {verdict}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    staged.touch(mode=0o600)
    with open(snapshot, "rb") as source, open(staged, "wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)  # the replaced database's log must not be replayed
    os.replace(staged, target)


def _restore_files(archive: tarfile.TarFile, upload_dir: Path) -> set[str]:
    """Write each stored file of the backup into UPLOAD_DIR (each renamed into place); return
    their names."""
    upload_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    kept: set[str] = set()
    for member in archive.getmembers():
        name = member.name.removeprefix(FILES)
        if not member.name.startswith(FILES) or not member.isfile() or not name.isalnum():
            continue
        kept.add(name)
        data = archive.extractfile(member)
        if data is None:
            continue
        staged = upload_dir / f".{name}.tmp"
        with open(staged, "wb") as handle:
            shutil.copyfileobj(data, handle, 1024 * 1024)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, upload_dir / name)
    return kept
