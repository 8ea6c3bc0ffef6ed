"""The only stage that writes: a fresh staging folder, swapped in whole when complete."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import itertools
import os
import re
import shutil
import threading
import zlib
from collections import deque
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from kbgen.errors import KbgenError

_retired_count = itertools.count()  # unique names while an old tree is deleted in background
WRITE_LANES = 4  # threads writing a tree's files
BACKLOG = 256  # files waiting to be written, per tree: rendering waits beyond it
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


def _inside(rel: str, folder: str) -> bool:
    """Say whether the path `rel` is `folder` or lies inside it (both relative to a tree)."""
    return rel == folder or rel.startswith(f"{folder}/")


def swap_in(staging: Path, final: Path) -> Path | None:
    """Put a complete staging folder where `final` is, so readers see old or new, never half.

    Return the folder now holding the old tree (for the caller to delete), if there was one.
    """
    if not final.exists():
        staging.rename(final)
        return None
    retired = final.with_name(f".{final.name}.old-{os.getpid()}-{next(_retired_count)}")
    if _exchange(staging, final):
        staging.rename(retired)
        return retired
    # Without an atomic exchange there is a moment with no site; the next build repairs it.
    final.rename(retired)
    staging.rename(final)
    return retired


def _leftovers(final: Path, kind: str) -> list[Path]:
    """Return the folders beside `final` that kbgen named after it: "new" ones or "old" ones."""
    # Only kbgen's exact names, so a writer's own file beside them is never taken for one:
    # .<name>.new-<pid> (.new while Pagefind catches up) and .<name>.old-<pid>-<n> (-<pid> once).
    number = r"(-\d+)?" if kind == "new" else r"-\d+(-\d+)?"
    pattern = re.compile(rf"\.{re.escape(final.name)}\.{kind}{number}")
    if not final.parent.is_dir():
        return []
    return sorted(p for p in final.parent.iterdir() if pattern.fullmatch(p.name))


def recover(final: Path) -> None:
    """Clean up after an interrupted build: drop staging folders, restore a retired site."""
    for leftover in _leftovers(final, "new"):
        shutil.rmtree(leftover, ignore_errors=True)
    for retired in _leftovers(final, "old"):
        if final.exists():
            shutil.rmtree(retired, ignore_errors=True)
        else:
            retired.rename(final)


def link_or_copy(existing: Path | str, target: Path | str) -> None:
    """Hard-link `existing` at `target`, or copy it where links are impossible."""
    try:
        os.link(existing, target)
    except OSError:
        shutil.copyfile(existing, target)


def files_under(folder: Path, claimed: Collection[str] = ()) -> set[str]:
    """Return every file in an output folder by its path there ("articles/x/index.html"),
    leaving out the folders indexes claim."""
    top = str(folder)
    found: set[str] = set()
    for path, dirs, files in os.walk(top):
        rel_folder = path[len(top) + 1 :].replace(os.sep, "/")
        prefix = f"{rel_folder}/" if rel_folder else ""
        dirs[:] = [d for d in dirs if f"{prefix}{d}" not in claimed]
        found.update(f"{prefix}{name}" for name in files)
    return found


class _Lanes:
    """Threads that write a tree's files while the build renders the next pages.

    Making a folder or a file costs a disk a fraction of a millisecond of waiting, which adds
    up over a site's hundreds of folders (a third of a cold build of the sample). The waiting
    releases the interpreter, so threads overlap it with one another and with rendering. A
    folder's files all go to one thread, in order: the first makes the folder.
    """

    def __init__(self) -> None:
        self._threads: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()
        # A forked child (a build's worker) has none of its parent's threads.
        os.register_at_fork(after_in_child=self._threads.clear)

    def submit(self, folder: str, work: Callable[[], None]) -> Future[None]:
        """Run `work` on the thread of `folder`, after the work given to it before."""
        with self._lock:
            if not self._threads:
                self._threads = [ThreadPoolExecutor(1, thread_name_prefix="kbgen-write")
                                 for _ in range(WRITE_LANES)]  # fmt: skip
            lane = self._threads[zlib.crc32(folder.encode()) % WRITE_LANES]
        return lane.submit(work)


_LANES = _Lanes()


class OutputTree:
    """Collects one output folder in staging; refuses paths outside it and double writes.

    Files are written in the background (see _Lanes); `flush` waits for them and raises the
    first failure, and commit flushes first.

    A writer with its own output (Whoosh, Pagefind) claims a folder of the tree instead of
    writing beside it unchecked: the same path rules hold, and no other source writes there.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        final.parent.mkdir(parents=True, exist_ok=True)
        recover(final)
        self.staging = final.with_name(f".{final.name}.new-{os.getpid()}")
        self.staging.mkdir()
        self.written: dict[str, str] = {}
        self.claimed: dict[str, str] = {}  # folder -> the external writer that fills it
        self._folders: set[str] = {""}  # folders made (or to be made) so far, in the tree
        self._folded: dict[str, str] = {}  # each written path, case-folded
        self._pending: deque[Future[None]] = deque()

    def _check_path(self, rel: str, origin: str) -> None:
        # Plain string handling: this runs for every file of a site with thousands of pages.
        parts = rel.split("/")
        if rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in parts):
            raise KbgenError(f"{origin}: refusing to write {rel!r} outside {self.final}")

    def _make_parent(self, rel: str) -> None:
        folder = rel.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(os.path.join(self.staging, folder), exist_ok=True)
            self._folders.add(folder)

    def _register(self, rel: str, origin: str) -> str:
        """Record that `origin` writes `rel`, refusing what the tree's rules forbid; return
        the file's path."""
        self._check_path(rel, origin)
        for folder, owner in self.claimed.items():
            if _inside(rel, folder) or _inside(folder, rel):
                raise KbgenError(f"{origin}: {rel} is in {folder}/, which {owner} writes")
        if rel in self.written:
            raise KbgenError(f"{origin}: {rel} is already written by {self.written[rel]}")
        # A file where another needs a folder, or the other way round ("feed.xml/" as a
        # redirect beside the feed): the file system would refuse one of them mid-write.
        if rel in self._folders:
            raise KbgenError(f"{origin}: {rel} would be a file where other files need a folder")
        twin = self._folded.setdefault(rel.casefold(), rel)
        if twin != rel:
            raise KbgenError(f"{origin}: {rel} and {twin} (from {self.written[twin]}) differ only"
                             " in case: where names ignore case (macOS, Windows, some hosts) one"
                             " would replace the other; rename one")  # fmt: skip
        parent = rel.rpartition("/")[0]
        while parent and parent not in self._folders:
            if parent in self.written:
                raise KbgenError(f"{origin}: {rel} needs a folder {parent}/ where"
                                 f" {self.written[parent]} writes a file")  # fmt: skip
            parent = parent.rpartition("/")[0]
        self.written[rel] = origin
        return os.path.join(self.staging, rel)

    def _target(self, rel: str, origin: str) -> str:
        target = self._register(rel, origin)
        self._make_parent(rel)
        return target

    def claim_folder(self, rel: str, origin: str) -> Path:
        """Reserve the folder `rel` for a writer of its own (an index); return where it writes.

        The folder is checked like any file's path and may hold no file written through the
        tree, nor overlap another claim; later writes into it are refused. Its parent folders
        are made, the folder itself is left to its writer (or, patching, is the live one).
        """
        self._check_path(rel, origin)
        for folder, owner in self.claimed.items():
            if _inside(rel, folder) or _inside(folder, rel):
                raise KbgenError(f"{origin}: cannot claim {rel}/: {folder}/ is claimed by {owner}")
        for path, owner in self.written.items():
            if _inside(path, rel) or _inside(rel, path):
                raise KbgenError(f"{origin}: cannot claim {rel}/: {path} is written by {owner}")
        self.claimed[rel] = origin
        # Made now, whatever the lanes have still to make: its writer may start at once.
        os.makedirs(os.path.join(self.staging, rel.rpartition("/")[0]), exist_ok=True)
        self._folders.add(rel.rpartition("/")[0])
        return self.staging / rel

    def _in_background(self, rel: str, origin: str, fill: Callable[[str], object]) -> None:
        """Register `rel`, then have a lane make its folder (if new) and `fill` the file."""
        target = self._register(rel, origin)
        folder = rel.rpartition("/")[0]
        new_folder = folder not in self._folders
        self._folders.add(folder)

        def work() -> None:
            if new_folder:
                os.makedirs(os.path.join(self.staging, folder), exist_ok=True)
            fill(target)

        self._pending.append(_LANES.submit(folder, work))
        while len(self._pending) > BACKLOG:  # a bound on the pages' bytes held in memory
            self._pending.popleft().result()

    def write(
        self, rel: str, data: bytes, origin: str, then: Callable[[str], object] | None = None
    ) -> None:
        """Write `data` at `rel` inside the tree; `origin` names the source for errors. `then`
        is called with the file's path once it is written (on the writing thread)."""

        def fill(target: str) -> None:
            with open(target, "wb") as handle:
                handle.write(data)
            if then is not None:
                then(target)

        self._in_background(rel, origin, fill)

    def link(self, rel: str, existing: Path | str, origin: str) -> None:
        """Put an unchanged file from the last build in the tree without copying its bytes.

        Files are never modified in place (every write makes a new file), so a hard link
        between the old and the new tree is safe.
        """
        self._in_background(rel, origin, lambda target: link_or_copy(existing, target))

    def copy(self, rel: str, source: Path, origin: str) -> None:
        """Copy a file into the tree at `rel`."""
        self._in_background(rel, origin, lambda target: shutil.copyfile(source, target))

    def flush(self) -> None:
        """Wait until every file given so far is written; raise the first failure."""
        while self._pending:
            self._pending.popleft().result()

    def commit(self, background_cleanup: bool = False) -> None:
        """Swap the complete tree in place of the last one, then delete the old tree.

        A long-lived process may delete it in a background thread: the new tree is in place
        already, and an unfinished deletion is finished by the next build's recover().
        """
        self.flush()
        retired = swap_in(self.staging, self.final)
        if retired is None:
            return
        if background_cleanup:
            threading.Thread(target=shutil.rmtree, args=(retired, True), daemon=True).start()
        else:
            shutil.rmtree(retired)

    def abort(self) -> None:
        """Throw the staging folder away; the last good output stays as it was."""
        with contextlib.suppress(Exception):
            self.flush()  # no lane may write into the folder after it is gone
        while self._pending:  # past a failure, the rest
            with contextlib.suppress(Exception):
                self._pending.popleft().result()
        shutil.rmtree(self.staging, ignore_errors=True)


class PatchTree(OutputTree):
    """Updates a live output folder file by file, for the `kbgen serve` preview.

    Each file is replaced atomically (written beside it, then renamed over it) and only when
    its bytes change, so an edit costs a handful of writes instead of a whole new tree; files
    the build no longer makes are removed at commit. The folder as a whole is not swapped
    atomically: fine for a preview on loopback, which is why `kbgen build` never does this.
    """

    def __init__(self, final: Path, files: frozenset[str] | None = None) -> None:
        """`files` are those the folder holds, if known: commit then need not list it."""
        self.final = self.staging = final
        recover(final)
        self.written = {}
        self.claimed = {}  # folders others maintain in place (an index): commit leaves them
        self._folders = {""}
        self._folded = {}
        self._pending = deque()  # none: a patch writes each file at once
        self._before = files

    def _replace(self, target: str, fill: Callable[[str], None]) -> None:
        temporary = f"{target}.kbgen-tmp"
        fill(temporary)
        os.replace(temporary, target)

    def write(
        self, rel: str, data: bytes, origin: str, then: Callable[[str], object] | None = None
    ) -> None:
        """Replace the file at `rel` if its bytes differ (here, not in the background)."""
        target = self._target(rel, origin)
        try:
            with open(target, "rb") as handle:
                same = handle.read() == data
        except OSError:
            same = False
        if not same:

            def fill(path: str) -> None:
                with open(path, "wb") as handle:
                    handle.write(data)

            self._replace(target, fill)
        if then is not None:
            then(target)

    def link(self, rel: str, existing: Path | str, origin: str) -> None:
        target = self._register(rel, origin)
        if str(existing) == target:
            return  # the live file itself: nothing to do, not even its folder to make
        self._make_parent(rel)
        if not os.path.exists(target) or not os.path.samefile(existing, target):
            self._replace(target, lambda path: os.link(existing, path))

    def copy(self, rel: str, source: Path, origin: str) -> None:
        self.write(rel, source.read_bytes(), origin)

    def commit(self, background_cleanup: bool = False) -> None:  # noqa: ARG002
        """Remove the files (and emptied folders) this build no longer makes."""
        before = self._before
        if before is None:
            before = frozenset(files_under(self.final, self.claimed))
        self._remove_known(before - self.written.keys())

    def _remove_known(self, files: Iterable[str]) -> None:
        """Remove these files, then each folder they leave empty."""
        for rel in sorted(files, reverse=True):  # a folder's files before the folder
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.final, rel))
            folder = rel.rpartition("/")[0]
            while folder and folder not in self._folders:
                try:
                    os.rmdir(os.path.join(self.final, folder))
                except OSError:  # not empty (or gone): so are the folders above it
                    break
                folder = folder.rpartition("/")[0]

    def abort(self) -> None:
        """Nothing to undo: every file written so far is complete."""
