"""Attachments behind one storage interface: a folder by default, or the database."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from intake.files import CheckedFile, DatabaseStore, FolderStore, saved
from intake.models import StoredFile
from intake.state import state
from tests.intake.conftest import PNG, api_ticket


@pytest.mark.parametrize("storage", ["folder", "database"])
def test_a_customers_file_comes_back_byte_for_byte(
    make_app: Callable[..., Flask], storage: str, tmp_path: Path
) -> None:
    app = make_app(FILE_STORAGE=storage)
    client = app.test_client()
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    sent = client.post(
        f"/api/v1/eur/tickets/{ref}/attachments",
        data={"file": (io.BytesIO(PNG), "screen.png")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_json()
    file_id = sent.get_json()["reply"]["attachments"][0]["id"]
    with client.get(f"/api/v1/eur/tickets/{ref}/attachments/{file_id}", headers=auth) as got:
        assert got.status_code == 200 and got.data == PNG
    with state(app).db.all_tenants() as session:
        rows = session.scalar(select(func.count(StoredFile.id)))
    folder = tmp_path / "uploads"
    on_disk = [p for p in folder.iterdir()] if folder.exists() else []
    assert (rows, len(on_disk)) == ((0, 1) if storage == "folder" else (1, 0))


def readable(store: FolderStore | DatabaseStore, name: str) -> bool:
    handle = store.open("eur", name)
    if handle is None:
        return False
    handle.close()
    return True


def test_files_of_a_failed_write_are_deleted_in_both_stores(app: Flask, tmp_path: Path) -> None:
    checked = [CheckedFile("a.txt", "text/plain", b"one"), CheckedFile("b.txt", "text/plain", b"2")]
    for store in (FolderStore(tmp_path / "files"), DatabaseStore(state(app).db)):
        names: list[str] = []
        with pytest.raises(RuntimeError), saved(store, "eur", checked) as stored:
            names = [item.stored_name for item in stored]
            assert all(readable(store, name) for name in names)
            raise RuntimeError("the ticket's transaction failed")
        assert len(names) == 2 and not any(readable(store, name) for name in names)


def test_a_tenant_cannot_read_another_tenants_stored_file(app: Flask) -> None:
    store = DatabaseStore(state(app).db)
    name = store.save("eur", b"private")
    assert store.open("km", name) is None
    handle = store.open("eur", name)
    assert handle is not None and handle.read() == b"private"
