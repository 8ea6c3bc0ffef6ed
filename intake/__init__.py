"""intake: the service that takes customers' tickets beside the static help center."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from jinja2 import FileSystemLoader

from intake.config import IntakeConfig

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "intake"
log = logging.getLogger(__name__)


def create_app(test_config: Mapping[str, str] | IntakeConfig | None = None) -> Flask:
    """Create the app from the environment, or from `test_config` (variables or a config)."""
    if isinstance(test_config, IntakeConfig):
        config = test_config
    else:
        config = (
            IntakeConfig.from_process()
            if test_config is None
            else IntakeConfig.from_env(test_config)
        )
    app = Flask(
        __name__,
        instance_path=str(config.instance_dir),
        template_folder=str(TEMPLATES),
        static_folder=str(TEMPLATES / "static"),
        static_url_path="/_intake/static",
    )
    app.config.from_mapping(
        INTAKE=config,
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=config.max_request_bytes,
        RATELIMIT_ENABLED=config.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=8 * 3600,  # a customer may take a while to write
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.public_url.startswith("https://"),
    )
    _bind(app, config)
    # The header and footer come from templates/shared/, as on the static site.
    app.jinja_loader = FileSystemLoader([str(TEMPLATES), str(TEMPLATES.parent / "shared")])
    return app


def _bind(app: Flask, config: IntakeConfig) -> None:
    from intake import api, api_kb, cli, deflection, errors_view, openapi, pages, site
    from intake.extensions import csrf, db, limiter
    from intake.security import init_security
    from intake.writer import make_writer
    from kbgen.config import load_site_config

    app.extensions["intake_site"] = load_site_config(config.root)
    if config.is_sqlite:
        config.instance_dir.mkdir(parents=True, exist_ok=True)
    db.init_app(app, config.database_url)
    app.extensions["intake_writer"] = make_writer(app.extensions["intake_db"][0])
    csrf.init_app(app)
    limiter.init_app(app)
    init_security(app, config.trusted_proxies)
    errors_view.init_app(app)
    for module in (pages, deflection, api, api_kb, openapi, site):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # token-authenticated JSON, no cookies: nothing to forge
    csrf.exempt(api_kb.bp)
    pages.init_app(app)
    cli.init_app(app)
    if config.kb_sync_on_start:
        _sync_kb(app)
    if config.outbox_interval > 0:
        _start_sender(app, config)


def _start_sender(app: Flask, config: IntakeConfig) -> None:
    """Run the mail sender in this process (each gunicorn worker makes its own app)."""
    from intake.extensions import db
    from intake.outbox import OutboxWorker

    with app.app_context():
        worker = OutboxWorker(config, db.session_factory(write=True), config.outbox_interval)
    app.extensions["intake_outbox"] = worker
    worker.start()


def _sync_kb(app: Flask) -> None:
    """Mirror the manifests at start-up; a database without tables only gets a warning."""
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    from intake.extensions import db
    from intake.kb import sync_all
    from intake.tenancy import site_config

    with app.app_context():
        try:
            with db.transaction() as session:
                sync_all(session, site_config(), app.config["INTAKE"].build_dir)
        except (OperationalError, ProgrammingError) as exc:
            log.warning("knowledge base not synced (run `intake db upgrade`): %s", exc.orig)
        except IntegrityError:
            log.info("knowledge base synced by another process at the same moment")
