"""A throw-away IMAP server on loopback for the tests: Dovecot with its own configuration.

Debian's `dovecot-imapd` (the Makefile installs it with apt before the tests), in a temporary
folder, on a free port, with plain-text logins allowed (loopback only) and one mailbox per
user of `users`. As root, the mail is kept as Dovecot's own system user (Dovecot refuses
root); otherwise as the user who runs the tests.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from scripts.pgserver import answers, free_port, stop_process

BINARY = "/usr/sbin/dovecot"


class ImapServer:
    """Start with `start()`, stop with `stop()`; `users` maps each address to its password."""

    def __init__(self, users: dict[str, str]) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
        self.users = users
        self.process: subprocess.Popen[bytes] | None = None

    def _config(self) -> Path:
        root = self.folder
        owner = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        root.chmod(0o755)  # Dovecot's own processes read the password file (test passwords)
        for name in ("run", "state", "mail", "home"):
            (root / name).mkdir()
        for name in ("mail", "home"):
            os.chown(root / name, owner.pw_uid, owner.pw_gid)
        (root / "passwd").write_text(
            "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in self.users.items())
        )
        unprivileged = "" if os.geteuid() == 0 else (
            f"default_login_user = {owner.pw_name}\ndefault_internal_user = {owner.pw_name}\n"
        )  # fmt: skip
        config = root / "dovecot.conf"
        config.write_text(f"""{unprivileged}base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {owner.pw_uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
        return config

    def start(self, timeout: float = 15.0) -> tuple[str, int]:
        """Start the server and wait until it greets; return its host and port."""
        if shutil.which(BINARY) is None:
            raise RuntimeError("Dovecot is not installed: apt-get install -y dovecot-imapd")
        self.process = subprocess.Popen(
            [BINARY, "-F", "-c", str(self._config())],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if answers(self.port, b"* OK", timeout=timeout):
            return "127.0.0.1", self.port
        log = self.folder / "dovecot.log"
        said = log.read_text()[-2000:] if log.exists() else ""
        self.stop()
        raise RuntimeError(f"Dovecot did not answer on port {self.port}: {said}")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        stop_process(self.process, self.folder)
        self.process = None
