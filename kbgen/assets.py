"""The theme's files (styles and scripts) under names that change with their bytes, so that
browsers may keep them for a year, and the manifest that maps each name to its fingerprinted
one (read by the intake service to link them from its own pages)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jinja2

MANIFEST = "assets/manifest.json"


def fingerprinted(name: str, data: bytes) -> str:
    """Return `name` with the start of its bytes' SHA-256 before the suffix:
    "style.css" -> "style.3f9a2c1b0d.css"."""
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:10]
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


class Assets:
    """One tenant's theme files by name ("style.css", "brand.css"), and their addresses."""

    def __init__(self, base_path: str, files: dict[str, bytes]) -> None:
        self.base_path = base_path
        self.files = dict(sorted(files.items()))
        self.names = {name: fingerprinted(name, data) for name, data in self.files.items()}

    def url(self, name: str) -> str:
        """Return the fingerprinted address of a theme file, for a template's link."""
        try:
            return f"{self.base_path}assets/{self.names[name]}"
        except KeyError:
            known = ", ".join(self.names)
            # A template's mistake: reported with the template and page it is in.
            msg = f"asset({name!r}): no such theme file; there are {known}"
            raise jinja2.TemplateRuntimeError(msg) from None

    def manifest(self) -> bytes:
        """Return assets/manifest.json: each file's name to its fingerprinted name."""
        return (json.dumps(self.names, indent=2, sort_keys=True) + "\n").encode()


def read_manifest(site_dir: Path) -> dict[str, str]:
    """Return a built tenant site's manifest ({} when it has none, or an unreadable one)."""
    try:
        names = json.loads((site_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(names, dict):
        return {}
    return {str(k): str(v) for k, v in names.items()}
