"""Load a YAML mapping safely, remembering the line of every top-level key."""

from __future__ import annotations

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


def _nested_lines(node: yaml.Node, prefix: str, first_line: int, lines: dict[str, int]) -> None:
    """Record the line of every nested mapping key as `outer.inner`."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            name = f"{prefix}.{key_node.value}"
            lines.setdefault(name, first_line + key_node.start_mark.line)
            _nested_lines(value_node, name, first_line, lines)


def _error_line(exc: yaml.MarkedYAMLError, text: str) -> int:
    """Return the 0-based line to blame: where the parser gave up, or, when it ran off the end
    of the text (an unclosed bracket or quote), the line where the unclosed construct began."""
    last = text.count("\n")
    problem, context = exc.problem_mark, exc.context_mark
    if problem and problem.line <= last:
        return problem.line
    if context:
        return context.line
    return last


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
        return problem(_error_line(exc, text), f"invalid YAML: {exc.problem or exc.context}")
    except yaml.reader.ReaderError as exc:
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return problem(text[: exc.position].count("\n"), f"character {char} is not allowed in YAML")
    if root is None:
        return result
    if not isinstance(root, yaml.MappingNode):
        return problem(root.start_mark.line, "expected 'key: value' lines, found a single value")
    loader = _Loader("")
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
            result.data[key] = loader.construct_object(value_node, deep=True)
            result.lines[key] = line
            _nested_lines(value_node, key, first_line, result.lines)
    except yaml.MarkedYAMLError as exc:
        return problem(_error_line(exc, text), f"invalid YAML: {exc.problem or exc.context}")
    finally:
        loader.dispose()
    return result
