"""The `intake` console script: the service's command line, or how to install it."""

from __future__ import annotations

import sys

SERVICE_PACKAGES = {"flask", "flask_wtf", "flask_limiter", "sqlalchemy", "alembic", "psycopg",
                    "gunicorn", "pydantic", "cryptography", "filetype", "redis", "argon2",
                    "pyotp", "segno", "flask_sock", "simple_websocket"}  # fmt: skip


def main() -> None:
    """Run the command line; without the service's packages, say how to install them."""
    try:
        from intake.cli import main as run
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in SERVICE_PACKAGES:
            raise
        print(
            f"intake: the service needs packages that are not installed ({exc.name});"
            " install them with: pip install 'helpcenter[service]'",
            file=sys.stderr,
        )
        sys.exit(1)
    run()
