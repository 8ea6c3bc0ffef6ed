"""Rate limits shared by several faces (the form and the API create tickets alike)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from flask import Flask, Response, request
from flask_limiter import RouteLimit
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import RequestEntityTooLarge

from intake.counts import Resilient
from intake.extensions import limiter
from intake.state import state
from intake.tickets.rules import address_key
from intake.web.routing import View, mark_view, view_marked
from intake.web.tenancy import tenant


def ticket_rate_limit() -> str:
    """Return the per-address limit on new tickets."""
    return state().config.ticket_rate_limit


# One bucket per client address for both ways of creating a ticket. Only tickets made count
# (201 from the API, 303 from the form): a customer fighting the form's rules is not locked
# out by their own typos; a refused request costs a validation, no row and no mail.
limit_ticket_creation = limiter.shared_limit(
    ticket_rate_limit, scope="ticket-creation", methods=["POST"],
    deduct_when=lambda answer: answer.status_code in (201, 303),
)  # fmt: skip


def counted_as_new_ticket(when: Callable[[], bool]) -> RouteLimit:
    """Count a request in the new tickets' bucket when `when()` says it opens one (a reply to
    a closed ticket opens a follow-up): each mails a confirmation as a new ticket does."""
    return limiter.shared_limit(
        ticket_rate_limit, scope="ticket-creation", methods=["POST"],
        deduct_when=lambda answer: answer.status_code == 303, exempt_when=lambda: not when(),
    )  # fmt: skip


def reply_rate_limit() -> str:
    """Return the per-address limit on what customers add to their tickets."""
    return state().config.reply_rate_limit


# One bucket per client address for everything a customer adds to a ticket, by the ticket's
# page or the API: replies, files, resolving it, mail preferences.
limit_ticket_writes = limiter.shared_limit(
    reply_rate_limit, scope="ticket-writes", methods=["POST"]
)
# Every search costs CPU: the form's suggestions and the API's search share one bucket. The
# form asks at most every 250 ms and the shipped nginx paces an address to one search every
# 250 ms: 4 a second. The fifth is for the requests' travel times, which vary: without it, a
# client keeping that pace had a search refused whenever five landed in one second.
limit_search = limiter.shared_limit("5 per second;120 per minute", scope="search")


def init_limiter(app: Flask) -> None:
    """Count requests against the limits, and announce waits a client can trust."""
    # Flask runs after-request functions last-registered first: registered before the
    # limiter's own, this one sees the Retry-After the limiter wrote.
    app.after_request(retry_after_rounded_up)
    limiter.init_app(app)


OUT_OF_REACH_RETRY = 30  # seconds a 503 asks a client to wait while the database is away


def retry_after_rounded_up(response: Response) -> Response:
    """Flask-Limiter truncates the wait it announces, so with under a second left a refusal
    says "Retry-After: 0", come back at once; say the whole seconds to wait instead. It also
    sends Retry-After with every answer of a limited call: only a refusal (429) or a
    service out of reach (503) says when to come back (a 400 saying 0 reads "retry now")."""
    announced = response.headers.get("Retry-After", "")
    if response.status_code == 429 and announced.isdigit():
        response.headers["Retry-After"] = str(max(int(announced), seconds_to_wait() or 1))
    elif response.status_code == 503:  # the limiter wrote its window over the outage's wait
        response.headers["Retry-After"] = str(OUT_OF_REACH_RETRY)
    else:
        response.headers.pop("Retry-After", None)
    return response


def seconds_to_wait() -> int | None:
    """Return the whole seconds until the limit this request reached lets it in again, or None
    when it reached no limit of the limiter's."""
    current = limiter.current_limit
    if current is None:
        return None
    return max(1, math.ceil(current.window.reset_time - time.time()))


# Every body but an upload is text: a description of 10,000 characters is 40 KB of UTF-8 at
# most. A request of more is refused (413) before it is read, so no worker holds tens of MB.
TEXT_BODY_MAX = 128 * 1024


def accepts_files(view: View) -> View:
    """Mark a view whose requests may carry files (up to MAX_CONTENT_LENGTH)."""
    return mark_view(view, "accepts_files")


def takes_files() -> bool:
    """Say whether the request's view takes files (the larger body limit)."""
    return view_marked("accepts_files")


def limit_body() -> None:
    """Before each request: a view that takes no files takes a text-sized body. A body
    declared larger than the view takes is refused (413) whether or not the view reads it
    (resolving a ticket reads none: a client sending 3 MB there is told, not ignored)."""
    if not takes_files():
        request.max_content_length = TEXT_BODY_MAX
        request.max_form_memory_size = TEXT_BODY_MAX
    limit = request.max_content_length
    if request.content_length is not None and limit is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


# Nobody floods a mailbox through us: mails a stranger may cause (link recovery, a chat's
# transcript) go to one address at most this often, whoever asks.
MAILS_PER_ADDRESS = parse("3 per hour")


def may_mail(email: str) -> bool:
    """Count one more such mail to the tenant's `email`, whatever asked for it (one count for
    link recovery and chat transcripts); False past MAILS_PER_ADDRESS."""
    if not state().config.ratelimit_enabled:
        return True
    # Keyed by a digest: the rate-limit storage (Redis) keeps the key for an hour, and an
    # address must not outlive its customer's erasure there.
    key = hashlib.sha256(address_key(email).encode()).hexdigest()
    return counts.hit(MAILS_PER_ADDRESS, "mail-to-address", tenant().id, key)


# What views count themselves, in the limiter's storage (whose own limits fall back to this
# process's memory while the storage is down: RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
counts = Resilient(lambda: limiter.limiter, FixedWindowRateLimiter(MemoryStorage()))
