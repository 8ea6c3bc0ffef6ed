"""`kbgen new`: a help center to start from, copied from the scaffold in kbgen's package data."""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

from kbgen.errors import KbgenError

SCAFFOLD = "scaffold"  # kbgen/scaffold/: the files of a new project, as they are written
NEXT_STEPS = "NEXT-STEPS.md"


def scaffold_files() -> dict[str, bytes]:
    """Return every file of the scaffold, by its path in the new project, in a stable order."""
    found: dict[str, bytes] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            # Skip what an editor or Python may leave beside the files (.DS_Store, __pycache__).
            if entry.name.startswith((".", "__")):
                continue
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            else:
                found[f"{prefix}{entry.name}"] = entry.read_bytes()

    walk(importlib.resources.files("kbgen").joinpath(SCAFFOLD), "")
    return found


def new_project(folder: Path) -> list[str]:
    """Write the scaffold into `folder`, or refuse and write nothing; return the files written."""
    if (folder / "content").exists():
        content = folder / "content"
        raise KbgenError(f"{content} already exists; `kbgen new` needs a folder without content/")
    if folder.exists() and not folder.is_dir():
        raise KbgenError(f"{folder} is a file; `kbgen new` needs a folder")
    files = scaffold_files()
    for rel in files:
        if (folder / rel).exists():
            raise KbgenError(f"{folder / rel} already exists; `kbgen new` never overwrites a file")
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return list(files)
