"""The one JSON text style our exporters write and the one error our JSON importers raise."""

import json
from collections.abc import Iterable
from typing import IO, Any

from formats.records import FormatError


def dumps(value: Any) -> bytes:
    """Compact JSON with sorted keys: stable bytes whatever order a dict was built in.

    Python writes the shortest float repr that round-trips, so nothing is lost and the same
    value always gives the same text.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def write_array(out: IO[bytes], elements: Iterable[Any]) -> None:
    """Write the elements of a JSON array one per line, never holding more than one."""
    separator = b"\n"
    for element in elements:
        out.write(separator + dumps(element))
        separator = b",\n"


def loads(text: str | bytes, *, location: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        where = f"{location}, line {error.lineno}" if hasattr(error, "lineno") else location
        raise FormatError(f"Malformed JSON: {error}", location=where) from None
