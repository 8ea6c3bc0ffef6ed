"""The Whoosh index, the manifest and `kbgen search`."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh.formats import Frequency

from kbgen.build import build
from kbgen.cli import main
from kbgen.config import BuildOptions
from kbgen.search import search, whoosh_index
from kbgen.search.spelling import Lexicon
from kbgen.search.whoosh_index import FUZZY_WORDS, IDLE_SEARCHERS, first_word_start
from tests.conftest import Project

HOSTILE = [
    "",
    "   ",
    '"unmatched quote',
    "title:(x OR y",
    "AND OR NOT",
    "*?~^[]{}():\\/",
    "a" * 10_000,
    "password " * 2000,
    "<script>alert(1)</script>",
    "\x00\x1f\ud7ff",
    "password~2 refund^3",
]


@pytest.fixture
def indexed(project: Project) -> Project:
    project.article(
        "billing/refunds.md",
        "title: Request a refund\ncategory: billing\nsummary: Money back within 14 days.\n"
        "tags: [refund, money]",
        "## How refunds work\n\nWe refund the unused part of your plan to the original card.\n",
    )
    project.article(
        "account/reset-password.md",
        "title: Reset your password\ncategory: getting_started\ntags: [login]",
        "Use the forgotten password link on the sign-in page.\n",
    )
    project.faq(
        "running-jobs.md",
        "question: Can jobs keep running overnight?\ncategory: technical",
        "Yes, background jobs run until they finish.\n",
    )
    build(BuildOptions(root=project.root))
    return project


def slugs(project: Project, query: str, **kw: object) -> list[str]:
    results = search("eur", query, build_dir=project.root / "build", **kw)  # type: ignore[arg-type]
    return [r.slug for r in results]


def test_finds_by_title_tags_body_and_stems(indexed: Project) -> None:
    assert slugs(indexed, "refunds")[0] == "refunds"
    assert slugs(indexed, "money back")[0] == "refunds"
    assert slugs(indexed, "forgotten")[0] == "reset-password"
    assert slugs(indexed, "run jobs")[0] == "running-jobs"  # "running" stems to "run"


def test_accents_typed_composed_or_combining_are_one_word(project: Project) -> None:
    # A Mac's keyboard and a copy from a PDF can give "é" as "e" and a combining accent (NFD).
    composed, combining = "r\u00e9sum\u00e9", "re\u0301sume\u0301"
    project.article("cv.md", "title: Upload a CV\ncategory: general", f"Send your {combining}.\n")
    project.article("pay.md", "title: Payments\ncategory: billing", "Money and cards.\n")
    build(BuildOptions(root=project.root))
    assert slugs(project, composed) == slugs(project, combining) == ["cv"]


def test_misspellings_match_near_terms(indexed: Project) -> None:
    assert slugs(indexed, "pasword")[0] == "reset-password"
    assert slugs(indexed, "refnd")[0] == "refunds"
    assert slugs(indexed, "passowrd")[0] == "reset-password"  # two letters swapped: one edit
    assert slugs(indexed, "Forgoten pasword")[0] == "reset-password"


def test_near_spellings_count_each_typo_as_one_edit() -> None:
    lexicon = Lexicon(["password", "passport", "subscription", "invoice", "voice"])
    assert lexicon.near("pasword", 5) == [("password", 1)]  # a letter missing
    assert lexicon.near("invioce", 5) == [("invoice", 1)]  # two letters swapped
    assert lexicon.near("subscritpon", 5) == [("subscription", 2)]  # swapped, and one missing
    assert lexicon.near("pasport", 5) == [("passport", 1)]  # "password" is three edits away
    assert lexicon.near("invoce", 5) == [("invoice", 1)]  # short words: one edit at most


def test_only_the_first_words_the_index_lacks_are_matched_to_near_spellings(
    indexed: Project,
) -> None:
    # Made-up words cost a comparison with the index's words each; after FUZZY_WORDS of them,
    # words are matched as typed, so a long query of nonsense stays cheap.
    made_up = ["qwzx", "vbnq", "jkzx", "zxqv", "wqjx", "xjqz"][:FUZZY_WORDS]
    assert slugs(indexed, " ".join([*made_up[:-1], "pasword"]))[0] == "reset-password"
    assert slugs(indexed, " ".join([*made_up, "pasword"])) == []
    assert slugs(indexed, " ".join([*made_up, "password"]))[0] == "reset-password"


def test_near_spellings_follow_a_rebuild(indexed: Project) -> None:
    assert slugs(indexed, "pasword")[0] == "reset-password"
    indexed.article(
        "account/passkeys.md", "title: Sign in with a passkey\ncategory: getting_started",
        "A passkey replaces the password on devices that support it.\n",
    )  # fmt: skip
    build(BuildOptions(root=indexed.root))
    assert slugs(indexed, "paskey")[0] == "passkeys"


def test_category_filter_and_limit(indexed: Project) -> None:
    assert slugs(indexed, "password refund", category="billing") == ["refunds"]
    assert len(slugs(indexed, "password refund", limit=1)) == 1


def test_results_are_plain_data_with_snippet(indexed: Project) -> None:
    [hit] = search("eur", "original card", build_dir=indexed.root / "build", limit=1)
    data = hit.as_dict()
    assert data["url"] == "/eur/articles/refunds/"
    assert data["kind"] == "article" and data["category"] == "billing"
    assert "original card" in data["snippet"]
    assert json.dumps(data)


def word_starts_with(body: str, at: int, terms: list[str]) -> bool:
    """Whether a word of `body` begins at `at` and starts with one of `terms`, in any case."""
    before = body[at - 1] if at else " "
    return not (before.isalnum() or before == "_") and any(
        body[at : at + len(t)].lower() == t for t in terms
    )


@given(
    st.text(alphabet="abcABC xX_1.-\nÉéİß", max_size=60),
    st.lists(st.text(alphabet="abcx1é", min_size=1, max_size=3), min_size=1, max_size=3),
)
def test_a_snippet_starts_at_the_first_word_a_term_begins(body: str, terms: list[str]) -> None:
    at = first_word_start(body, terms)
    starts = [i for i in range(len(body)) if word_starts_with(body, i, terms)]
    # Where a letter's lower case is longer ("İ"), offsets are the regex's; otherwise exact.
    if len(body.lower()) == len(body):
        assert at == (starts[0] if starts else 0)


def test_a_snippet_shows_the_first_word_a_term_begins_not_one_inside_a_word() -> None:
    body = "Unrefundable plans aside, a Refund is sent. " + "filler " * 100
    assert whoosh_index.snippet(body, ["refund"]).startswith("Unrefundable plans aside, a Refund")
    assert first_word_start(body, ["refund"]) == body.index("Refund")
    assert first_word_start("İstanbul refund", ["refund"]) == len("İstanbul ")


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_return_a_list(indexed: Project, query: str) -> None:
    assert isinstance(slugs(indexed, query), list)


def test_a_results_snippet_follows_an_edit_of_its_text(indexed: Project) -> None:
    [before] = search("eur", "refund", build_dir=indexed.root / "build", limit=1)
    assert "original card" in before.snippet
    indexed.article(
        "billing/refunds.md",
        "title: Request a refund\ncategory: billing\ntags: [refund, money]",
        "We refund the unused part of your plan by bank transfer.\n",
    )
    build(BuildOptions(root=indexed.root))
    [after] = search("eur", "refund", build_dir=indexed.root / "build", limit=1)
    assert "bank transfer" in after.snippet and "original card" not in after.snippet


def test_the_texts_kept_for_results_stay_within_their_bound(
    indexed: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whoosh_index, "CACHED_SHOWN_CHARS", 10)  # less than any one text
    for query in ("refund", "password", "jobs", "refund password jobs"):
        assert slugs(indexed, query)
    [pool] = [p for folder, p in whoosh_index._pools.items() if indexed.root in folder.parents]
    assert len(pool.shown.recent.items) == 1  # only the last one read is kept


def test_stale_documents_never_survive_a_rebuild(indexed: Project) -> None:
    (indexed.root / "content/eur/articles/billing/refunds.md").unlink()
    indexed.article(
        "account/reset-password.md",
        "title: Reset your password\ncategory: getting_started\nstatus: draft",
    )
    build(BuildOptions(root=indexed.root))
    assert slugs(indexed, "refund") == []
    assert slugs(indexed, "password") == []
    manifest = json.loads((indexed.root / "build/eur/manifest.json").read_text())
    assert [a["slug"] for a in manifest["articles"]] == ["welcome"]
    pagefind_pages = list((indexed.root / "site/eur/pagefind/fragment").glob("*"))
    assert len(pagefind_pages) == 2  # the welcome article and the FAQ page


def test_manifest_lists_articles_and_faqs_with_hashes(indexed: Project) -> None:
    data = json.loads((indexed.root / "build/eur/manifest.json").read_text())
    assert data["tenant"] == "eur"
    refunds = next(a for a in data["articles"] if a["slug"] == "refunds")
    assert refunds["title"] == "Request a refund"
    assert refunds["category"] == "billing"
    assert refunds["url"] == "/eur/articles/refunds/"
    assert refunds["summary"] == "Money back within 14 days."
    assert len(refunds["hash"]) == 64
    assert data["faqs"][0]["slug"] == "running-jobs"
    assert data["faqs"][0]["url"] == "/eur/faq/#running-jobs"


def test_tenants_have_separate_indexes(indexed: Project) -> None:
    assert search("km", "refund", build_dir=indexed.root / "build") == []


def test_cli_search_prints_ranked_results(
    indexed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(indexed.root), "search", "refund"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. Request a refund [article, billing] https://help.test/eur/articles/")
    assert main(["--root", str(indexed.root), "search", "--category", "api", "refund"]) == 0
    assert capsys.readouterr().out == "No results.\n"


def test_cli_search_without_a_build_says_so(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(project.root), "search", "refund"]) == 1
    assert "run `kbgen build`" in capsys.readouterr().err


def test_an_index_from_another_kbgen_asks_for_a_rebuild(indexed: Project) -> None:
    (indexed.root / "build/eur/index/kbgen-docs.json").write_text('{"format": 0, "docs": {}}')
    with pytest.raises(FileNotFoundError, match="outdated; run `kbgen build`"):
        search("eur", "refund", build_dir=indexed.root / "build")


def test_searches_from_many_threads_at_once_each_get_their_answer(indexed: Project) -> None:
    # More threads than idle searchers are kept, all searching at the same moment.
    queries = {"refund": "refunds", "pasword": "reset-password", "jobs overnight": "running-jobs"}
    start = threading.Barrier(3 * IDLE_SEARCHERS)
    found: dict[int, list[tuple[str, str]]] = {}

    def searches(n: int) -> None:
        start.wait(timeout=30)
        found[n] = [(q, slugs(indexed, q)[0]) for q in list(queries) * 5]

    threads = [threading.Thread(target=searches, args=(n,)) for n in range(3 * IDLE_SEARCHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(found) == 3 * IDLE_SEARCHERS
    assert all(slug == queries[q] for answers in found.values() for q, slug in answers)


def test_a_rebuild_while_a_searcher_opens_never_mixes_two_index_generations(
    indexed: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert slugs(indexed, "refund") == ["refunds"]  # the generation now in use, read once
    folder = (indexed.root / "build/eur/index").resolve()
    whoosh_index._pools[folder].idle.clear()  # the next search opens a searcher of its own
    opened = whoosh_index._Searchers.open

    def rebuilt_meanwhile(pool: whoosh_index._Searchers) -> Any:
        if not getattr(rebuilt_meanwhile, "done", False):
            rebuilt_meanwhile.done = True  # type: ignore[attr-defined]
            (indexed.root / "content/eur/articles/billing/refunds.md").unlink()
            indexed.article("billing/invoices.md", "title: Download invoices\ncategory: billing")
            build(BuildOptions(root=indexed.root, quiet=True))
        return opened(pool)

    monkeypatch.setattr(whoosh_index._Searchers, "open", rebuilt_meanwhile)
    assert slugs(indexed, "refund") == []  # not the deleted article of the generation before
    assert slugs(indexed, "invoices") == ["invoices"]  # a word only the new generation has


@pytest.mark.parametrize(
    "text",
    [
        "Refunds REFUNDED refunding: the refund's 14-day window, v2.1 and e.g. x",
        "Überweisung für Straße, Счёт and naïve café: running runs ran",
        "a an the of to is I it \t\n" + "word " * 300,
        "",
    ],
)
def test_indexed_postings_are_whooshs_own_frequencies(text: str) -> None:
    """The one-pass counting indexes exactly what Whoosh's Frequency format would."""
    analyzer = whoosh_index.EnglishAnalyzer()
    counted = whoosh_index.WordCounts(field_boost=4.0).word_values(text, analyzer)
    expected = Frequency(field_boost=4.0).word_values(text, analyzer)
    assert sorted(counted) == sorted(expected)
    assert counted or not analyzer.words(text)
