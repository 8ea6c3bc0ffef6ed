"""Flask extensions, created unbound here and bound to an app by create_app()."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sock import Sock
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Per client address; storage from RATELIMIT_STORAGE_URI (memory:// counts per process).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# WebSockets (live chat), served by the same threads as every request.
sock = Sock()
