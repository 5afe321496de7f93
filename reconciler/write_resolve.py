"""Each write resolves its own unknown outcome before anything else happens to its object
(ARCHITECTURE "Apply is level-based"), and journals exactly one record however it ends:

* a create whose answer was lost is looked up by natural key: found once -> adopted, absent ->
  sent again, found twice -> stop (:func:`create`);
* an update or a delete is re-read and compared with what was sent (:func:`resolved`).

Thread-safe: nothing here keeps state; the journal it is given is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from reconciler.errors import PartialApplyError, UnknownOutcome
from reconciler.kinds.names import fold
from reconciler.writes import Journal, WriteRecord

log = logging.getLogger(__name__)

T = TypeVar("T")
Ident = TypeVar("Ident")


def norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return sorted((norm(v) for v in value), key=str)
    if isinstance(value, str):
        return fold(value)
    return value


def matches(
    row: Mapping[str, Any] | None, body: Mapping[str, Any], skip: set[str] | None = None
) -> bool:
    if row is None:
        return False
    lowered = {k.lower(): v for k, v in row.items()}
    return all(lowered.get(k.lower()) == v for k, v in body.items() if k not in (skip or set()))


def subset(wanted: Any, have: Any) -> bool:
    """Every key and list item of ``wanted`` is in ``have`` (read-only extras ignored)."""
    if isinstance(wanted, Mapping):
        return isinstance(have, Mapping) and all(subset(v, have.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (
            isinstance(have, list)
            and len(wanted) == len(have)
            and all(any(subset(w, h) for h in have) for w in wanted)
        )
    return bool(wanted == have)


@overload
def create(
    send: Callable[[], int],
    *,
    lookup: Callable[[], list[dict[str, Any]]],
    journal: Journal,
    record: WriteRecord,
    where: str,
) -> int: ...


@overload
def create(
    send: Callable[[], Ident],
    *,
    lookup: Callable[[], list[dict[str, Any]]],
    journal: Journal,
    record: WriteRecord,
    where: str,
    id_of: Callable[[Any], Ident],
) -> Ident: ...


def create(
    send: Callable[[], Any],
    *,
    lookup: Callable[[], list[dict[str, Any]]],
    journal: Journal,
    record: WriteRecord,
    where: str,
    id_of: Callable[[Any], Any] = int,
) -> Any:
    """POST once; on an unknown outcome adopt the one object found by natural key, or re-send
    when none exists; two found is a stop (``where``: the system holding them, for the hint:
    ``"in Autotask"``). ``id_of`` reads the id of an object found (``int``; ``str`` for a
    system whose ids are UUIDs). A re-send whose answer is lost too is journalled ``unknown``
    and raised: the next apply re-reads and resolves it."""
    try:
        item_id = send()
    except UnknownOutcome as error:
        try:
            found = lookup()
        except Exception as lost:
            journal(with_(record, outcome="unknown", error=str(lost)))
            raise
        if len(found) == 1:
            item_id = id_of(found[0]["id"])
            journal(with_(record, outcome="adopted", item_id=item_id, error=error.message))
            return item_id
        if len(found) > 1:
            ids = ", ".join(str(f.get("id")) for f in found)
            journal(with_(record, outcome="failed", error=f"duplicates found: {ids}"))
            raise PartialApplyError(
                f"{record.address}: the create's answer was lost and {len(found)} objects now "
                f"match its natural key (ids {ids})",
                hint=f"delete the extra one {where}, then apply again",
            ) from None
        log.info("%s: the create did not happen; sending it again", record.address)
        try:
            item_id = send()
        except UnknownOutcome as again:
            journal(with_(record, outcome="unknown", error=again.message))
            raise
        except Exception as again:
            journal(with_(record, outcome="failed", error=str(again)))
            raise
    except Exception as error:
        journal(with_(record, outcome="failed", error=str(error)))
        raise
    journal(with_(record, item_id=item_id))
    return item_id


def resolved(
    send: Callable[[], T],
    *,
    check: Callable[[], bool],
    journal: Journal,
    record: WriteRecord,
) -> None:
    """Send an update or delete; on an unknown outcome re-read (``check``) and re-send only if
    it did not happen."""
    try:
        send()
    except UnknownOutcome as error:
        try:
            happened = check()
        except Exception as lost:
            journal(with_(record, outcome="unknown", error=str(lost)))
            raise
        if happened:
            journal(with_(record, outcome="adopted", error=error.message))
            return
        try:
            send()
        except Exception as again:
            journal(with_(record, outcome="failed", error=str(again)))
            raise
    except Exception as error:
        journal(with_(record, outcome="failed", error=str(error)))
        raise
    journal(record)


def with_(record: WriteRecord, **changes: Any) -> WriteRecord:
    values = {**record.__dict__, **changes}
    return WriteRecord(**values)
