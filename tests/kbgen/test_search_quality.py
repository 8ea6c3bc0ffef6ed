"""Search quality: the right answer is in the top 3 for 90% of the judged queries and whole
sentences, on the sample content alone and crowded by thousands of articles made of its words."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import yaml

from bench.corpus import crowd
from kbgen.build import build, check
from kbgen.config import BuildOptions
from kbgen.manifest import search_docs
from kbgen.search import INDEX_FOLDER, search, write_index

HERE = Path(__file__).parent
JUDGED = yaml.safe_load((HERE / "judged_queries.yaml").read_text())
SENTENCES = yaml.safe_load((HERE / "judged_sentences.yaml").read_text())
TARGET = 0.9
CROWD = 2000  # generated articles beside each tenant's own
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def sample_build(sample_root: Path) -> Path:
    build(BuildOptions(root=sample_root, today=TODAY))
    return sample_root / "build"


@pytest.fixture(scope="module")
def crowded_build(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index each tenant's articles and FAQs beside CROWD articles written with its own words,
    as often as it uses them: "refund", "invoice" and "account" become common words."""
    out = tmp_path_factory.mktemp("crowded")
    rng = random.Random(3)
    for checked in check(BuildOptions(root=sample_root, today=TODAY)):
        docs = search_docs(checked.site)
        write_index(out / checked.tenant.id / INDEX_FOLDER, docs + crowd(docs, CROWD, rng))
    return out


def top3_misses(build_dir: Path, judged: list[list[str]]) -> list[str]:
    misses = []
    for tenant, query, slug in judged:
        found = [r.slug for r in search(tenant, query, limit=3, build_dir=build_dir)]
        if slug not in found:
            misses.append(f"{tenant}: {query!r} wants {slug}, got {found}")
    return misses


def test_judged_sets_are_big_enough() -> None:
    assert len(JUDGED) >= 30 and len(SENTENCES) >= 30


@pytest.mark.parametrize("judged", [JUDGED, SENTENCES], ids=["queries", "sentences"])
def test_right_answer_in_top3_for_90_percent(sample_build: Path, judged: list[list[str]]) -> None:
    misses = top3_misses(sample_build, judged)
    assert 1 - len(misses) / len(judged) >= TARGET, "\n".join(misses)


@pytest.mark.parametrize("judged", [JUDGED, SENTENCES], ids=["queries", "sentences"])
def test_right_answer_in_top3_among_thousands_sharing_its_words(
    crowded_build: Path, judged: list[list[str]]
) -> None:
    # Every word of a query counts, however common: "how do I get a refund for my invoice"
    # still finds the refund article when "refund" and "invoice" are in most documents.
    misses = top3_misses(crowded_build, judged)
    assert 1 - len(misses) / len(judged) >= TARGET, "\n".join(misses)
