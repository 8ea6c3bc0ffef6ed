"""Files customers send: checked on content, stored behind one interface."""

from __future__ import annotations

from intake.files.checks import (
    ACCEPT,
    ALLOWED_TEXT,
    PREVIEW_TYPES,
    CheckedFile,
    check_files,
    clean_name,
    cut_into_file,
    plain_name,
    size_text,
    sniff,
)
from intake.files.storage import DatabaseStore, FileStore, FolderStore, SavedFile, saved

__all__ = [
    "ACCEPT",
    "ALLOWED_TEXT",
    "PREVIEW_TYPES",
    "CheckedFile",
    "DatabaseStore",
    "FileStore",
    "FolderStore",
    "SavedFile",
    "check_files",
    "clean_name",
    "cut_into_file",
    "plain_name",
    "saved",
    "size_text",
    "sniff",
]
