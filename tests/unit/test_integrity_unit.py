"""plan.integrity: the exact bytes a saved plan's checksum and signature cover, and the messages
of a broken seal. Expected digests are computed here from the documented recipe, independently."""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum
from typing import Any

from reconciler.plan.integrity import (
    CHECKSUM_FIELD,
    SEAL_FIELDS,
    SIGNATURE_FIELD,
    SIGNING_KEY_VARIABLE,
    as_json_data,
    canonical_bytes,
    plan_checksum,
    plan_signature,
    seal,
    seal_problems,
)


class Colour(Enum):
    RED = "red"


PLAN: dict[str, Any] = {"b": ("x", 1), "a": {"ü": "é", "2": None}, "checksum": "old"}
CANONICAL = '{"a":{"2":null,"ü":"é"},"b":["x",1]}'.encode()


def test_the_names_of_the_seal() -> None:
    assert (CHECKSUM_FIELD, SIGNATURE_FIELD) == ("checksum", "signature")
    assert frozenset({"checksum", "signature"}) == SEAL_FIELDS
    assert SIGNING_KEY_VARIABLE == "RECONCILE_PLAN_SIGNING_KEY"


def test_as_json_data_is_the_json_file_form() -> None:
    data = as_json_data({"t": (1, 2), 3: "int key", "e": Colour.RED, "u": "ü"})
    assert data == {"t": [1, 2], "3": "int key", "e": "Colour.RED", "u": "ü"}


def test_canonical_bytes_sorted_compact_utf8_without_the_seal() -> None:
    assert canonical_bytes(PLAN) == CANONICAL
    assert canonical_bytes({**PLAN, "signature": "s"}) == CANONICAL
    # a lone surrogate still gives bytes (its code point's), so a checksum is always computed
    assert canonical_bytes({"s": "\ud800"}) == b'{"s":"\xed\xa0\x80"}'


def test_checksum_and_signature_are_the_documented_digests() -> None:
    assert plan_checksum(PLAN) == "sha256:" + hashlib.sha256(CANONICAL).hexdigest()
    expected = hmac.new("kéy".encode(), CANONICAL, hashlib.sha256).hexdigest()
    assert plan_signature(PLAN, "kéy") == "hmac-sha256:" + expected
    # os.environ's form of a non-UTF-8 byte is signed as that byte
    raw = hmac.new(b"k\xff", CANONICAL, hashlib.sha256).hexdigest()
    assert plan_signature(PLAN, "k\udcff") == "hmac-sha256:" + raw


def test_seal_writes_the_checksum_and_the_signature_only_with_a_key() -> None:
    digest = "sha256:" + hashlib.sha256(CANONICAL).hexdigest()
    unsigned = seal({**PLAN, "signature": "stale"}, None)
    assert unsigned == {"a": {"2": None, "ü": "é"}, "b": ["x", 1], "checksum": digest}
    assert seal(PLAN, "") == unsigned
    signed = seal(PLAN, "k")
    assert signed[CHECKSUM_FIELD] == digest
    assert signed[SIGNATURE_FIELD] == (
        "hmac-sha256:" + hmac.new(b"k", CANONICAL, hashlib.sha256).hexdigest()
    )
    assert seal_problems(signed, "k") == []
    assert seal_problems(unsigned, None) == []
    assert seal_problems(signed, None) == []  # not checked without the key (load warns)


def test_seal_problems_name_what_is_wrong() -> None:
    signed = seal(PLAN, "k")
    missing = {k: v for k, v in signed.items() if k != CHECKSUM_FIELD}
    assert seal_problems(missing, "k") == [
        "field `checksum` is missing: the file was not written by `reconcile plan --out` "
        "(or by an older reconcile), or it was edited"
    ]
    edited = {**signed, "b": ["y", 1]}
    assert seal_problems(edited, None) == [
        "field `checksum` does not match the plan's content: the file was changed after "
        "`reconcile plan --out` wrote it (an edited value, a swapped artifact, a bad copy)"
    ]
    unsigned = seal(PLAN, None)
    assert seal_problems(unsigned, "k") == [
        "field `signature` is missing, and RECONCILE_PLAN_SIGNING_KEY is set: only a plan "
        "signed with that key is applied"
    ]
    assert seal_problems(signed, "other") == [
        "field `signature` does not verify with RECONCILE_PLAN_SIGNING_KEY: the plan was "
        "signed with another key, or changed and re-checksummed after it was signed"
    ]
    assert seal_problems({**signed, CHECKSUM_FIELD: 12}, None)[0].startswith(
        "field `checksum` does not match"
    )
    non_ascii = {**signed, CHECKSUM_FIELD: "sha256:é"}
    assert seal_problems(non_ascii, None)[0].startswith("field `checksum` does not match")
