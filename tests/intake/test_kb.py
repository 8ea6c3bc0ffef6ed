"""`intake kb sync`: the manifest mirrored into knowledge_base_articles and faqs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from intake.errors import IntakeError
from intake.kb.mirror import sync_tenant
from intake.models import Faq, KnowledgeBaseArticle
from intake.state import state


def rows(app: Flask, tenant: str) -> dict[str, KnowledgeBaseArticle]:
    with state(app).db.all_tenants(write=True) as session:
        query = select(KnowledgeBaseArticle).where(KnowledgeBaseArticle.tenant_id == tenant)
        return {a.slug: a for a in session.scalars(query)}


def test_start_up_mirrors_every_tenants_manifest(app: Flask, kb_root: Path) -> None:
    for tenant in ("eur", "km"):
        manifest = json.loads((kb_root / "build" / tenant / "manifest.json").read_text())
        mirrored = rows(app, tenant)
        assert set(mirrored) == {a["slug"] for a in manifest["articles"]}
        assert all(a.published for a in mirrored.values())
        with state(app).db.all_tenants(write=True) as session:
            faqs = session.scalars(select(Faq.slug).where(Faq.tenant_id == tenant)).all()
        assert set(faqs) == {f["slug"] for f in manifest["faqs"]}


def test_sync_inserts_updates_and_unpublishes(app: Flask, kb_root: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    shutil.copytree(
        kb_root / "build" / "eur", build / "eur", ignore=shutil.ignore_patterns("index")
    )
    path = build / "eur" / "manifest.json"
    manifest = json.loads(path.read_text())
    gone = manifest["articles"].pop(0)["slug"]
    changed = manifest["articles"][0]
    changed["title"], changed["hash"] = "A new title", "0" * 64
    manifest["articles"].append(dict(changed, slug="brand-new", url="/eur/articles/brand-new/"))
    path.write_text(json.dumps(manifest))
    report = sync_tenant(state(app).db, "eur", build)
    assert (report.inserted, report.updated, report.unpublished) == (1, 1, 1)
    mirrored = rows(app, "eur")
    assert not mirrored[gone].published  # kept for the tickets and feedback that cite it
    assert mirrored[changed["slug"]].title == "A new title"
    assert mirrored["brand-new"].published
    again = sync_tenant(state(app).db, "eur", build)
    assert (again.inserted, again.updated, again.unpublished) == (0, 0, 0)


def test_a_missing_manifest_is_a_clear_error(app: Flask, tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="run `kbgen build` first"):
        sync_tenant(state(app).db, "eur", tmp_path)


def test_unpublished_articles_leave_the_lists(
    make_app: Callable[..., Flask], tmp_path: Path, kb_root: Path
) -> None:
    app = make_app()
    build = tmp_path / "build"
    shutil.copytree(
        kb_root / "build" / "eur", build / "eur", ignore=shutil.ignore_patterns("index")
    )
    path = build / "eur" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["articles"] = [a for a in manifest["articles"] if a["slug"] != "refunds"]
    path.write_text(json.dumps(manifest))
    sync_tenant(state(app).db, "eur", build)
    listed = app.test_client().get("/api/v1/eur/kb/articles").get_json()["articles"]
    assert "refunds" not in {a["slug"] for a in listed}
