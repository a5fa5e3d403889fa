"""The one JSON text style our exporters write and the one error our JSON importers raise."""

import json
from collections.abc import Iterable
from typing import IO, Any

from formats.records import FormatError

# One encoder for every call: json.dumps with options builds a new JSONEncoder each time,
# which costs as much as encoding a small annotation (measured in a COCO export).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> bytes:
    """Compact JSON with sorted keys: stable bytes whatever order a dict was built in.

    Python writes the shortest float repr that round-trips, so nothing is lost and the same
    value always gives the same text.
    """
    return _ENCODER.encode(value).encode("utf-8")


def write_array(out: IO[bytes], elements: Iterable[Any]) -> None:
    """Write the elements of a JSON array one per line, never holding more than one."""
    write_encoded(out, (dumps(element) for element in elements))


def write_encoded(out: IO[bytes], elements: Iterable[bytes]) -> None:
    """`write_array` for elements already encoded as `dumps` would, written 64 at a time (a
    write per element cost about as much as encoding one)."""
    separator = b"\n"
    pending: list[bytes] = []
    for element in elements:
        pending.append(element)
        if len(pending) == 64:
            out.write(separator + b",\n".join(pending))
            separator = b",\n"
            pending.clear()
    if pending:
        out.write(separator + b",\n".join(pending))


def string(value: str) -> str:
    """A str as `dumps` writes it (what JSONEncoder calls for each string, in C)."""
    return _STRING(value)


_STRING = json.encoder.encode_basestring


def loads(text: str | bytes, *, location: str, first_line: int = 1) -> Any:
    """Parse JSON, naming the file line (counted from `first_line`) of any syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"{location}, line {first_line + error.lineno - 1}"
        message = f"Malformed JSON: {error.msg} (column {error.colno})."
        raise FormatError(message, location=where) from None
    except UnicodeDecodeError:
        raise FormatError("The file is not UTF-8 text.", location=location) from None
