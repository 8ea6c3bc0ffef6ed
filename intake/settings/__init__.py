"""Tenant settings changed at run time, kept in the database; secrets encrypted at rest."""

from __future__ import annotations

from intake.settings.crypto import SecretBox, new_key
from intake.settings.registry import SETTINGS, Setting, setting
from intake.settings.store import TenantSettings

__all__ = ["SETTINGS", "SecretBox", "Setting", "TenantSettings", "new_key", "setting"]
