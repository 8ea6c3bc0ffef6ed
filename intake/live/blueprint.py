"""The /chat/<tenant> blueprint: the widget's HTTP calls and WebSocket, across origins.

Every request is checked by its Origin first: the tenant's site (its base_url), the service
itself, or CHAT_ORIGINS; a browser request from anywhere else is refused before anything is
read. Answers carry the CORS headers that let those origins read them. No cookie is used:
a chat's token travels in the Authorization header or the socket's first frame.
"""

from __future__ import annotations

from intake.errors import Forbidden
from intake.web.origins import allow_origin, foreign_origin
from intake.web.tenancy import tenant_blueprint

bp = tenant_blueprint("live", __name__, "/chat")


@bp.before_request
def _check_origin() -> None:
    if foreign_origin() is not None:
        raise Forbidden("This site may not use this help center's chat.", "Origin")


bp.after_request(allow_origin)
