"""Every answer body is hostile input: read it within a size cap, parse it without crashing.

* :func:`read_capped` reads a streamed answer (``client.send(request, stream=True)``) and stops
  as soon as it passes :data:`MAX_RESPONSE_BYTES` (a declared ``Content-Length`` past the cap
  stops it before a byte is read). The cap counts decoded bytes, so a compressed answer cannot
  grow past it in memory either.
* :func:`json_body`, :func:`json_object` and :func:`json_rows` parse a body and check its shape;
  a body that is not JSON, nests deeper than Python's parser goes (``RecursionError``), or is
  not the shape asked for is :class:`~reconciler.errors.ServerMisbehaved`, naming the system,
  method and path but never showing the body.
* :func:`answered_id` reads the id a create answered; a write that succeeded but does not say
  what it created is an :class:`~reconciler.errors.UnknownOutcome`, resolved by natural key like
  a lost answer (:mod:`reconciler.write_resolve`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from reconciler.envvars import MAX_RESPONSE_BYTES
from reconciler.errors import ServerMisbehaved, UnknownOutcome

MiB: Final = 1024 * 1024
# DEFAULT_MAX_RESPONSE_BYTES (64 MiB, in envvars so the CLI sets it without importing this):
# the largest answer body read (decoded). Generous on purpose: the largest answers we ask
# for are full pages (ConnectWise 1,000 rows, Autotask 500, Halo 100 records with their
# details), a few MB at most even with every field; 64 MiB is more than ten times that, and
# still small enough that one hostile answer cannot take the process's memory (every answer is
# held whole to be parsed, and a few are read at once).


_RE_ENCODED: Final = frozenset(("content-encoding", "content-length", "transfer-encoding"))
"""Headers that described the wire form of a body that :func:`read_capped` hands on decoded."""

SERVER_FAULT_HINT: Final = "this is a server fault (or a hostile server): report it to the vendor"


class AnswerTooLarge(Exception):
    """An answer body passed the cap (``size``: bytes declared or read when it stopped)."""

    def __init__(self, size: int, cap: int, *, declared: bool) -> None:
        super().__init__(f"{size} bytes, over {cap}")
        self.size = size
        self.cap = cap
        self.declared = declared

    def describe(self) -> str:
        """``the answer was larger than the 64 MiB cap (...)``: no byte of the body."""
        seen = "declared" if self.declared else "read before stopping"
        return (
            f"the answer was larger than the {size_text(self.cap)} cap "
            f"({self.size:,} bytes {seen}); stopped reading it"
        )


def size_text(count: int) -> str:
    """``64 MiB`` for whole MiB, else the bytes (``1,024 bytes``)."""
    if count % MiB == 0:
        return f"{count // MiB} MiB"
    return f"{count:,} bytes"


def response_cap() -> int:
    """The answer size cap of this process (:data:`MAX_RESPONSE_BYTES`)."""
    return MAX_RESPONSE_BYTES.get()


def read_capped(response: httpx.Response, cap: int) -> httpx.Response:
    """The body of the streamed ``response``, read whole but never past ``cap`` bytes, as a
    new read response (same status, headers, request); raises :class:`AnswerTooLarge`.
    The caller closes ``response`` (which drops the connection of a body left unread)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise AnswerTooLarge(int(declared), cap, declared=True)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise AnswerTooLarge(size, cap, declared=False)
        chunks.append(chunk)
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _RE_ENCODED]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
        history=response.history,
        default_encoding=response.default_encoding,
    )


def send_capped(client: httpx.Client, request: httpx.Request, cap: int) -> httpx.Response:
    """Send ``request`` on ``client`` and read its answer within ``cap`` (:func:`read_capped`);
    the connection of an answer left unread is dropped, never read to its end."""
    streamed = client.send(request, stream=True)
    try:
        return read_capped(streamed, cap)
    finally:
        streamed.close()


@dataclass(frozen=True)
class Source:
    """Where an answer came from, for its errors: ``system`` (as the error tree names it),
    ``label`` (as a person reads it: ``"ConnectWise"``), the request's method and path."""

    system: str
    label: str
    method: str
    path: str

    def at(self, method: str, path: str) -> Source:
        """The same system, another request."""
        return Source(self.system, self.label, method, path)

    def fault(self, message: str) -> ServerMisbehaved:
        """The server fault ``message`` about this answer (never its body)."""
        shown = self.path if self.path.startswith(("/", "http")) else "/" + self.path
        return ServerMisbehaved(
            f"{self.label}: {message}",
            system=self.system,
            method=self.method,
            path=shown,
            hint=SERVER_FAULT_HINT,
        )

    def too_large(self, error: AnswerTooLarge) -> ServerMisbehaved:
        """The error for a read whose answer passed the cap."""
        return self.fault(error.describe())


def json_body(response: httpx.Response, source: Source) -> Any:
    """The JSON of ``response``; a server fault when it is not JSON or nests too deep."""
    try:
        return response.json()
    except RecursionError:
        raise source.fault("the answer nests too deeply to read") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise source.fault("the answer was not JSON") from None


def json_object(response: httpx.Response, source: Source) -> dict[str, Any]:
    """The JSON object ``response`` holds, or a server fault."""
    return object_of(json_body(response, source), source, "the answer")


def object_of(value: Any, source: Source, what: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; else a server fault naming ``what``."""
    if not isinstance(value, dict):
        raise source.fault(f"{what} was not a JSON object")
    return value


def rows_of(value: Any, source: Source, what: str) -> list[dict[str, Any]]:
    """``value`` when it is a list of JSON objects (None reads as no rows); else a fault."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise source.fault(f"{what} was not a JSON array of objects")
    return value


def json_rows(response: httpx.Response, source: Source) -> list[dict[str, Any]]:
    """The JSON array of objects ``response`` holds, or a server fault."""
    body = json_body(response, source)
    if body is None:
        raise source.fault("a list answer was not a JSON array of objects")
    return rows_of(body, source, "a list answer")


def integer_id(value: Any) -> int | None:
    """``value`` as an integer id: an int (not a bool) or a string of ASCII digits; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    return None


def text_field(item: Mapping[str, Any], key: str, source: Source) -> str:
    """``item[key]`` as text: a string or an integer id; anything else is a server fault."""
    value = item.get(key)
    if isinstance(value, str) or integer_id(value) is not None:
        return str(value)
    raise source.fault(f"a row has no usable {key!r}")


def count_field(item: Mapping[str, Any], key: str, source: Source) -> int:
    """``item[key]`` as a count (absent or null: 0); anything but a whole number is a fault."""
    value = item.get(key)
    if value is None:
        return 0
    found = integer_id(value)
    if found is None:
        raise source.fault(f"a row's {key!r} is not a number")
    return found


def list_field(item: Mapping[str, Any], key: str, source: Source) -> list[Any]:
    """``item[key]`` as a list (absent or null: empty); anything else is a server fault."""
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise source.fault(f"a row's {key!r} is not a list")
    return value


def answered_id(body: Any, field: str, source: Source, *, integer: bool = True) -> Any:
    """The id a successful create answered in ``body[field]``: an integer (``integer``) or a
    non-empty string. An answer that does not say what was created is an
    :class:`~reconciler.errors.UnknownOutcome`: the write happened, which object it made is
    unknown, and the apply layer looks it up by its natural key."""
    value = body.get(field) if isinstance(body, Mapping) else None
    found: Any = integer_id(value) if integer else _text_id(value)
    if found is None:
        shown = source.path if source.path.startswith("/") else "/" + source.path
        raise UnknownOutcome(
            f"{source.label} accepted the write but its answer does not say which object it "
            f"wrote (no usable {field!r}); it is looked up by its natural key",
            system=source.system,
            method=source.method,
            path=shown,
        )
    return found


def _text_id(value: Any) -> str | None:
    if isinstance(value, bool) or value in (None, "", 0, -1):
        return None
    if isinstance(value, int | str):
        return str(value)
    return None
