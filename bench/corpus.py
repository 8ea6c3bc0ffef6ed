"""Generate a help center of N articles shaped like real ones, for the benchmarks.

python -m bench.corpus OUT_DIR [--articles 5000] [--faqs 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import re
from collections import Counter
from pathlib import Path

from kbgen.search import SearchDoc

CATEGORIES = [
    "getting_started", "technical", "billing", "troubleshooting", "api", "integration", "general",
]  # fmt: skip
SECTIONS = ["account", "billing", "api", "deploy", "integrations", "troubleshooting", "security"]
WORDS = (
    "account api key token invoice refund billing plan subscription password reset login email "
    "domain dns certificate https deploy build container region database backup restore replica "
    "webhook event payload signature retry timeout limit quota usage alert dashboard project team "
    "member role owner admin permission sso saml oauth scope secret rotate revoke export import "
    "csv json report metric log trace error status code request response header cache latency "
    "region cluster node storage bucket upload download file image map tile route geocode address "
    "coordinate search filter sort page cursor offset version upgrade downgrade cancel trial "
    "payment card vat tax receipt currency euro monthly annual discount credit support ticket "
    "chat agent queue priority incident outage maintenance notification slack github integration "
    "setting profile security session device browser mobile android ios sdk library install "
    "configure enable disable verify confirm create delete update rename move copy share invite"
).split()
LANGS = ["bash", "python", "json", "javascript", "yaml", "http"]


def _vocabulary(size: int = 6000) -> tuple[list[str], list[float]]:
    """Return help-center words plus made-up ones, with Zipf weights as in natural text."""
    rng = random.Random(42)
    syllables = ["ka", "lo", "mi", "ter", "son", "ra", "vel", "quin", "dor", "pex", "ul", "zan"]
    words = list(WORDS)
    while len(words) < size:
        made = "".join(rng.choices(syllables, k=rng.randint(2, 4)))
        if made not in words:
            words.append(made)
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


VOCABULARY, WEIGHTS = _vocabulary()
CUMULATIVE = list(itertools.accumulate(WEIGHTS))  # choices() would re-add 6,000 weights each call


def sentence(rng: random.Random, low: int = 8, high: int = 18) -> str:
    words = rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))


def title(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(3, 6))).capitalize()


def article_body(rng: random.Random, index: int, slugs: list[str], words: int) -> str:
    """Return a Markdown body of about `words` words using every feature writers use."""
    parts: list[str] = []
    count = 0
    section = 0
    while count < words:
        section += 1
        parts.append(f"## Step {section}: {title(rng)}")
        text = paragraph(rng)
        other = rng.choice(slugs)
        if other != slugs[index]:
            text += f" See [{other.replace('-', ' ')}](../s{slugs.index(other) % 7}/{other}.md)."
        parts.append(text)
        count += len(text.split())
        kind = section % 5
        if kind == 0:
            lang = rng.choice(LANGS)
            code = "\n".join(f"example --{w} {rng.randint(1, 99)}" for w in rng.choices(WORDS, k=4))
            parts.append(f"```{lang}\n{code}\n```")
        elif kind == 1:
            rows = "\n".join(
                f"| {rng.choice(WORDS)} | {rng.randint(1, 500)} | {sentence(rng, 3, 6)} |"
                for _ in range(4)
            )
            parts.append("| Name | Limit | Notes |\n|---|---|---|\n" + rows)
        elif kind == 2:
            parts.append("\n".join(f"{i}. {sentence(rng, 5, 10)}" for i in range(1, 5)))
        elif kind == 3:
            parts.append(f"> [!NOTE]\n> {sentence(rng)}")
            parts.append(f"![{title(rng)}](../../images/diagram-{index % 5}.svg)")
        else:
            parts.append(f'!!! warning "{title(rng)}"\n    {sentence(rng)}')
            parts.append("\n".join(f"- {sentence(rng, 4, 9)}" for _ in range(4)))
    return "\n\n".join(parts) + "\n"


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">'
    '<rect width="200" height="100" fill="#e0e7ff"/><text x="20" y="55">Diagram {n}</text></svg>\n'
)
SITE_YAML = """\
default_tenant: eur
tenants:
  eur:
    name: Bench EUR
    base_url: https://help.bench.example/eur/
    language: en
    ticket_prefix: EUR
  km:
    name: Bench KM
    base_url: https://help.bench.example/km/
    language: en
    ticket_prefix: KM
"""


def generate(out: Path, articles: int, faqs: int, seed: int = 1) -> Path:
    """Write content/ for a generated help center under `out`; return the project root."""
    rng = random.Random(seed)
    content = out / "content"
    content.mkdir(parents=True)
    (content / "site.yaml").write_text(SITE_YAML)
    for tenant_index, tenant in enumerate(("eur", "km")):
        share = articles // 2 + (articles % 2 if tenant_index == 0 else 0)
        base = content / tenant
        (base / "images").mkdir(parents=True)
        for n in range(5):
            (base / "images" / f"diagram-{n}.svg").write_text(SVG.format(n=n))
        slugs = [f"article-{tenant}-{i:05d}" for i in range(share)]
        for i, slug in enumerate(slugs):
            words = rng.randint(300, 1500)
            published = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
            updated = published + dt.timedelta(days=rng.randint(0, 100))
            related = rng.sample(slugs, k=min(2, len(slugs)))
            related = [r for r in related if r != slug]
            tags = rng.sample(WORDS, k=3)
            front = (
                f"---\ntitle: {title(rng)} {i}\ncategory: {CATEGORIES[i % 7]}\n"
                f"summary: {sentence(rng)}\ntags: [{', '.join(tags)}]\nstatus: published\n"
                f"published: {published}\nupdated: {updated}\nslug: {slug}\n"
                f"redirect_from: [/old/{slug}.html]\nrelated: [{', '.join(related)}]\n"
                f"order: {i}\nfeatured: {'true' if i < 4 else 'false'}\n---\n"
            )
            folder = base / "articles" / f"s{i % 7}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{slug}.md").write_text(front + article_body(rng, i, slugs, words))
        (base / "faqs").mkdir()
        for i in range(faqs // 2):
            text = (
                f"---\nquestion: {title(rng)} {i}?\ncategory: {CATEGORIES[i % 7]}\norder: {i}\n"
                f"---\n{paragraph(rng)}\n"
            )
            (base / "faqs" / f"faq-{i:04d}.md").write_text(text)
    return out


def crowd(docs: list[SearchDoc], count: int, rng: random.Random) -> list[SearchDoc]:
    """Return `count` generated articles written with the words of `docs`, each as often as
    `docs` use it: the words a customer's question leans on ("refund", "invoice", "account")
    become words most documents hold."""
    words = Counter(w for d in docs for w in re.findall(r"[a-z]{3,}", _text(d).lower()))
    vocabulary, weights = list(words), list(words.values())
    categories = sorted({d.category for d in docs})

    def prose(length: int) -> str:
        return " ".join(rng.choices(vocabulary, weights, k=length))

    return [
        SearchDoc("article", f"crowd-{n}", prose(5).capitalize(), prose(15),
                  tuple(prose(3).split()), rng.choice(categories), f"/crowd-{n}/",
                  prose(rng.randint(150, 600)))
        for n in range(count)
    ]  # fmt: skip


def _text(doc: SearchDoc) -> str:
    body = doc.body if isinstance(doc.body, str) else doc.body.read_text()
    return f"{doc.title} {doc.summary} {body}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--faqs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.articles, args.faqs, args.seed)
    print(f"wrote {args.articles} articles and {args.faqs} FAQs under {args.out}/content")


if __name__ == "__main__":
    main()
