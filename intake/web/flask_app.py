"""The Flask object of the service: its templates, static files and settings."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flask import Flask
from jinja2 import FileSystemLoader
from werkzeug.routing import IntegerConverter, Map

from intake.config import IntakeConfig
from intake.counts import storage_options
from intake.tickets.rules import ID_MAX

# The package's templates (the repository's top-level templates/ folder): one folder per
# area, so pages name theirs ("portal/new.html") and share web/'s layout and shared/'s header.
TEMPLATES = Path(str(files("intake.templates")))


class RowId(IntegerConverter):
    """`<int:...>` in every route: 1 to ID_MAX, in the digits 0-9 without a leading zero; any
    other number matches no route (404) and never reaches the database, whose integers it
    could overflow. (Werkzeug's own takes any Unicode digit, `１4` for 14, and `014`.)"""

    regex = r"[1-9][0-9]*"

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=ID_MAX)


def make_flask(config: IntakeConfig) -> Flask:
    """Return a Flask app configured from the service's configuration."""
    app = Flask(
        "intake",
        instance_path=str(config.instance_dir),
        template_folder=None,
        static_folder=str(TEMPLATES / "web" / "static"),
        static_url_path="/_intake/static",
    )
    app.config.from_mapping(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=config.max_request_bytes,
        RATELIMIT_ENABLED=config.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down: limits count in each process's memory (logged once) rather than every
        # limited request failing; StorageError marks the storage's own failures.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_STORAGE_OPTIONS=storage_options(config.ratelimit_storage_uri),
        # A form's token holds as long as its browser's session: a desk page open through a
        # shift, or a customer writing for hours, still sends. The session's own random value
        # is what a foreign site cannot know; an age adds nothing to that.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.public_url.startswith("https://"),
    )
    app.url_map.converters["int"] = RowId
    app.jinja_loader = FileSystemLoader(
        [str(TEMPLATES), str(TEMPLATES / "web"), str(TEMPLATES / "shared")]
    )
    return app
