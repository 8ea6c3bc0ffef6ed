"""A look per tenant from site.yaml: logo, favicon, accents checked for contrast, the home
page's words, footer links, category descriptions; each mistake located on its line."""

from __future__ import annotations

import datetime as dt
import re
import textwrap

import pytest

from kbgen.brand import Brand, contrast
from kbgen.build import build
from kbgen.config import SITE_FILE, BuildOptions, load_site_config
from kbgen.errors import ContentError
from tests.conftest import SITE_YAML, Project

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'


def with_brand(project: Project, eur_extra: str) -> None:
    """Write site.yaml with `eur_extra` (YAML, indented as eur's fields) added to eur."""
    extra = textwrap.indent(textwrap.dedent(eur_extra).strip("\n"), "    ")
    line = "    intake_url: https://desk.test/eur/tickets/new\n"
    text = SITE_YAML.replace(line, f"{line}{extra}\n")
    (project.root / SITE_FILE).write_text(text)


def problems(project: Project) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_site_config(project.root)
    return [str(p) for p in caught.value.problems]


def test_contrast_follows_wcag() -> None:
    assert contrast("#000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#fff") == pytest.approx(4.48, abs=0.01)  # just under AA
    assert contrast("#0b57d0", "#ffffff") == contrast("#ffffff", "#0b57d0")


def test_the_brand_shows_on_every_page_and_tenants_differ(project: Project) -> None:
    project.write("content/eur/images/brand/logo.svg", SVG)
    project.write("content/eur/images/brand/icon.svg", SVG)
    project.article("guide/billing.md", "title: Pay\ncategory: billing")
    with_brand(
        project,
        """
        brand:
          logo: images/brand/logo.svg
          favicon: images/brand/icon.svg
          accent: "#0F766E"
          accent_dark: "#5eead4"
          hero: Ask Test anything
          search_placeholder: e.g. invoices
          footer_links:
            - {label: Status, url: "https://status.test"}
            - {label: Terms, url: /legal/}
        categories:
          billing: Money <in> and out.
    """,
    )
    build(BuildOptions(root=project.root, quiet=True, today=dt.date(2026, 11, 25)))
    site = project.root / "site"
    home = (site / "eur" / "index.html").read_text()
    assert '<img class="brand-logo" src="/eur/images/brand/logo.svg" alt="">' in home
    assert '<link rel="icon" href="/eur/images/brand/icon.svg">' in home
    assert re.search(r'<link rel="stylesheet" href="/eur/assets/brand\.[0-9a-f]{10}\.css">', home)
    assert "<h1>Ask Test anything</h1>" in home and 'placeholder="e.g. invoices"' in home
    assert 'href="https://status.test">Status</a>' in home and 'href="/legal/">Terms</a>' in home
    assert "Money &lt;in&gt; and out." in home  # the category's card, escaped
    css = (site / "eur" / "assets" / "brand.css").read_text()
    assert "@media (prefers-color-scheme: light) { :root { --accent: #0f766e; } }" in css
    assert "@media (prefers-color-scheme: dark) { :root { --accent: #5eead4; } }" in css
    billing = (site / "eur" / "categories" / "billing" / "index.html").read_text()
    assert '<p class="summary">Money &lt;in&gt; and out.</p>' in billing
    assert '<meta name="description" content="Money &lt;in&gt; and out.">' in billing
    km = (site / "km" / "index.html").read_text()  # the other tenant keeps the theme's look
    assert "brand-logo" not in km and "brand.css" not in km and "<h1>How can we help?</h1>" in km
    assert not (site / "km" / "assets" / "brand.css").exists()


def test_a_faint_accent_is_refused_on_its_line_with_its_contrast(project: Project) -> None:
    with_brand(
        project,
        """
        brand:
          accent: "#7aa7ff"
          accent_dark: "#1d4ed8"
    """,
    )
    found = problems(project)
    assert found == [
        f"{SITE_FILE}:10: tenants.eur.brand.accent: #7aa7ff on the page (#ffffff) has a"
        " contrast of 2.39:1 in the light scheme; WCAG AA needs 4.5:1 for text",
        f"{SITE_FILE}:11: tenants.eur.brand.accent_dark: #1d4ed8 on the page (#0f1419) has a"
        " contrast of 2.76:1 in the dark scheme; WCAG AA needs 4.5:1 for text",
    ]


def test_each_brand_mistake_is_one_located_error(project: Project) -> None:
    with_brand(
        project,
        """
        brand:
          logo: images/missing.svg
          favicon: ../outside.png
          acent: "#000000"
          hero: "two\\nlines"
          footer_links:
            - {label: Status}
        categories:
          Billing: Money.
    """,
    )
    found = problems(project)
    assert found == [
        f"{SITE_FILE}:10: tenants.eur.brand.logo: content/eur/images/missing.svg does not exist",
        f"{SITE_FILE}:11: tenants.eur.brand.favicon: give a path under content/eur/, such as"
        " images/favicon.svg",
        f"{SITE_FILE}:12: tenants.eur.brand.acent: unknown field; allowed: logo, favicon, accent,"
        " accent_dark, hero, search_placeholder, footer_links; did you mean 'accent'?",
        f"{SITE_FILE}:13: tenants.eur.brand.hero: must be one line of 1 to 80 characters",
        f"{SITE_FILE}:14: tenants.eur.brand.footer_links[1]: give label and url, e.g."
        " {label: Status, url: https://status.example}",
        f"{SITE_FILE}:17: tenants.eur.categories.Billing: not a category; use one of"
        " getting_started, technical, billing, troubleshooting, api, integration, general;"
        " did you mean 'billing'?",
    ]


def test_an_accent_for_one_scheme_leaves_the_other_to_the_theme() -> None:
    """The light accent was checked on light backgrounds only: dark pages keep the theme's."""
    assert Brand(accent="#0f766e").css() == (
        "@media (prefers-color-scheme: light) { :root { --accent: #0f766e; } }\n"
    )
    assert Brand(accent_dark="#5eead4").css() == (
        "@media (prefers-color-scheme: dark) { :root { --accent: #5eead4; } }\n"
    )
    assert Brand().css() == ""


def test_a_key_repeated_at_any_depth_is_an_error(project: Project) -> None:
    """YAML keeps the last value of a repeated key: a second `eur:` where `km:` was meant
    dropped the km tenant and retitled eur without a word."""
    twice = SITE_YAML.replace("  km:\n    name: KM Help", "  eur:\n    name: KM Help")
    twice = twice.replace("    language: en\n", "    language: en\n    language: fr\n", 1)
    (project.root / SITE_FILE).write_text(twice)
    assert problems(project) == [
        f"{SITE_FILE}:7: tenants.eur.language: appears twice",
        f"{SITE_FILE}:10: tenants.eur: appears twice",
    ]


def test_a_tenant_cannot_take_an_address_of_the_ticket_service(project: Project) -> None:
    # /desk/ would serve the agents' desk, never this tenant's help center.
    (project.root / SITE_FILE).write_text(SITE_YAML.replace("  km:\n", "  desk:\n"))
    assert problems(project) == [
        f"{SITE_FILE}:9: tenants.desk.id: /desk/ is the ticket service's own address; choose"
        " another id"
    ]


def test_each_tenant_needs_its_own_prefix_and_address_and_a_clean_one(project: Project) -> None:
    text = SITE_YAML.replace("ticket_prefix: KM", "ticket_prefix: EUR")
    text = text.replace("https://help.test/km/", "https://help.test/eur/")
    (project.root / SITE_FILE).write_text(text)
    assert problems(project) == [
        f"{SITE_FILE}:11: tenants.km.base_url: 'https://help.test/eur/' is eur's too; each tenant"
        " needs its own",
        f"{SITE_FILE}:13: tenants.km.ticket_prefix: 'EUR' is eur's too; each tenant needs its own",
    ]
    spaced = SITE_YAML.replace("https://desk.test/eur/tickets/new", "https://desk test/eur/")
    (project.root / SITE_FILE).write_text(spaced)
    assert problems(project) == [
        f"{SITE_FILE}:8: tenants.eur.intake_url: 'https://desk test/eur/' holds a space or one"
        ' of " < > \\ `: write it %-encoded'
    ]
