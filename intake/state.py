"""The app's own state, typed and in one place: `state()` in a request, `state(app)` outside."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.engine import make_url

from intake.agents.throttle import SignInThrottle
from intake.background import Background
from intake.chat.lapse import EVERY_SECONDS as CHAT_LAPSE_EVERY
from intake.chat.lapse import lapse_chats
from intake.config import IntakeConfig
from intake.db import Database
from intake.events import EventBus, make_bus
from intake.events.presence import PresenceBoard
from intake.files import DatabaseStore, FileStore, FolderStore
from intake.jobs import Job, JobRunner, lock_maker
from intake.kb.search_counts import SearchTally
from intake.mail.imap import fetch_all
from intake.mail.inbound import Mailroom
from intake.mail.mailbox import deliverer
from intake.mail.outbox import send_pending
from intake.settings import SecretBox
from intake.tickets.auto_assign import EVERY_SECONDS as AUTO_ASSIGN_EVERY
from intake.tickets.auto_assign import auto_assign
from intake.tickets.auto_close import EVERY_SECONDS as AUTO_CLOSE_EVERY
from intake.tickets.auto_close import auto_close
from intake.tickets.changes import announce_created
from intake.tickets.mails import Brand
from intake.tickets.writer import TicketWriter, make_writer
from kbgen.config import SiteConfig, TenantConfig

KEY = "intake"
STATISTICS_EVERY = 6 * 3600.0  # seconds between SQLite's ANALYZE runs
MAIL_FETCH_EVERY = 60.0  # seconds between rounds of reading the tenants' mailboxes


def tenant_brand(config: IntakeConfig, site: SiteConfig, tenant_id: str) -> Brand:
    """Return how a tenant's ticket links and mails look (its prefix, name, links, sender)."""
    tenant = next(t for t in site.tenants if t.id == tenant_id)
    return Brand(tenant.ticket_prefix, f"{config.public_url}/{tenant.id}/tickets", tenant.name,
                 config.secret_key, config.mail_from)  # fmt: skip


@dataclass
class AppState:
    """Everything the service built at start-up, for views, commands and background work."""

    config: IntakeConfig
    site: SiteConfig
    db: Database
    writer: TicketWriter
    files: FileStore
    events: EventBus
    secrets: SecretBox
    background: Background
    presence: PresenceBoard
    throttle: SignInThrottle
    mailroom: Mailroom
    search_counts: SearchTally

    def tenant(self, tenant_id: str) -> TenantConfig | None:
        """Return the tenant of site.yaml with that id, or None."""
        return next((t for t in self.site.tenants if t.id == tenant_id), None)

    def brand(self, tenant_id: str) -> Brand:
        """Return how a tenant's ticket links and mails look."""
        return tenant_brand(self.config, self.site, tenant_id)

    def close(self) -> None:
        """Stop background work and close the database's connections (tests, shutdown)."""
        self.presence.close()
        self.background.stop()
        self.db.dispose()


# A job every serving process runs: while its lock is held, a service is running.
ALWAYS_RUN = "auto_close"


def lock_dir(config: IntakeConfig) -> Path:
    """Return where SQLite's job locks live: beside the database file they guard."""
    database = make_url(config.database_url).database or ""
    if config.is_sqlite and database and database != ":memory:":
        return Path(database).with_name(Path(database).name + "-locks")
    return config.instance_dir / "locks"


def build_state(config: IntakeConfig, site: SiteConfig) -> AppState:
    """Make the database, stores, bus and background work of one process."""
    database = Database(config.database_url)
    files: FileStore = (
        DatabaseStore(database) if config.file_storage == "database"
        else FolderStore(config.upload_dir)
    )  # fmt: skip
    jobs: list[Job] = []
    if config.outbox_interval > 0:  # to SMTP_HOST, or else to the local mailbox
        send = deliverer(config)
        names = {t.id: t.name for t in site.tenants}
        jobs.append(Job("outbox", config.outbox_interval,
                        lambda: send_pending(config, database, send, names=names)))  # fmt: skip
    if config.is_sqlite:
        jobs.append(Job("statistics", STATISTICS_EVERY, database.refresh_statistics))
    tenant_ids = tuple(t.id for t in site.tenants)
    jobs.append(Job(ALWAYS_RUN, AUTO_CLOSE_EVERY, lambda: auto_close(database, tenant_ids)))
    writer = make_writer(database.engine)
    bus = make_bus(database.engine)
    jobs.append(Job("auto_assign", AUTO_ASSIGN_EVERY,
                    lambda: auto_assign(database, bus, tenant_ids, config.public_url)))  # fmt: skip
    writer.on_commit = lambda drafts: announce_created(bus, drafts)
    secrets = SecretBox(config.encryption_key)
    room = Mailroom(database, files, writer, bus, lambda tenant_id: tenant_brand(
        config, site, tenant_id), config.max_attachments, config.max_attachment_bytes)  # fmt: skip
    jobs.append(Job("mail_fetch", MAIL_FETCH_EVERY,
                    lambda: fetch_all(room, secrets, tenant_ids)))  # fmt: skip
    jobs.append(Job("chat_lapse", CHAT_LAPSE_EVERY, lambda: lapse_chats(
        database, writer, files, bus, lambda tenant_id: tenant_brand(config, site, tenant_id),
        tenant_ids)))  # fmt: skip
    runner = JobRunner(jobs, lock_maker(database.engine, lock_dir(config)))
    presence = PresenceBoard(bus)
    search_counts = SearchTally(database)
    return AppState(
        config=config,
        site=site,
        db=database,
        writer=writer,
        files=files,
        events=bus,
        secrets=secrets,
        mailroom=room,
        background=Background(writer, runner, bus, presence, tenant_ids, search_counts),
        search_counts=search_counts,
        presence=presence,
        throttle=SignInThrottle(config.ratelimit_storage_uri),
    )


def state(app: Flask | None = None) -> AppState:
    """Return the state of `app`, or of the current app."""
    value: AppState = (app or current_app).extensions[KEY]
    return value
