"""The /api/v1/<tenant> blueprint that the API's view modules add their routes to."""

from __future__ import annotations

from intake.web.tenancy import tenant_blueprint

bp = tenant_blueprint("api", __name__, "/api/v1")
