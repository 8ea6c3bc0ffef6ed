"""The only stage that writes: a fresh staging folder, swapped in whole when complete."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
from pathlib import Path, PurePosixPath

from kbgen.errors import KbgenError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def swap_in(staging: Path, final: Path) -> None:
    """Put a complete staging folder where `final` is, so readers see old or new, never half."""
    if not final.exists():
        staging.rename(final)
        return
    retired = final.with_name(f".{final.name}.old-{os.getpid()}")
    if _exchange(staging, final):
        shutil.rmtree(staging)
        return
    # Without an atomic exchange there is a moment with no site; the next build repairs it.
    final.rename(retired)
    staging.rename(final)
    shutil.rmtree(retired)


def recover(final: Path) -> None:
    """Clean up after an interrupted build: drop staging folders, restore a retired site."""
    for leftover in sorted(final.parent.glob(f".{final.name}.new-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    for retired in sorted(final.parent.glob(f".{final.name}.old-*")):
        if final.exists():
            shutil.rmtree(retired, ignore_errors=True)
        else:
            retired.rename(final)


class OutputTree:
    """Collects one output folder in staging; refuses paths outside it and double writes."""

    def __init__(self, final: Path) -> None:
        self.final = final
        final.parent.mkdir(parents=True, exist_ok=True)
        recover(final)
        self.staging = final.with_name(f".{final.name}.new-{os.getpid()}")
        self.staging.mkdir()
        self.written: dict[str, str] = {}

    def _target(self, rel: str, origin: str) -> Path:
        path = PurePosixPath(rel)
        if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in rel:
            raise KbgenError(f"{origin}: refusing to write {rel!r} outside {self.final}")
        key = path.as_posix()
        if key in self.written:
            first = self.written[key]
            raise KbgenError(f"{origin}: {key} is already written by {first}")
        self.written[key] = origin
        target = self.staging.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, rel: str, data: bytes, origin: str) -> None:
        """Write `data` at `rel` inside the tree; `origin` names the source for errors."""
        self._target(rel, origin).write_bytes(data)

    def link(self, rel: str, existing: Path, origin: str) -> None:
        """Put an unchanged file from the last build in the tree without copying its bytes.

        Files are never modified in place (every write makes a new file), so a hard link
        between the old and the new tree is safe.
        """
        target = self._target(rel, origin)
        try:
            os.link(existing, target)
        except OSError:
            shutil.copyfile(existing, target)

    def copy(self, rel: str, source: Path, origin: str) -> None:
        """Copy a file into the tree at `rel`."""
        shutil.copyfile(source, self._target(rel, origin))

    def commit(self) -> None:
        """Swap the complete tree in place of the last one."""
        swap_in(self.staging, self.final)

    def abort(self) -> None:
        """Throw the staging folder away; the last good output stays as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)
