"""Backups of a deployment: the database and the stored files, taken while it serves."""

from intake.backup.archive import Manifest, Restored, restore, take

__all__ = ["Manifest", "Restored", "restore", "take"]
