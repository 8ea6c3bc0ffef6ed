"""The service's configuration: one typed object built once from environment variables."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from intake.errors import ConfigError
from kbgen.config import SiteConfig, load_site_config
from kbgen.errors import KbgenError

T = TypeVar("T")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class IntakeConfig:
    """Every setting of the service; docs/configuration.md describes each variable."""

    root: Path
    database_url: str
    secret_key: str
    encryption_key: str
    build_dir: Path
    site_dir: Path
    serve_site: bool
    upload_dir: Path
    file_storage: str
    public_url: str
    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_starttls: bool
    mail_from: str
    outbox_interval: float
    ticket_rate_limit: str
    reply_rate_limit: str
    ratelimit_enabled: bool
    ratelimit_storage_uri: str
    max_attachment_bytes: int
    max_attachments: int
    trusted_proxies: int
    kb_sync_on_start: bool
    chat_origins: tuple[str, ...] = ()
    metrics_token: str = ""  # empty: no /metrics
    public_url_set: bool = True  # False: public_url is the default, not where links lead

    @property
    def instance_dir(self) -> Path:
        """Return the folder for the SQLite file, the generated secret key and uploads."""
        return self.root / "instance"

    @property
    def is_sqlite(self) -> bool:
        """Return whether the database is SQLite (the embedded default)."""
        return self.database_url.startswith("sqlite")

    @property
    def max_request_bytes(self) -> int:
        """Return the largest request body accepted: every attachment at its limit plus text."""
        return self.max_attachments * self.max_attachment_bytes + 256 * 1024

    @classmethod
    def from_process(cls) -> IntakeConfig:
        """Build the configuration from this process's environment (the only place read)."""
        return cls.from_env(os.environ)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IntakeConfig:
        """Build and validate the configuration, raising one ConfigError naming every bad key."""
        reader = _Reader(env)
        root = Path(env.get("HELPCENTER_ROOT") or ".").resolve()
        if not (root / "content" / "site.yaml").is_file():
            reader.problems.append(
                f"HELPCENTER_ROOT: {root} has no content/site.yaml; point it at the help-center"
                " project (default: the current directory)"
            )
        instance = root / "instance"
        site_dir = reader.path("SITE_DIR", root / "site")
        upload_dir = reader.path("UPLOAD_DIR", instance / "uploads")
        if upload_dir == site_dir or site_dir in upload_dir.parents:
            reader.problems.append(f"UPLOAD_DIR: {upload_dir} is inside SITE_DIR, which is served")
        smtp_host = env.get("SMTP_HOST", "").strip()
        config = cls(
            root=root,
            database_url=reader.database_url(instance),
            secret_key=reader.secret_key(instance),
            encryption_key=reader.encryption_key(instance),
            build_dir=reader.path("KB_BUILD_DIR", root / "build"),
            site_dir=site_dir,
            serve_site=reader.flag("SERVE_SITE", True),
            upload_dir=upload_dir,
            file_storage=reader.choice("FILE_STORAGE", ("folder", "database")),
            public_url=reader.url("PUBLIC_URL", "http://127.0.0.1:8000"),
            public_url_set=bool(env.get("PUBLIC_URL", "").strip()),
            smtp_host=smtp_host,
            smtp_port=reader.number("SMTP_PORT", 25, int, 1, 65535),
            smtp_username=env.get("SMTP_USERNAME", ""),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_starttls=reader.flag("SMTP_STARTTLS", False),
            mail_from=reader.mail_from(),
            outbox_interval=reader.number("OUTBOX_INTERVAL", 10.0 if smtp_host else 2.0, float, 0),
            ticket_rate_limit=reader.rate_limit("TICKET_RATE_LIMIT", "5 per minute;30 per hour"),
            reply_rate_limit=reader.rate_limit("REPLY_RATE_LIMIT", "20 per minute;200 per hour"),
            ratelimit_enabled=reader.flag("RATELIMIT_ENABLED", True),
            ratelimit_storage_uri=reader.ratelimit_storage(),
            max_attachment_bytes=reader.number("MAX_ATTACHMENT_KB", 5120, int, 1) * 1024,
            max_attachments=reader.number("MAX_ATTACHMENTS", 5, int, 0, 20),
            trusted_proxies=reader.number("TRUSTED_PROXIES", 0, int, 0, 5),
            kb_sync_on_start=reader.flag("KB_SYNC_ON_START", True),
            chat_origins=reader.origins("CHAT_ORIGINS"),
            metrics_token=env.get("METRICS_TOKEN", "").strip(),
        )
        if reader.problems:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(reader.problems))
        return config


class _Reader:
    """Parse environment values, collecting every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def flag(self, key: str, default: bool) -> bool:
        """Read a yes/no variable."""
        raw = self.env.get(key)
        if raw is None:
            return default
        if raw.strip().lower() in TRUE:
            return True
        if raw.strip().lower() not in FALSE:
            self.problems.append(f"{key}: {raw!r} is not a yes/no value; use 1 or 0")
        return False

    def number(
        self, key: str, default: T, kind: Callable[[str], T], low: float, high: float = 1e12
    ) -> T:
        """Read a number within low..high."""
        raw = self.env.get(key)
        if raw is None or not raw.strip():
            return default
        try:
            value = kind(raw.strip())
        except ValueError:
            self.problems.append(f"{key}: {raw!r} is not a number")
            return default
        if not low <= float(value) <= high:  # type: ignore[arg-type]
            bound = f"from {low:g} to {high:g}" if high < 1e12 else f"of at least {low:g}"
            self.problems.append(f"{key}: {raw.strip()} is not allowed; use a number {bound}")
        return value

    def path(self, key: str, default: Path) -> Path:
        """Read a folder, made absolute."""
        raw = self.env.get(key, "").strip()
        return Path(raw).resolve() if raw else default

    def url(self, key: str, default: str) -> str:
        """Read an http(s) URL, without a trailing slash."""
        raw = self.env.get(key, "").strip() or default
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{key}: {raw!r} is not an http(s) URL")
        return raw.rstrip("/")

    def database_url(self, instance: Path) -> str:
        """Read DATABASE_URL; default: SQLite in the instance folder."""
        raw = self.env.get("DATABASE_URL", "").strip()
        if not raw:
            return f"sqlite:///{instance / 'intake.sqlite3'}"
        if raw.startswith("postgresql://") or raw.startswith("postgres://"):
            # psycopg 3 is the driver we ship; plain URLs from hosting panels mean it too.
            raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
        if not raw.startswith(("sqlite://", "postgresql+psycopg://")):
            self.problems.append(
                f"DATABASE_URL: {raw.split('://')[0]!r} is not supported; use sqlite:///PATH"
                " or postgresql://USER@HOST:PORT/DB"
            )
        return raw

    def secret_key(self, instance: Path) -> str:
        """Read SECRET_KEY, or keep a generated one in the instance folder."""
        raw = self.env.get("SECRET_KEY", "")
        if raw:
            if len(raw) < 16:
                self.problems.append("SECRET_KEY: too short; use at least 16 random characters")
            return raw
        return self._kept("SECRET_KEY", instance / "secret_key", lambda: secrets.token_urlsafe(48))

    def encryption_key(self, instance: Path) -> str:
        """Read ENCRYPTION_KEY (tenant secrets at rest), or keep a generated one."""
        raw = self.env.get("ENCRYPTION_KEY", "").strip()
        if raw:
            try:
                if len(base64.urlsafe_b64decode(raw.encode())) == 32:
                    return raw
            except ValueError:
                pass
            self.problems.append(
                "ENCRYPTION_KEY: not 32 url-safe base64-encoded bytes; make one with"
                " `intake settings new-key`"
            )
            return raw
        fresh = lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
        return self._kept("ENCRYPTION_KEY", instance / "encryption_key", fresh)

    def _kept(self, key: str, path: Path, make: Callable[[], str]) -> str:
        """Return the value kept in `path`, writing a new one first if there is none.

        Kept in the instance folder so that every worker process (and the next start) uses
        the same one; several machines must set the variable instead.
        """
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(make())
            return path.read_text().strip()
        except FileExistsError:
            return path.read_text().strip()
        except OSError as exc:
            self.problems.append(f"{key}: not set and {path} cannot be written: {exc}")
            return ""

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        """Read one of `allowed` (the first is the default)."""
        raw = self.env.get(key, "").strip().lower() or allowed[0]
        if raw not in allowed:
            self.problems.append(f"{key}: {raw!r} is not one of: {', '.join(allowed)}")
            return allowed[0]
        return raw

    def ratelimit_storage(self) -> str:
        """Read where rate-limit counters live: this process (memory://) or Redis."""
        raw = self.env.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://"
        if not raw.startswith(("memory://", "redis://", "rediss://", "redis+unix://")):
            self.problems.append(
                f"RATELIMIT_STORAGE_URI: {raw.split('://')[0]!r} is not supported; use memory://"
                " (one process) or redis://HOST:PORT (several processes)"
            )
        return raw

    def origins(self, key: str) -> tuple[str, ...]:
        """Read a comma-separated list of web origins (scheme://host[:port])."""
        found: list[str] = []
        for raw in self.env.get(key, "").split(","):
            raw = raw.strip().rstrip("/")
            if not raw:
                continue
            parts = urlsplit(raw)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                self.problems.append(
                    f"{key}: {raw!r} is not an origin such as https://help.example"
                )
            found.append(f"{parts.scheme}://{parts.netloc}".lower())
        return tuple(found)

    def mail_from(self) -> str:
        """Read the sender address of mails."""
        raw = self.env.get("MAIL_FROM", "").strip() or "support@localhost"
        if "@" not in raw or any(c in raw for c in "\r\n"):
            self.problems.append(f"MAIL_FROM: {raw!r} is not an email address")
        return raw

    def rate_limit(self, key: str, default: str) -> str:
        """Read a per-address rate limit such as '5 per minute;30 per hour'."""
        raw = self.env.get(key, "").strip() or default
        from limits import parse_many

        try:
            parse_many(raw)
        except ValueError:
            self.problems.append(f"{key}: {raw!r} is not a rate such as '{default}'")
        return raw


def child_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """Return this process's environment with `overrides`, for the server processes we start."""
    return {**os.environ, **overrides}


def load_config(given: Mapping[str, str] | IntakeConfig | None = None) -> IntakeConfig:
    """Return `given` if it is a configuration, else build one from variables or the process."""
    if isinstance(given, IntakeConfig):
        return given
    return IntakeConfig.from_process() if given is None else IntakeConfig.from_env(given)


def load_site(root: Path) -> SiteConfig:
    """Read content/site.yaml; its problems become one ConfigError, a located line each."""
    try:
        return load_site_config(root)
    except KbgenError as exc:
        raise ConfigError(str(exc)) from None
