"""Reading and writing a tenant's settings; secrets never leave here in the clear unasked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.db import TenantSession
from intake.models import TenantSetting
from intake.settings.crypto import SecretBox
from intake.settings.registry import SETTINGS, setting


class TenantSettings:
    """The settings of the tenant a session is bound to."""

    def __init__(self, session: TenantSession, box: SecretBox | None = None) -> None:
        self.session = session
        self._box = box  # None: plain settings only

    @property
    def box(self) -> SecretBox:
        """The key of secret settings; a reader of plain settings has none."""
        if self._box is None:
            raise RuntimeError("secret settings need the service's ENCRYPTION_KEY box")
        return self._box

    def _row(self, key: str) -> TenantSetting | None:
        return self.session.scalars(select(TenantSetting).where(TenantSetting.key == key)).first()

    def plain_values(self) -> dict[str, Any]:
        """Return every setting that is not secret, the stored ones read in one query."""
        stored = {row.key: row.value for row in self.session.scalars(select(TenantSetting))}
        return {key: stored.get(key, spec.default)
                for key, spec in SETTINGS.items() if not spec.secret}  # fmt: skip

    def get(self, key: str) -> Any:
        """Return the setting's value (a secret decrypted), or its default."""
        spec = setting(key)
        row = self._row(key)
        if row is None:
            return spec.default
        if spec.secret:
            return self.box.open(row.secret) if row.secret else spec.default
        return row.value

    def set(self, key: str, value: Any) -> None:
        """Check and store a value in the caller's write transaction; secrets encrypted."""
        spec = setting(key)
        checked = spec.check(value)
        row = self._row(key) or TenantSetting(key=key)
        if spec.secret:
            row.value, row.secret = None, self.box.seal(checked)
        else:
            row.value, row.secret = checked, None
        self.session.add(row)

    def overview(self) -> list[tuple[str, str]]:
        """Return (key, shown value) for every setting; secrets only say whether they are set."""
        shown: list[tuple[str, str]] = []
        for key, spec in sorted(SETTINGS.items()):
            if spec.secret:
                row = self._row(key)
                shown.append((key, "(set)" if row is not None and row.secret else "(not set)"))
            else:  # as `intake settings set` takes it: true, not True; Europe/Paris unquoted
                value = self.get(key)
                shown.append((key, str(value).lower() if isinstance(value, bool) else str(value)))
        return shown
