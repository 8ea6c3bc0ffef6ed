"""The kbgen command line: new, check, build, serve, search."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from kbgen import __version__
from kbgen.build import build, check, check_pages
from kbgen.config import BuildOptions, load_site_config
from kbgen.errors import ContentError, KbgenError, Severity
from kbgen.new import NEXT_STEPS, new_project
from kbgen.schema import KbCategory


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kbgen", description="Build a help center from Markdown.")
    parser.add_argument("--root", type=Path, default=Path("."), help="the project (default: .)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    parser.add_argument("--version", action="version", version=f"kbgen {__version__}")
    # --root and -q also after the command (`kbgen build -q`); given there, they win.
    anywhere = argparse.ArgumentParser(add_help=False)
    anywhere.add_argument("--root", type=Path, default=argparse.SUPPRESS, help="the project")
    anywhere.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="print only problems"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser = functools.partial(sub.add_parser, parents=[anywhere])
    start = add_parser("new", help="start a help center in a folder without content/")
    start.add_argument("dir", type=_folder, help="the folder (made if missing)")
    for name, text in (
        ("check", "validate content; write nothing"),
        ("build", "validate, then write"),
    ):
        cmd = add_parser(name, help=text)
        cmd.add_argument(
            "--drafts", action="store_true", help="include drafts and scheduled articles"
        )
        cmd.add_argument("--strict", action="store_true", help="treat warnings as errors")
        cmd.add_argument(
            "--tenant", action="append", default=[], help="only this tenant (repeatable)"
        )
    preview = add_parser("serve", help="build, serve on 127.0.0.1, rebuild on change")
    preview.add_argument("--host", default="127.0.0.1")
    preview.add_argument("--port", type=_port, default=8000)
    preview.add_argument(
        "--drafts", action="store_true", help="include drafts and scheduled articles"
    )
    preview.add_argument(
        "--intake", default="", metavar="URL",
        help="a running intake service (http://127.0.0.1:PORT): Contact support opens its form",
    )  # fmt: skip
    find = add_parser("search", help="search a tenant's built Whoosh index")
    find.add_argument("query", help="what a customer would type")
    find.add_argument("--tenant", help="default: the default tenant of site.yaml")
    find.add_argument("--category", choices=[c.value for c in KbCategory])
    find.add_argument("--limit", type=_limit, default=5, help="results to show, 1 to 100")
    return parser


def _search(args: argparse.Namespace) -> int:
    from kbgen.search import search  # Whoosh: only this command of kbgen's reads an index

    root = args.root.resolve()
    config = load_site_config(root)
    tenant = config.tenant(args.tenant or config.default_tenant)
    try:
        results = search(tenant.id, args.query, args.category, args.limit, root / "build")
    except FileNotFoundError as exc:
        raise KbgenError(str(exc)) from None
    if not results:
        print("No results.")
    for rank, hit in enumerate(results, 1):
        print(f"{rank}. {hit.title} [{hit.kind}, {hit.category}] {tenant.absolute(hit.url)}")
        print(f"   {hit.snippet}")
    return 0


def _new(args: argparse.Namespace) -> int:
    files = new_project(args.dir)
    if not args.quiet:
        print(f"kbgen: wrote {len(files)} files into {args.dir}")
        print(f"Next: cd {args.dir} && kbgen serve (see {NEXT_STEPS} there)")
    return 0


def _options(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(
        root=args.root.resolve(),
        drafts=args.drafts,
        strict=getattr(args, "strict", False),
        tenants=tuple(getattr(args, "tenant", [])),
        quiet=args.quiet,
    )


def _limit(text: str) -> int:
    """How many results: 1 to 100 (0 showed "No results." as if nothing matched)."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of results (1 to 100)")
    return int(text)


def _folder(text: str) -> Path:
    """A folder's name: an empty one is the working folder, which `kbgen new ""` filled."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give the new help center's folder (. for this one)")
    return Path(text)


def _port(text: str) -> int:
    """A TCP port: 0 (any free one) to 65535."""
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run kbgen; print content problems as path:line: field: message and return 1 on error."""
    parser = _parser()
    args = parser.parse_args(argv)
    address = urlsplit(getattr(args, "intake", ""))
    if args.command == "serve" and args.intake and (address.scheme not in ("http", "https")
                                                    or not address.hostname):  # fmt: skip
        parser.error(f"--intake: {args.intake!r} is not an http:// or https:// address")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    if args.command in ("new", "search"):
        try:
            return _new(args) if args.command == "new" else _search(args)
        except KbgenError as exc:
            print(f"kbgen: {exc}", file=sys.stderr)
            return 1
    options = _options(args)
    try:
        if args.command == "check":
            checked = check(options)
            check_pages(checked, options)
        elif args.command == "build":
            checked = build(options)
        else:
            from kbgen.serve import serve  # the preview's server and watcher: not for a build

            serve(options, args.host, args.port, announce=lambda line: print(line, flush=True),
                  intake=args.intake)  # fmt: skip
            return 0
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        errors = sum(p.severity is Severity.ERROR or options.strict for p in exc.problems)
        print(f"kbgen: {errors} problem(s); nothing was written", file=sys.stderr)
        return 1
    except KbgenError as exc:
        print(f"kbgen: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the file system or the network said no: what and where, no trace
        print(f"kbgen: {exc}; the last good site stays", file=sys.stderr)
        return 1
    for item in checked:
        for warning in sorted(item.warnings):
            print(warning, file=sys.stderr)
        if not args.quiet:
            site = item.site
            print(f"{item.tenant.id}: {len(site.articles)} articles, {len(site.faqs)} FAQs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
