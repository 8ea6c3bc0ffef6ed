"""JSON as the service reads it: strict, and wrong in a way the error names.

A body nested too deep is bad input (400), not a crash; a key given twice is refused rather
than read as its last value; a body sent as another type or that is no JSON is named as such.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from intake.errors import InvalidInput


class DuplicateKey(ValueError):
    """A JSON object that gives one key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"{key!r} is given twice")
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is no JSON number")  # Python's reader takes NaN and Infinity


DIGITS_MAX = 30  # of a JSON number: more than any field takes (Python refuses past 4,300)


def _int(text: str) -> int:
    if len(text.lstrip("-")) > DIGITS_MAX:
        raise ValueError(f"a number has more than {DIGITS_MAX} digits")
    return int(text)


def _float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e99999: past what a float holds, read as infinity
        raise ValueError("a number is too large")
    return number


def strict_loads(text: str | bytes) -> Any:
    """Parse JSON refusing a key given twice (DuplicateKey), nesting past the parser, NaN or
    Infinity and numbers of more than DIGITS_MAX digits (ValueError), and bytes that are not
    UTF-8 (UnicodeDecodeError: JSON between systems is UTF-8, RFC 8259; Python's reader also
    took UTF-16 and UTF-32): what every JSON the service reads goes through."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")  # a byte-order mark first is ignored (RFC 8259 allows)
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant,
                          parse_int=_int, parse_float=_float)  # fmt: skip
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, read as strict_loads reads it."""

    def loads(self, s: str | bytes, **_kwargs: Any) -> Any:
        """Parse JSON; a key given twice or nesting past the parser is a ValueError."""
        return strict_loads(s)


def request_json() -> Any:
    """Return the request's JSON body, or raise InvalidInput saying what is wrong with it."""
    if request.mimetype != "application/json":  # is_json takes any +json type
        raise InvalidInput("Send the body as JSON, with Content-Type: application/json.")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):  # read as it came, the body would be no JSON
        raise InvalidInput(f"Content-Encoding: send the body as it is, not {encoding[:20]}.",
                           "Content-Encoding")  # fmt: skip
    limit = request.max_content_length
    if request.content_length is None and limit is not None and request.environ.get(
            "wsgi.input_terminated"):  # fmt: skip
        # A body without a length (chunked) is cut at the limit by Werkzeug's stream, without
        # a word: the server's own stream, read one byte past the limit, tells.
        data = request.environ["wsgi.input"].read(limit + 1)
        if len(data) > limit:
            raise RequestEntityTooLarge()
    else:
        data = request.get_data()
    try:
        return current_app.json.loads(data)
    except DuplicateKey as exc:
        field = exc.key[:40]
        raise InvalidInput(f"{field}: given twice; send each field once.", field) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"The body is no valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}.") from None  # fmt: skip
    except UnicodeDecodeError:
        raise InvalidInput("The body is no valid JSON: it is not UTF-8.") from None
    except ValueError as exc:
        raise InvalidInput(f"The body is no valid JSON: {exc}.") from None


def request_json_object() -> dict[str, Any]:
    """Return the request's JSON body as request_json reads it, which must be an object."""
    body = request_json()
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return body
