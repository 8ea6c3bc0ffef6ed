"""The `intake` console script: the service's command line, or how to install it."""

from __future__ import annotations

import sys

OURS = ("intake", "kbgen")  # a module of these missing is a broken install, not a missing extra


def main() -> None:
    """Run the command line; without the service's packages, say how to install them."""
    try:
        from intake.cli import main as run
    except ModuleNotFoundError as exc:
        # Any other module: one of the service's packages or theirs (Flask's click, say); one
        # of Python's own (_sqlite3, _ssl) missing is this Python's build, not the extra.
        top = (exc.name or "").split(".")[0]
        if top in OURS or top in sys.stdlib_module_names:
            raise
        print(
            f"intake: the service needs packages that are not installed ({exc.name});"
            " install them with: pip install 'helpcenter[service]'",
            file=sys.stderr,
        )
        sys.exit(1)
    run()
