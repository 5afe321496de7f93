"""A saved plan's checksum and signature: what ``plan --out`` seals and ``apply PLAN`` checks.

Both cover the same bytes: the canonical JSON (keys sorted, compact separators, UTF-8, no ASCII
escaping) of every field of the plan's dict form except ``checksum`` and ``signature``
themselves. The checksum is ``sha256:<hex>``; the signature, written only when the operator set
:data:`SIGNING_KEY_VARIABLE` in the real environment, is ``hmac-sha256:<hex>`` keyed with that
value. Without a key the checksum catches accidents (a truncated download, a hand edit), not an
attacker, who can recompute it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

CHECKSUM_FIELD = "checksum"
SIGNATURE_FIELD = "signature"
SEAL_FIELDS = frozenset({CHECKSUM_FIELD, SIGNATURE_FIELD})
CHECKSUM_PREFIX = "sha256:"
SIGNATURE_PREFIX = "hmac-sha256:"
SIGNING_KEY_VARIABLE = "RECONCILE_PLAN_SIGNING_KEY"


def as_json_data(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The plan exactly as a JSON file holds it: tuples become lists, keys become strings.

    The checksum is computed over this form, so the value ``plan`` shows is the value ``apply``
    recomputes from the file it reads back.
    """
    data: dict[str, Any] = json.loads(json.dumps(dict(plan), ensure_ascii=False, default=str))
    return data


def canonical_bytes(plan: Mapping[str, Any]) -> bytes:
    """What the checksum and the signature cover: every field but the two seal fields."""
    covered = {k: v for k, v in as_json_data(plan).items() if k not in SEAL_FIELDS}
    text = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # A lone surrogate ("\ud800" in the JSON) has no UTF-8 form: kept as its code point's bytes,
    # so a checksum is always computed (and never matches an edit) instead of failing.
    return text.encode("utf-8", "surrogatepass")


def plan_checksum(plan: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of :func:`canonical_bytes`."""
    return CHECKSUM_PREFIX + hashlib.sha256(canonical_bytes(plan)).hexdigest()


def plan_signature(plan: Mapping[str, Any], key: str) -> str:
    """``hmac-sha256:<hex>`` of :func:`canonical_bytes`, keyed with ``key`` (UTF-8)."""
    secret = key.encode("utf-8", "surrogateescape")  # os.environ's form of non-UTF-8 bytes
    digest = hmac.new(secret, canonical_bytes(plan), hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def seal(plan: Mapping[str, Any], signing_key: str | None) -> dict[str, Any]:
    """The plan as ``--out`` writes it: its JSON form plus ``checksum`` (and ``signature``)."""
    data = {k: v for k, v in as_json_data(plan).items() if k not in SEAL_FIELDS}
    data[CHECKSUM_FIELD] = plan_checksum(data)
    if signing_key:
        data[SIGNATURE_FIELD] = plan_signature(data, signing_key)
    return data


def seal_problems(data: Mapping[str, Any], signing_key: str | None) -> list[str]:
    """What is wrong with the plan's checksum and signature (empty: the seal holds)."""
    written = data.get(CHECKSUM_FIELD)
    if written is None:
        return [
            "field `checksum` is missing: the file was not written by `reconcile plan --out` "
            "(or by an older reconcile), or it was edited"
        ]
    if not _same(written, plan_checksum(data)):
        return [
            "field `checksum` does not match the plan's content: the file was changed after "
            "`reconcile plan --out` wrote it (an edited value, a swapped artifact, a bad copy)"
        ]
    if not signing_key:
        return []
    signature = data.get(SIGNATURE_FIELD)
    if signature is None:
        return [
            f"field `signature` is missing, and {SIGNING_KEY_VARIABLE} is set: only a plan "
            "signed with that key is applied"
        ]
    if not _same(signature, plan_signature(data, signing_key)):
        return [
            f"field `signature` does not verify with {SIGNING_KEY_VARIABLE}: the plan was "
            "signed with another key, or changed and re-checksummed after it was signed"
        ]
    return []


def _same(written: object, expected: str) -> bool:
    """Constant-time comparison (bytes: ``compare_digest`` refuses non-ASCII text)."""
    return hmac.compare_digest(str(written).encode("utf-8"), expected.encode("utf-8"))
