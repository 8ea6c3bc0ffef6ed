"""Load a YAML mapping safely, remembering the line of every top-level key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kbgen.errors import Problem

# libyaml's parser is about ten times faster than the pure-Python one; both give line marks.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader that keeps dates as text, so a bad date is our clear error, not a crash."""


# Drop the implicit timestamp resolver: `published: 2026-13-40` must reach validation as a string.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class LoadedMapping:
    """A top-level YAML mapping with each key's 1-based line in the source file."""

    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, key: str, default: int) -> int:
        """Return the line of `key`, or `default` when the key is absent."""
        return self.lines.get(key, default)


def _nested_lines(
    node: yaml.Node, prefix: str, first_line: int, lines: dict[str, int], twice: list[Problem],
    path: str,
) -> None:  # fmt: skip
    """Record the line of every nested mapping key as `outer.inner` (list items as
    `outer[0].inner`), and each key a mapping repeats in `twice`: YAML keeps the last value,
    which silently dropped a whole tenant named twice."""
    if isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            _nested_lines(item, f"{prefix}[{number}]", first_line, lines, twice, path)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            name = f"{prefix}.{key_node.value}"
            line = first_line + key_node.start_mark.line
            if key_node.value in seen:
                twice.append(Problem(path, line, name, "appears twice"))
                continue
            seen.add(key_node.value)
            lines.setdefault(name, line)
            _nested_lines(value_node, name, first_line, lines, twice, path)


def _slips(
    node: yaml.Node, name: str, first_line: int, lines: list[str], problems: list[Problem],
    path: str,
) -> None:  # fmt: skip
    """Report what YAML reads without complaint but a writer did not mean: a value left empty
    because it began with # (YAML's comment: "accent: #0f766e"), and a list item that runs on
    to the next line (an item indented deeper than the one before joins it: "a - b").
    `lines` are the text's, split once."""
    if isinstance(node, yaml.ScalarNode):
        line = lines[node.start_mark.line] if node.start_mark.line < len(lines) else ""
        # "#0f766e" read as a comment; "key:  # a note" (a space after #) is left alone
        if node.tag == "tag:yaml.org,2002:null" and not node.value and _SWALLOWED.search(line):
            problems.append(Problem(path, first_line + node.start_mark.line, name,
                                    "is empty: YAML reads what follows # as a comment; quote the"
                                    " value, e.g. \"#0f766e\""))  # fmt: skip
        return
    if isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            runs_on = (isinstance(item, yaml.ScalarNode) and not item.style
                       and item.end_mark.line > item.start_mark.line)  # fmt: skip
            if runs_on:
                problems.append(Problem(path, first_line + item.end_mark.line,
                                        f"{name}[{number}]", "this item runs on from the line"
                                        " before: indent each - of a list alike"))  # fmt: skip
            _slips(item, f"{name}[{number}]", first_line, lines, problems, path)
        return
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                _slips(value_node, f"{name}.{key_node.value}", first_line, lines, problems, path)


_TAB = "a tab indents this line; YAML indents with spaces only"
# What YAML says, in a writer's words: (YAML's problem, its context, or "" for any) -> advice.
# The line blamed is where the construct began for the unclosed ones, else where YAML stopped.
_PLAIN: tuple[tuple[str, str, bool, str], ...] = (
    ("end of stream", "quoted scalar", True,
     "the quote that opens this value is never closed; end the value with the same quote"),
    ("expected ',' or ']'", "", True,
     "the list that opens with [ here is not closed with ], or lacks a comma between items"),
    ("expected ',' or '}'", "", True,
     "the mapping that opens with { here is not closed with }, or lacks a comma"),
    ("mapping values are not allowed", "", False,
     "a ': ' inside a value: put the value in quotes (title: \"Fix: it works\"), "
     "or check this line's indentation"),
    ("tab character", "", False, _TAB),
    ("cannot start any token", "", False,
     "a value cannot start with this character; put the value in quotes"),
    ("expected key", "block mapping", False,
     "this line does not continue the 'key: value' lines above: check its indentation, "
     "and quote a value that goes on after a closing quote"),
    ("expected <block end>", "", False,
     "this line's indentation does not match the lines above; check its spaces"),
)  # fmt: skip


_SWALLOWED = re.compile(r":\s+#\S")
# "title:Reset" (no space after the colon) reads as one word, and YAML trips a line later.
_NO_SPACE = re.compile(r"^\s*(?:- )?([A-Za-z_][\w-]*):(?=[^\s/\\:])")


# A value that opens a quote: `key: "…` or `- '…`.
_OPENS_QUOTE = re.compile(r"""^\s*(?:-\s+|[^\s:#'"][^:#]*:\s+)(["'])(.*)$""")


def _unclosed_quote(text: str, stop: int) -> int | None:
    """Return the 0-based line whose value opens a quote that YAML closes only on line `stop`,
    where it gave up, or None. A front-matter value never spans lines on purpose: YAML ended
    it at a quote or apostrophe ("It's") of a later value, and stumbled on what followed."""
    lines = text.split("\n")
    for number, written in enumerate(lines[:stop]):
        found = _OPENS_QUOTE.match(written)
        if found is None or _closing(found[1], written[found.end(1) :]) is not None:
            continue
        for later in range(number + 1, len(lines)):
            if _closing(found[1], lines[later]) is not None:
                return number if later == stop else None
        return None
    return None


def _closing(quote: str, text: str) -> int | None:
    """Return where in `text` a scalar quoted with `quote` ends, or None: in double quotes a
    backslash escapes the next character, in single quotes '' is a quote."""
    at = 0
    while at < len(text):
        if quote == '"' and text[at] == "\\":
            at += 2
            continue
        if text[at] == quote:
            if quote == "'" and text[at + 1 : at + 2] == "'":
                at += 2
                continue
            return at
        at += 1
    return None


def _at(text: str, line: int, column: int) -> str:
    """Return the character at a 0-based line and column of `text`, or ""."""
    lines = text.split("\n")
    return lines[line][column : column + 1] if line < len(lines) else ""


def _explain(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """Return the 0-based line to blame and the message: the advice in plain words, then what
    YAML itself said. Without advice, the line is where the parser gave up or, when it ran off
    the end of the text, where the unclosed construct began. A key without a space after its
    colon, at or before that line, is blamed first: it is the likelier cause."""
    upto = exc.problem_mark.line if exc.problem_mark else text.count("\n")
    for number, written in enumerate(text.split("\n")[: upto + 1]):
        glued = _NO_SPACE.match(written)
        if glued:
            key = glued.group(1)
            return number, f"a space must follow the colon after {key}: write '{key}: …'"
    problem, context = exc.problem or "", exc.context or ""
    said = " ".join(part for part in (problem, context) if part)
    stopped, began = exc.problem_mark, exc.context_mark
    if stopped and _at(text, stopped.line, stopped.column) == "\t":  # a tab-indented "- item"
        return stopped.line, f"{_TAB} (YAML: {said})"
    opened = _unclosed_quote(text, stopped.line if stopped else text.count("\n"))
    if opened is not None:  # closed lines later by a quote or an apostrophe ("It's") there
        return opened, f"{_PLAIN[0][3]} (YAML: {said})"
    for found, within, at_start, advice in _PLAIN:
        if found in problem and within in context:
            mark = began if at_start and began else stopped
            return (mark.line if mark else 0), f"{advice} (YAML: {said})"
    last = text.count("\n")
    if stopped and stopped.line <= last:
        line = stopped.line
    else:
        line = began.line if began else last
    return line, f"invalid YAML: {said}"


def _has_control(value: object) -> bool:
    """Say whether a parsed value holds, at any depth, a C0 control (but tab and line breaks)
    or DEL."""
    if isinstance(value, str):
        return any(c < " " and c not in "\t\n\r" or c == "\x7f" for c in value)
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_control(item) for item in value)
    return False


def load_mapping(text: str, path: str, first_line: int = 1) -> LoadedMapping:
    """Parse `text` (which starts at `first_line` of `path`) as a mapping of string keys.

    Aliases are refused outright: front-matter never needs them, and refusing them makes
    "billion laughs" documents cost nothing.
    """
    result = LoadedMapping()

    def problem(line0: int, msg: str) -> LoadedMapping:
        result.problems.append(Problem(path, first_line + line0, "yaml", msg))
        return result

    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                line0 = event.start_mark.line if event.start_mark else 0
                return problem(line0, "YAML aliases (*name) are not allowed")
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return problem(*_explain(exc, text))
    except yaml.reader.ReaderError as exc:
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return problem(text[: exc.position].count("\n"), f"character {char} is not allowed in YAML")
    if root is None:
        return result
    if not isinstance(root, yaml.MappingNode):
        return problem(root.start_mark.line, "expected 'key: value' lines, found a single value")
    loader = _Loader("")
    lines = text.split("\n")  # for _slips, once
    try:
        for key_node, value_node in root.value:
            key = loader.construct_object(key_node, deep=True)
            line = first_line + key_node.start_mark.line
            if not isinstance(key, str):
                result.problems.append(Problem(path, line, str(key), "keys must be text"))
                continue
            if key in result.data:
                result.problems.append(Problem(path, line, key, "appears twice"))
                continue
            value = loader.construct_object(value_node, deep=True)
            if _has_control(value):  # "\x01" written as a YAML escape
                result.problems.append(
                    Problem(
                        path,
                        line,
                        key,
                        "holds a control character, invisible and not allowed in a page; remove it",
                    )
                )
                continue
            result.data[key] = value
            result.lines[key] = line
            _nested_lines(value_node, key, first_line, result.lines, result.problems, path)
            _slips(value_node, key, first_line, lines, result.problems, path)
    except yaml.MarkedYAMLError as exc:
        return problem(*_explain(exc, text))
    finally:
        loader.dispose()
    return result
