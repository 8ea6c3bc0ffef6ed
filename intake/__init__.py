"""intake: the service that takes customers' tickets beside the static help center."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kbgen import __version__

if TYPE_CHECKING:
    from flask import Flask

    from intake.config import IntakeConfig

__all__ = ["__version__", "create_app"]


def create_app(test_config: Mapping[str, str] | IntakeConfig | None = None) -> Flask:
    """Create the app from the environment, or from `test_config` (variables or a config).

    Nothing starts in the background here: serving processes start `state(app).background`
    (intake.serving), so commands and tests make apps that send no mail.
    """
    from intake import api, desk, live, portal, web
    from intake.cli import register
    from intake.config import load_config, load_site
    from intake.extensions import csrf
    from intake.kb.mirror import sync_on_start
    from intake.state import KEY, build_state
    from intake.web.flask_app import make_flask
    from intake.web.limits import init_limiter

    config = load_config(test_config)
    site = load_site(config.root)
    app = make_flask(config)
    app.extensions[KEY] = built = build_state(config, site)
    if config.kb_sync_on_start:
        sync_on_start(built.db, [t.id for t in site.tenants], config.build_dir)
    csrf.init_app(app)
    init_limiter(app)
    web.init_app(app, config.trusted_proxies)
    portal.init_app(app)
    desk.init_app(app)
    live.init_app(app)
    api.init_app(app)
    register(app)
    return app
