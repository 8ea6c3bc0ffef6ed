"""The one owner of a process's background work: the ticket writer, the job runner, events,
presence, the search counts.

Serving processes start it (intake.serving's gunicorn hooks) and stop it on exit; commands
never start it, so `intake db upgrade` or `intake routes` send no mail. `intake jobs run`
runs the jobs alone in the foreground. Tests start and stop it like a serving process does.
"""

from __future__ import annotations

import logging

from intake.events import EventBus
from intake.events.presence import PresenceBoard
from intake.jobs import JobRunner
from intake.kb.search_counts import SearchTally
from intake.tickets.writer import TicketWriter

log = logging.getLogger(__name__)


class Background:
    """Start and stop everything that runs beside the requests of one process."""

    def __init__(self, writer: TicketWriter, runner: JobRunner, bus: EventBus,
                 presence: PresenceBoard, tenant_ids: tuple[str, ...],
                 search_counts: SearchTally) -> None:  # fmt: skip
        self.writer = writer
        self.search_counts = search_counts
        self.runner = runner
        self.bus = bus
        self.presence = presence
        self.tenant_ids = tenant_ids

    def start(self) -> None:
        """Start the jobs of this deployment (each runs only where its lock is held)."""
        names = ", ".join(job.name for job in self.runner.jobs) or "none"
        log.info("background jobs: %s", names)
        self.presence.watch(self.tenant_ids)  # the chat widget asks who is online at once
        self.runner.start()

    def stop(self) -> None:
        """Stop the jobs, drain the ticket writer, the search counts and the event listener
        (idempotent)."""
        self.runner.stop()
        self.writer.close()
        self.search_counts.close()
        self.bus.close()
