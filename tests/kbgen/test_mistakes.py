"""Every writer mistake is reported as path:line: field: message, all in one run."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from kbgen.build import check
from kbgen.cli import main
from kbgen.config import BuildOptions
from kbgen.errors import ContentError
from tests.conftest import Project

TODAY = dt.date(2026, 11, 25)


def problems(project: Project, **options: object) -> list[str]:
    """Run `kbgen check` on the project and return every problem as printed."""
    with pytest.raises(ContentError) as caught:
        check(BuildOptions(root=project.root, today=TODAY, **options))  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def test_invalid_yaml_names_file_and_line(project: Project) -> None:
    project.article("a/bad.md", "title: Fine\ncategory: general\ntags: [one, two")
    assert problems(project) == [
        "content/eur/articles/a/bad.md:4: yaml: the list that opens with [ here is not closed "
        "with ], or lacks a comma between items (YAML: did not find expected ',' or ']' while "
        "parsing a flow sequence)"
    ]


def test_missing_required_field(project: Project) -> None:
    project.article("a/no-cat.md", "title: No category")
    assert problems(project) == [
        "content/eur/articles/a/no-cat.md:1: category: is required but missing"
    ]


def test_unknown_field_suggests_the_right_one(project: Project) -> None:
    project.article("a/typo.md", "title: Typo\ncategory: general\nsumary: Oops")
    [found] = problems(project)
    assert found.startswith("content/eur/articles/a/typo.md:4: sumary: unknown field;")
    assert "did you mean 'summary'?" in found


def test_value_outside_enum_lists_allowed_values(project: Project) -> None:
    project.article("a/cat.md", "title: Cat\ncategory: billingg")
    [found] = problems(project)
    assert found.startswith("content/eur/articles/a/cat.md:3: category: 'billingg' is not one of:")
    assert "getting_started, technical, billing" in found


def test_bad_date(project: Project) -> None:
    project.article("a/date.md", "title: Date\ncategory: general\npublished: 2026-13-40")
    assert problems(project) == [
        "content/eur/articles/a/date.md:4: published: '2026-13-40' is not a date; "
        "write YYYY-MM-DD, e.g. 2026-03-14"
    ]


@pytest.mark.parametrize(
    ("written", "read"),
    [("20260315", "20260315"), ("2026_03_15", "20260315"), ("2026-W11-1", "'2026-W11-1'"),
     ("2026-03-15T10:00", "'2026-03-15T10:00'"), ("2026-3-5", "'2026-3-5'")],
)  # fmt: skip
def test_a_date_in_another_form_is_refused_not_guessed(
    project: Project, written: str, read: str
) -> None:
    # Python reads the first three as 15 and 9 March; a writer may have meant anything.
    project.article("a/date.md", f"title: Date\ncategory: general\nupdated: {written}")
    assert problems(project) == [
        f"content/eur/articles/a/date.md:4: updated: {read} is not a date; "
        "write YYYY-MM-DD, e.g. 2026-03-14"
    ]


def test_updated_before_published(project: Project) -> None:
    front = "title: D\ncategory: general\npublished: 2026-05-01\nupdated: 2026-04-01"
    project.article("a/d.md", front)
    assert problems(project) == [
        "content/eur/articles/a/d.md:5: updated: 2026-04-01 is before published (2026-05-01)"
    ]


def test_file_that_is_not_utf8(project: Project) -> None:
    project.write(
        "content/eur/articles/a/latin1.md",
        "---\ntitle: Caf\xe9\ncategory: general\n---\n".encode("latin-1"),
    )
    [found] = problems(project)
    assert found.startswith("content/eur/articles/a/latin1.md:2: encoding: is not UTF-8")


def test_duplicate_slug_in_a_tenant(project: Project) -> None:
    project.article("a/one.md", "title: One\ncategory: general\nslug: same")
    project.article("b/two.md", "title: Two\ncategory: general\nslug: same")
    assert problems(project) == [
        "content/eur/articles/b/two.md:4: slug: 'same' is already the slug of "
        "content/eur/articles/a/one.md; slugs must be unique"
    ]


def test_a_duplicate_slug_is_blamed_on_the_slug_line_that_made_it(project: Project) -> None:
    project.article("z/refund-time.md", "title: Refund time\ncategory: billing")
    project.article("a/refund-dup.md", "title: Copy\ncategory: billing\nslug: refund-time")
    assert problems(project) == [
        "content/eur/articles/a/refund-dup.md:4: slug: 'refund-time' is already the slug of "
        "content/eur/articles/z/refund-time.md; slugs must be unique"
    ]


def test_two_names_differing_only_in_accents_encoding_are_told_so(project: Project) -> None:
    project.article("a/caf\u00e9.md", "title: One\ncategory: general")
    project.article("a/cafe\u0301.md", "title: Two\ncategory: general")
    (problem,) = problems(project)
    assert problem.endswith(
        "slugs must be unique (the two file names differ only in how their accents are encoded)"
    )


def test_same_slug_in_two_tenants_is_fine(project: Project) -> None:
    project.article("a/one.md", "title: One\ncategory: general")
    project.article("a/one.md", "title: One\ncategory: general", tenant="km")
    assert len(check(BuildOptions(root=project.root, today=TODAY))) == 2


def test_link_to_missing_article(project: Project) -> None:
    body = "Intro.\n\nSee [reset](../account/reset.md) for more.\n"
    project.article("a/links.md", "title: L\ncategory: general", body)
    assert problems(project) == [
        "content/eur/articles/a/links.md:7: link: '../account/reset.md': "
        "articles/account/reset.md does not exist"
    ]


def test_a_yes_where_a_number_is_wanted_is_said_in_yaml_s_words(project: Project) -> None:
    project.article("a/o.md", "title: O\ncategory: general\norder: yes")
    (problem,) = problems(project)
    assert problem.endswith("order: must be a whole number, got true (YAML reads yes, no, on and"
                            " off so: quote the words)")  # fmt: skip


def test_a_file_with_old_mac_line_ends_is_told_so(project: Project) -> None:
    project.write(
        "content/eur/articles/a/cr.md", b"---\rtitle: CR\rcategory: general\r---\rBody.\r"
    )
    assert problems(project) == [
        "content/eur/articles/a/cr.md:1: front-matter: its lines end with CR alone (old Mac line"
        " ends), so it reads as one line: save it with LF or CRLF line ends"
    ]


def test_link_to_a_folder_says_it_is_one(project: Project) -> None:
    project.write("content/eur/images/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    body = "Intro.\n\nSee [the images](../../images/).\n"
    project.article("a/links.md", "title: L\ncategory: general", body)
    assert problems(project) == [
        "content/eur/articles/a/links.md:7: link: '../../images/': images is a folder; link to a"
        " page or file in it"
    ]


def test_a_link_to_a_renamed_file_suggests_the_one_beside_it(project: Project) -> None:
    project.article("billing/refund-policy.md", "title: Refund policy\ncategory: billing")
    project.article("other/refund-time.md", "title: Refund time\ncategory: billing")
    body = "Intro.\n\nSee [refunds](refunds.md).\n"
    project.article("billing/cancel.md", "title: Cancel\ncategory: billing", body)
    (problem,) = problems(project)
    assert problem.endswith("does not exist; did you mean 'refund-policy.md'?")


def test_raw_html_ids_are_anchors_and_the_page_s_own_are_refused(project: Project) -> None:
    site = project.root / "content" / "site.yaml"
    site.write_text("allow_html: true\n" + site.read_text())
    body = ('Intro.\n\n<h2 id="custom">Custom</h2>\n\nSee [it](#custom) and [that](#nope).'
            '\n\n<div id="main">x</div>\n')  # fmt: skip
    project.article("a/raw.md", "title: Raw\ncategory: general", body)
    found = problems(project)
    assert found == [
        "content/eur/articles/a/raw.md:9: link: #nope is not a heading of articles/a/raw.md;"
        " its anchors: custom",  # #custom is one
        "content/eur/articles/a/raw.md:11: html: id 'main' is one of the page's own ids; choose"
        " another",
    ]


def test_link_to_missing_faq(project: Project) -> None:
    body = "Line one\nline two [faq](../../faqs/nope.md)\n"
    project.article("a/links.md", "title: L\ncategory: general", body)
    assert problems(project) == [
        "content/eur/articles/a/links.md:6: link: '../../faqs/nope.md': faqs/nope.md does not exist"
    ]


def test_link_to_missing_heading_anchor(project: Project) -> None:
    project.article("a/target.md", "title: T\ncategory: general", "## By email\n\nText.\n")
    project.article("a/src.md", "title: S\ncategory: general", "\n[x](target.md#by-phone)\n")
    assert problems(project) == [
        "content/eur/articles/a/src.md:6: link: #by-phone is not a heading of "
        "articles/a/target.md; its anchors: by-email"
    ]


def test_link_to_missing_anchor_in_same_page(project: Project) -> None:
    project.article("a/self.md", "title: S\ncategory: general", "## Setup\n\n[up](#set-up)\n")
    [found] = problems(project)
    assert found.startswith("content/eur/articles/a/self.md:7: link: #set-up is not a heading")


def test_link_to_draft_is_reported(project: Project) -> None:
    project.article("a/draft.md", "title: D\ncategory: general\nstatus: draft")
    project.article("a/src.md", "title: S\ncategory: general", "[d](draft.md)\n")
    assert problems(project) == [
        "content/eur/articles/a/src.md:5: link: 'draft.md': articles/a/draft.md is not published"
    ]


def test_unknown_related_slug(project: Project) -> None:
    project.article("a/r.md", "title: R\ncategory: general\nrelated: [welcome, nowhere]")
    assert problems(project) == ["content/eur/articles/a/r.md:4: related: no article 'nowhere'"]


def test_missing_image(project: Project) -> None:
    project.article(
        "a/img.md", "title: I\ncategory: general", "\n\n![A chart](../../images/no.png)\n"
    )
    assert problems(project) == [
        "content/eur/articles/a/img.md:7: image: '../../images/no.png': "
        "images/no.png does not exist"
    ]


def test_link_outside_the_tenant(project: Project) -> None:
    project.article(
        "a/out.md", "title: O\ncategory: general", "[x](../../../km/articles/start/hello.md)\n"
    )
    [found] = problems(project)
    assert found.startswith("content/eur/articles/a/out.md:5: link: ")
    assert "outside this tenant's content folder" in found


def test_every_problem_of_a_run_is_listed(project: Project) -> None:
    project.article("a/one.md", "title: One\ncategory: nope")
    project.article("a/two.md", "category: general")
    project.faq("q.md", "question: Why?\ncategory: general\nordr: 1")
    project.article("x/bad.md", "title: K\ncategory: bad", tenant="km")
    found = problems(project)
    assert [p.split(": ")[0] for p in found] == [
        "content/eur/articles/a/one.md:3",
        "content/eur/articles/a/two.md:1",
        "content/eur/faqs/q.md:4",
        "content/km/articles/x/bad.md:3",
    ]


def test_missing_front_matter(project: Project) -> None:
    project.write("content/eur/articles/a/plain.md", "# Just markdown\n")
    assert problems(project) == [
        "content/eur/articles/a/plain.md:1: front-matter: the file must start with a --- line"
    ]


def test_unclosed_front_matter(project: Project) -> None:
    project.write("content/eur/articles/a/open.md", "---\ntitle: Open\n\nBody\n")
    assert problems(project) == [
        "content/eur/articles/a/open.md:1: front-matter: the opening --- has no closing --- line"
    ]


def test_faq_needs_a_question(project: Project) -> None:
    project.faq("q.md", "category: billing")
    assert problems(project) == ["content/eur/faqs/q.md:1: question: is required but missing"]


def test_yaml_alias_bomb_is_refused_quickly(project: Project) -> None:
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        bomb.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    project.article("a/bomb.md", "title: Bomb\ncategory: general\n" + "\n".join(bomb))
    assert problems(project) == [
        "content/eur/articles/a/bomb.md:5: yaml: YAML aliases (*name) are not allowed"
    ]


def test_oversized_file_is_refused_without_reading_it(project: Project) -> None:
    path = project.root / "content/eur/articles/a/huge.md"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    assert problems(project) == [
        "content/eur/articles/a/huge.md:1: file: is 51200 KiB; "
        "a source file may be at most 1024 KiB"
    ]


def test_site_yaml_mistakes_name_their_key(project: Project) -> None:
    project.write(
        "content/site.yaml",
        """\
        tenants:
          eur:
            name: X
            base_url: not-a-url
            language: en
            ticket_prefix: e1
        """,
    )
    found = problems(project)
    assert found == [
        "content/site.yaml:4: tenants.eur.base_url: 'not-a-url' is not an http(s) URL",
        "content/site.yaml:6: tenants.eur.ticket_prefix: use 2-10 capital letters or digits, "
        "starting with a letter",
    ]


def test_a_misspelt_site_yaml_key_is_named_once_with_the_key_meant(project: Project) -> None:
    project.write(
        "content/site.yaml",
        """\
        defualt_tenant: eur
        tenants:
          eur:
            name: X
            base_ulr: https://help.test/eur/
            langauge: en
            ticket_prefix: EUR
        """,
    )
    assert problems(project) == [  # not also "language: is required but missing"
        "content/site.yaml:1: defualt_tenant: unknown; did you mean 'default_tenant'?",
        "content/site.yaml:5: tenants.eur.base_ulr: unknown field; did you mean 'base_url'?",
        "content/site.yaml:6: tenants.eur.langauge: unknown field; did you mean 'language'?",
    ]


def test_site_yaml_that_is_no_yaml_is_one_error(project: Project) -> None:
    project.write(
        "content/site.yaml",
        """\
        tenants:
          eur:
            name: "Unclosed
            base_url: https://help.test/eur/
            language: en
            ticket_prefix: EUR
            chat_url: "/"
        """,
    )
    (problem,) = problems(project)  # not also "tenants: define at least one"
    assert problem.startswith("content/site.yaml:3: yaml: the quote that opens this value is")


def test_a_tab_before_a_list_item_says_tab(project: Project) -> None:
    project.article("a/tabbed.md", "title: Tabbed\ncategory: general\ntags:\n\t- one")
    assert problems(project) == [
        "content/eur/articles/a/tabbed.md:5: yaml: a tab indents this line; YAML indents with "
        "spaces only (YAML: found character that cannot start any token while scanning for the "
        "next token)"
    ]


def test_intake_url_may_be_a_path_on_the_same_host(project: Project) -> None:
    text = (project.root / "content/site.yaml").read_text()
    text = text.replace("https://desk.test/eur/tickets/new", "/eur/tickets/new")
    project.write(
        "content/site.yaml",
        text.replace("ticket_prefix: KM", "ticket_prefix: KM\n    intake_url: desk"),
    )
    assert problems(project) == [
        "content/site.yaml:14: tenants.km.intake_url: 'desk' is not an http(s) URL or a path "
        "starting with /"
    ]


def test_cli_prints_problems_and_exits_1(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.article("a/cat.md", "title: Cat\ncategory: billingg")
    assert main(["--root", str(project.root), "build"]) == 1
    err = capsys.readouterr().err
    assert "content/eur/articles/a/cat.md:3: category: 'billingg' is not one of" in err
    assert "Traceback" not in err
    assert not (project.root / "site").exists()


def test_headings_out_of_order_are_warnings(project: Project) -> None:
    project.article("a/h.md", "title: H\ncategory: general", "# Big\n\n## Fine\n\n#### Skip\n")
    assert problems(project, strict=True) == [
        "content/eur/articles/a/h.md:5: warning: heading: the title is the page's only "
        "level-1 heading; start sections at ##",
        "content/eur/articles/a/h.md:9: warning: heading: a level-4 heading follows level 2; "
        "use ###",
    ]


def test_a_code_block_never_closed_is_a_warning(project: Project) -> None:
    body = "Intro.\n\n```bash\necho hi\n\n## Next steps\n\n[a link](nope.md)\n"
    project.article("a/fence.md", "title: F\ncategory: general", body)
    project.article("a/closed.md", "title: C\ncategory: general", "````\nx\n```\n`````\n")
    assert problems(project, strict=True) == [
        "content/eur/articles/a/fence.md:7: warning: markdown: the code block opened here with"
        " ``` is never closed, so the rest of the page is shown as code; end it with a line of"
        " ```"
    ]


def test_strict_turns_warnings_into_errors(project: Project) -> None:
    project.article("a/d.md", "title: D\ncategory: general\nstatus: draft")
    project.article("a/r.md", "title: R\ncategory: general\nrelated: [d]")
    assert len(check(BuildOptions(root=project.root, today=TODAY))[0].warnings) == 1
    assert problems(project, strict=True) == [
        "content/eur/articles/a/r.md:4: warning: related: 'd' is a draft or scheduled article; "
        "it is left out until published"
    ]


def test_one_tenant_s_error_keeps_the_other_tenants_warnings(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.article("a/d.md", "title: D\ncategory: general\nstatus: draft", tenant="km")
    project.article("a/r.md", "title: R\ncategory: general\nrelated: [d]", tenant="km")
    project.article("a/bad.md", "title: Bad\ncategory: bill")
    (project.root / "content" / "kms").mkdir()
    assert main(["--root", str(project.root), "check"]) == 1
    said = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[0] for line in said] == [
        "content/eur/articles/a/bad.md:3",
        "content/km/articles/a/r.md:4",
        "content/kms/",
        "kbgen",
    ]
    assert said[-1] == "kbgen: 1 problem(s); nothing was written"


def test_tags_written_with_commas_and_an_article_related_to_itself_are_told(
    project: Project,
) -> None:
    project.article("a/t.md", "title: T\ncategory: general\ntags: rate limit, api")
    project.article("a/self.md", "title: S\ncategory: general\nrelated: [self]")
    assert problems(project) == [
        "content/eur/articles/a/self.md:4: warning: related: 'self' is this article itself, and"
        " is not listed as related to it",
        "content/eur/articles/a/t.md:4: tags: 'rate limit, api' holds a comma: write"
        " several tags as a list, [rate limit, api]",
    ]


def test_every_wrong_item_of_a_list_is_told_in_one_run(project: Project) -> None:
    project.article(
        "a/moved.md",
        "title: Moved\ncategory: general\nredirect_from: [/kb/ok.html, relative/path, /x?y]",
    )
    (problem,) = problems(project)
    assert problem.startswith("content/eur/articles/a/moved.md:4: redirect_from: item 2: ")
    assert "; item 3: " in problem


# One mistake, one error, at its cause.


def test_an_unclosed_quote_is_blamed_on_its_own_line(project: Project) -> None:
    front = 'title: Refunds\ncategory: "billing\nsummary: Money back\norder: 3'
    project.article("a/quote.md", front)
    assert problems(project) == [
        "content/eur/articles/a/quote.md:3: yaml: the quote that opens this value is never "
        "closed; end the value with the same quote (YAML: found unexpected end of stream while "
        "scanning a quoted scalar)"
    ]


@pytest.mark.parametrize(
    "front",
    [
        'title: Refunds\ncategory: "billing\nsummary: "Money back"\norder: 3',
        "title: Refunds\ncategory: 'billing\nsummary: It's money back\norder: 3",
    ],
    ids=["a quote later", "an apostrophe later"],
)
def test_an_unclosed_quote_closed_lines_later_is_blamed_where_it_opens(
    project: Project, front: str
) -> None:
    project.article("a/quote.md", front)
    (problem,) = problems(project)
    assert problem.startswith(
        "content/eur/articles/a/quote.md:3: yaml: the quote that opens this value is never "
        "closed; end the value with the same quote (YAML: "
    )


@pytest.mark.parametrize(
    "front",
    [
        'title: "C:\\\\"\ncategory: general\ntags: [a, b',
        'title: "Two\n  lines"\ncategory: general\ntags: [a, b',
    ],
    ids=["an escaped backslash before the quote", "a quoted value on two lines"],
)
def test_a_quote_closed_as_yaml_allows_is_not_blamed(project: Project, front: str) -> None:
    project.article("a/quote.md", front)
    (problem,) = problems(project)
    assert ": yaml: the list that opens with [ here is not closed" in problem


def test_a_colon_inside_a_value_says_to_quote_it(project: Project) -> None:
    project.article("a/colon.md", "title: Fix: it works\ncategory: general")
    [found] = problems(project)
    assert found.startswith("content/eur/articles/a/colon.md:2: yaml: a ': ' inside a value: ")
    assert 'put the value in quotes (title: "Fix: it works")' in found


def linked_from_everywhere(project: Project, front: str) -> None:
    """Write refunds.md with `front`, and three documents that link to it or name it."""
    project.article("billing/refunds.md", front, "## Refund policy\n\nWithin 30 days.\n")
    project.article("billing/cancel.md", "title: Cancel\ncategory: billing\nrelated: [refunds]",
                    "See [refunds](refunds.md#refund-policy).\n")  # fmt: skip
    project.faq("refund-time.md", "question: How long?\ncategory: billing",
                "See [the policy](../articles/billing/refunds.md).\n")  # fmt: skip


def test_a_wrong_category_is_one_error_not_one_per_link(project: Project) -> None:
    linked_from_everywhere(project, "title: Refunds\ncategory: Billing")
    assert problems(project) == [
        "content/eur/articles/billing/refunds.md:3: category: 'Billing' is not one of: "
        "getting_started, technical, billing, troubleshooting, api, integration, general; "
        "did you mean 'billing'?"
    ]


def test_a_yaml_error_is_one_error_not_one_per_link(project: Project) -> None:
    linked_from_everywhere(project, 'title: "Refunds\ncategory: billing')
    [found] = problems(project)
    assert found.startswith("content/eur/articles/billing/refunds.md:2: yaml: the quote")


def test_a_broken_documents_links_are_checked_in_the_same_run(project: Project) -> None:
    body = "## Steps\n\nSee [reset](../account/reset.md) and [up](#step).\n"
    project.article("a/both.md", "title: Both\ncategory: nope", body)
    assert problems(project) == [
        "content/eur/articles/a/both.md:3: category: 'nope' is not one of: getting_started, "
        "technical, billing, troubleshooting, api, integration, general",
        "content/eur/articles/a/both.md:7: link: #step is not a heading of articles/a/both.md; "
        "did you mean '#steps'? its anchors: steps",
        "content/eur/articles/a/both.md:7: link: '../account/reset.md': "
        "articles/account/reset.md does not exist",
    ]


def test_a_broken_documents_slug_still_counts(project: Project) -> None:
    project.article("a/one.md", "title: One\ncategory: nope\nslug: same")
    project.article("b/two.md", "title: Two\ncategory: general\nslug: same")
    assert problems(project) == [
        "content/eur/articles/a/one.md:3: category: 'nope' is not one of: getting_started, "
        "technical, billing, troubleshooting, api, integration, general",
        "content/eur/articles/b/two.md:4: slug: 'same' is already the slug of "
        "content/eur/articles/a/one.md; slugs must be unique",
    ]


def test_a_missing_link_target_names_the_nearest_path(project: Project) -> None:
    project.article("billing/refunds.md", "title: R\ncategory: billing")
    project.write("content/eur/images/chart.png", b"png")
    body = "[a](refund.md) [b](../account/refunds.md) ![c](../../images/chrat.png)\n"
    project.article("billing/links.md", "title: L\ncategory: billing", body)
    assert problems(project) == [
        "content/eur/articles/billing/links.md:5: image: '../../images/chrat.png': "
        "images/chrat.png does not exist; did you mean '../../images/chart.png'?",
        "content/eur/articles/billing/links.md:5: link: '../account/refunds.md': "
        "articles/account/refunds.md does not exist; did you mean 'refunds.md'?",
        "content/eur/articles/billing/links.md:5: link: 'refund.md': articles/billing/refund.md "
        "does not exist; did you mean 'refunds.md'?",
    ]


def test_a_related_slug_names_the_nearest_one(project: Project) -> None:
    project.article("a/r.md", "title: R\ncategory: general\nrelated: [welcom]")
    assert problems(project) == [
        "content/eur/articles/a/r.md:4: related: no article 'welcom'; did you mean 'welcome'?"
    ]


def test_an_faq_with_an_articles_field_names_its_own(project: Project) -> None:
    project.faq("q.md", "title: Why?\ncategory: general")
    found = problems(project)
    assert found[1].startswith(
        "content/eur/faqs/q.md:2: title: unknown field; did you mean 'question'? allowed:"
    )
    assert found[0] == "content/eur/faqs/q.md:1: question: is required but missing"


def test_root_relative_links_into_the_site_are_checked(project: Project) -> None:
    project.article("billing/refunds.md", "title: R\ncategory: billing", "## Policy\n\nText.\n")
    body = (
        "[ok](/eur/articles/refunds/) [faq](/eur/faq/) [cat](/eur/categories/billing/)\n"
        "[typo](/eur/articles/refund/) [anchor](/eur/articles/refunds/#polcy)\n"
        "[other tenant](/km/anything/) [elsewhere](/status)\n"
    )
    project.article("billing/links.md", "title: L\ncategory: billing", body)
    assert problems(project) == [
        "content/eur/articles/billing/links.md:6: link: #polcy is not a heading of "
        "articles/billing/refunds.md; did you mean '#policy'? its anchors: policy",
        "content/eur/articles/billing/links.md:6: link: '/eur/articles/refund/': this site has "
        "no page at /eur/articles/refund/; did you mean '/eur/articles/refunds/'?",
    ]


def test_the_ticket_forms_folder_is_the_services_not_the_sites(project: Project) -> None:
    site = (project.root / "content/site.yaml").read_text()
    project.write("content/site.yaml", site.replace("https://desk.test/eur/tickets/new",
                                                    "/eur/tickets/new"))  # fmt: skip
    body = "[contact us](/eur/tickets/new) or [find a request](/eur/tickets/recover)\n"
    project.article("a/contact.md", "title: C\ncategory: general", body)
    assert len(check(BuildOptions(root=project.root, today=TODAY))) == 2


def test_an_faq_slug_may_not_be_an_id_of_the_faq_page(project: Project) -> None:
    project.faq("main.md", "question: Where is the main page?\ncategory: general")
    project.faq("b.md", "question: Billing?\ncategory: billing\nslug: faq-billing")
    assert problems(project) == [
        "content/eur/faqs/b.md:4: slug: 'faq-billing' is an id of the FAQ page itself; "
        "choose another slug",
        "content/eur/faqs/main.md:1: slug: 'main' is an id of the FAQ page itself; "
        "choose another slug",
    ]


def test_a_site_at_the_hosts_root_checks_only_its_own_folders(project: Project) -> None:
    site = (project.root / "content/site.yaml").read_text()
    project.write("content/site.yaml", site.replace("https://help.test/eur/", "https://help.test/"))
    body = (
        "[api](/api/v1/eur/kb/search) [desk](/desk/eur/queue) [ok](/articles/welcome/)\n"
        "[typo](/articles/welcom/) [empty category](/categories/api/)\n"
    )
    project.article("a/links.md", "title: L\ncategory: general", body)
    assert problems(project) == [
        "content/eur/articles/a/links.md:6: link: '/articles/welcom/': this site has no page at "
        "/articles/welcom/; did you mean '/articles/welcome/'?",
        "content/eur/articles/a/links.md:6: link: '/categories/api/': this site has no page at "
        "/categories/api/",
    ]


def test_copies_of_pages_are_refused_and_editor_leftovers_never_published(
    project: Project,
) -> None:
    """A draft saved as launch.txt or launch.md.bak would be published as it is, front-matter
    and secret text too; an editor's backup or autosave is no part of the site."""
    draft = "title: Launch\ncategory: general\nstatus: draft"
    page = project.article("a/launch.md", draft, "SECRET LAUNCH\n")
    folder = page.parent
    for name in ("launch.txt", "launch.md.bak", "launch.md~", "#launch.md#"):
        (folder / name).write_bytes(page.read_bytes())
    (folder / "launch.html").write_bytes(b"\xef\xbb\xbf" + page.read_bytes())  # a BOM first
    (folder / "link.html").symlink_to(page)
    (folder / "config.yaml").write_text("---\nname: example\n---\nport: 8000\n")  # a download
    found = sorted(problems(project))
    copy = (": file: is a copy of a Markdown page (so its name says, or its front-matter with a"
            " title or question): published as a file, its text would be public as it is, drafts"
            " too; remove it, or name it .md to make it a page")  # fmt: skip
    copies = ("launch.html", "launch.md.bak", "launch.txt", "link.html")
    assert found == [f"content/eur/articles/a/{name}:1{copy}" for name in copies]
    for name in copies:
        (folder / name).unlink()
    assert main(["-q", "--root", str(project.root), "build"]) == 0
    site = project.root / "site" / "eur"
    published = [p.name for p in site.rglob("*") if p.is_file()]
    assert "config.yaml" in published
    assert not [name for name in published if "launch" in name]
    assert not [p for p in site.rglob("*") if p.is_file() and b"SECRET" in p.read_bytes()]


def test_files_kbgen_cannot_publish_are_named_not_published(
    project: Project, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    images = project.root / "content" / "eur" / "images"
    images.mkdir(parents=True, exist_ok=True)
    (images / "passwd.txt").symlink_to(secret)  # outside the tenant: would be published
    (images / "gone.svg").symlink_to(tmp_path / "nothing-here.svg")
    (images / "shared").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(images / "pipe.svg")  # would hang the build
    project.article("a/ok.md", "title: Fine\ncategory: general")
    (project.root / "content" / "eur" / "articles" / "a" / "notes.MD").write_text("---\n")
    (project.root / "content" / "eur" / "articles" / "a" / "howto.markdown").write_text("x")
    (images / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (images / "inside.svg").symlink_to(images / "logo.svg")  # fine
    found = sorted(problems(project))
    assert found == [
        "content/eur/articles/a/howto.markdown:1: file: kbgen reads Markdown only from .md files"
        " (this one would be published as it is); rename it to howto.md",
        "content/eur/articles/a/notes.MD:1: file: kbgen reads Markdown only from .md files"
        " (this one would be published as it is); rename it to notes.md",
        f"content/eur/images/gone.svg:1: file: is a link to {tmp_path / 'nothing-here.svg'},"
        " outside this tenant's folder (or missing): kbgen publishes only files inside it",
        f"content/eur/images/passwd.txt:1: file: is a link to {secret}, outside this tenant's"
        " folder (or missing): kbgen publishes only files inside it",
        "content/eur/images/pipe.svg:1: file: is not a regular file (a pipe, socket or device);"
        " remove it",
        "content/eur/images/shared:1: file: is a link to a folder, which kbgen does not follow;"
        " copy the folder here",
    ]


def test_a_file_name_that_is_not_utf8_is_named_not_a_crash(project: Project) -> None:
    project.article("a/ok.md", "title: Fine\ncategory: general")
    folder = os.fsencode(project.root / "content" / "eur" / "articles" / "a")
    with open(os.path.join(folder, b"caf\xe9.md"), "wb") as handle:
        handle.write(b"---\ntitle: Latin-1\ncategory: general\n---\n")
    assert problems(project) == [
        "content/eur/articles/a/caf\\udce9.md:1: file: its name is not UTF-8 text; rename it"
    ]


def test_content_nested_deeper_than_rendered_is_an_error_not_lost(project: Project) -> None:
    deep = "\n".join("  " * level + f"- item {level}" for level in range(25))
    project.article("a/deep.md", "title: Deep\ncategory: general", f"Intro.\n\n{deep}\n")
    quoted = "> " * 60 + "the quote's words"
    project.article("a/quoted.md", "title: Quoted\ncategory: general", f"{quoted}\n")
    assert problems(project) == [
        "content/eur/articles/a/deep.md:25: markdown: lists, quotes and callouts nest here as"
        " deep as kbgen renders (40 levels, a list counting two); anything deeper would be lost:"
        " nest less",
        "content/eur/articles/a/quoted.md:5: markdown: lists, quotes and callouts nest here as"
        " deep as kbgen renders (40 levels, a list counting two); anything deeper would be lost:"
        " nest less",
    ]


def test_control_characters_are_named_where_they_are(project: Project) -> None:
    """One in a page's text made the feed no XML at all, which readers refuse whole."""
    project.article("a/raw.md", "title: Raw\ncategory: general", "Fine.\n\nBell \x07 here.\n")
    project.article("a/escaped.md", 'title: "Reset\\x01 pw"\ncategory: general')
    assert problems(project) == [
        "content/eur/articles/a/escaped.md:2: title: holds a control character, invisible and"
        " not allowed in a page; remove it",
        "content/eur/articles/a/raw.md:7: encoding: contains the control character U+0007,"
        " invisible and not allowed in a web page or a feed; remove it",
    ]


def test_markdown_outside_articles_and_faqs_is_a_warning(project: Project) -> None:
    project.article("a/ok.md", "title: Fine\ncategory: general")
    project.write("content/eur/faq/refunds.md", "---\nquestion: Refunds?\ncategory: billing\n---\n")
    project.write("content/eur/README.md", "Notes for writers.\n")  # a writer's own notes
    assert problems(project, strict=True) == [
        "content/eur/faq/refunds.md:1: warning: file: is neither an article nor an FAQ (those"
        " are in articles/ and faqs/): not published; did you mean faqs/?"
    ]


def test_an_update_after_today_is_a_warning(project: Project) -> None:
    project.article(
        "a/u.md", "title: U\ncategory: general\npublished: 2026-01-05\nupdated: 2062-01-05"
    )
    assert problems(project, strict=True) == [
        "content/eur/articles/a/u.md:5: warning: updated: 2062-01-05 is after today (2026-11-25);"
        " write the day it was updated"
    ]


def test_a_page_that_cannot_be_read_is_one_error_not_two(project: Project) -> None:
    project.article("a/linker.md", "title: L\ncategory: general", "See [this](target.md#part).\n")
    project.write(
        "content/eur/articles/a/target.md", b"---\ntitle: T\xff\ncategory: general\n---\n"
    )
    project.write("content/eur/articles/a/open.md", "---\ntitle: O\ncategory: general\n## part\n")
    project.article("a/other.md", "title: M\ncategory: general", "See [that](open.md#part).\n")
    found = problems(project)
    assert [p.split(":")[0] for p in found] == [
        "content/eur/articles/a/open.md", "content/eur/articles/a/target.md"]  # fmt: skip


@pytest.mark.parametrize(
    ("front", "said"),
    [
        ("title:Reset your password\ncategory: general",
         "content/eur/articles/a/y.md:2: yaml: a space must follow the colon after title:"
         " write 'title: …'"),
        ("title: T\ncategory: general\nsummary: #1 tip",
         "content/eur/articles/a/y.md:4: summary: is empty: YAML reads what follows # as a"
         ' comment; quote the value, e.g. "#0f766e"'),
        ("title: T\ncategory: general\ntags:\n  - alpha\n   - beta",
         "content/eur/articles/a/y.md:6: tags[0]: this item runs on from the line before:"
         " indent each - of a list alike"),
    ],
)  # fmt: skip
def test_yaml_that_reads_otherwise_than_meant_is_named(
    project: Project, front: str, said: str
) -> None:
    project.article("a/y.md", front)
    assert problems(project) == [said]


def test_an_empty_value_with_a_note_after_it_is_only_empty(project: Project) -> None:
    project.article("a/n.md", "title: N\ncategory: general\nsummary:  # to write")
    assert problems(project) == [
        "content/eur/articles/a/n.md:4: summary: must be text, got nothing"
    ]


def test_a_link_missing_its_folder_is_pointed_to_the_file_of_that_name(project: Project) -> None:
    project.article("account/delete-account.md", "title: D\ncategory: general")
    project.article("troubleshooting/account-locked.md", "title: L\ncategory: general")
    project.article("account/links.md", "title: K\ncategory: general",
                    "[locked](account-locked.md) and [none](nope-fn.md)\n")  # fmt: skip
    assert problems(project) == [
        "content/eur/articles/account/links.md:5: link: 'account-locked.md':"
        " articles/account/account-locked.md does not exist; did you mean"
        " '../troubleshooting/account-locked.md'?",
        "content/eur/articles/account/links.md:5: link: 'nope-fn.md':"
        " articles/account/nope-fn.md does not exist",  # nor the page that links
    ]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("title: yes", "title: must be text, got true (YAML reads yes, no, on and off so:"
                       " quote the words)"),
        ("tags: 5", "tags: must be a list (or one word), got 5 (a number: quote it)"),
    ],
)  # fmt: skip
def test_a_value_yaml_read_as_another_type_says_what_it_read(
    project: Project, line: str, said: str
) -> None:
    key = line.split(":")[0]
    front = "\n".join(
        ["title: T", "category: general"] if key != "title" else ["category: general"]
    )
    project.article("a/t.md", f"{front}\n{line}")
    (found,) = problems(project)
    assert found.endswith(said)
