"""Search quality on the sample content: the right answer is in the top 3 for 90% of queries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from kbgen.build import build
from kbgen.config import BuildOptions
from kbgen.search import search

JUDGED = yaml.safe_load((Path(__file__).parent / "judged_queries.yaml").read_text())
TARGET = 0.9


@pytest.fixture(scope="module")
def sample_build(sample_root: Path) -> Path:
    build(BuildOptions(root=sample_root, today=dt.date(2026, 11, 25)))
    return sample_root / "build"


def top3_hits(build_dir: Path) -> tuple[int, list[str]]:
    misses = []
    for tenant, query, slug in JUDGED:
        found = [r.slug for r in search(tenant, query, limit=3, build_dir=build_dir)]
        if slug not in found:
            misses.append(f"{tenant}: {query!r} wants {slug}, got {found}")
    return len(JUDGED) - len(misses), misses


def test_judged_set_is_big_enough() -> None:
    assert len(JUDGED) >= 30


def test_right_answer_in_top3_for_90_percent(sample_build: Path) -> None:
    hits, misses = top3_hits(sample_build)
    assert hits / len(JUDGED) >= TARGET, "\n".join(misses)
