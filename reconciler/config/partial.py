"""Validate what can be validated, so that rule errors are reported with schema errors.

The offline rules run on a PSA's document model, which cannot be built from a document with
schema errors. Rather than stop there (one more round of `validate` for the user), the parts that
failed their schema are cut out of a copy of the data - first the failing item (a webhook, a
location), then its section if that is not enough - and the rest is validated again; the rules
run on that model and skip only what was cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from reconciler.config.common import PsaDocument
from reconciler.config.loader import PathKey, SourceDocument, TemplateStr
from reconciler.config.validation import located_paths
from reconciler.errors import Diagnostic

# A failing item is cut whole: a webhook without its misspelled `fields` would break rules.
# Its depth is the document's ITEM_DEPTH (webhooks: ("webhooks", key)), else this one
# (("inventory", "locations", name)).
_DEFAULT_ITEM_DEPTH = 3
# Each round cuts at least one node; a document cannot need more than a few.
_MAX_ROUNDS = 8


Document = TypeVar("Document", bound=PsaDocument)


def validated_remainder(
    data: dict[str, Any], error: ValidationError, model: type[Document]
) -> Document | None:
    """The ``model`` of ``data`` without the parts ``error`` located, or None if none can be
    built."""
    remainder = _containers_copied(data)
    whole_sections = False
    for _ in range(_MAX_ROUNDS):
        paths = [
            _item(path, whole_sections, model.ITEM_DEPTH)
            for path in located_paths(remainder, error)
        ]
        cut = [_cut(remainder, path) for path in paths if path]
        if not any(cut):
            if whole_sections:
                return None
            whole_sections = True  # what failed is not below an item: cut the whole section
            continue
        try:
            return model.model_validate(remainder)
        except ValidationError as again:
            error = again
    return None


def with_stand_ins(source: SourceDocument, problems: list[Diagnostic]) -> dict[str, Any]:
    """The data with a stand-in text where an unset ``${env:}`` variable left a value empty.

    That value is already reported; the stand-in keeps its node from failing its schema too
    (and its section from being cut, which would make rules see it as missing).
    """
    places = {(d.line, d.column) for d in problems}
    data: dict[str, Any] = _containers_copied(source.data)
    for path, position in source.value_positions.items():
        if (position.line, position.column) not in places or not path:
            continue
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        value = parent[path[-1]]
        if isinstance(value, TemplateStr) and value == "":
            parent[path[-1]] = TemplateStr("unset", value.template)
    return data


def _item(path: PathKey, whole_sections: bool, depths: Mapping[str, int]) -> PathKey:
    if whole_sections or not path:
        return path[:1]
    return path[: depths.get(str(path[0]), _DEFAULT_ITEM_DEPTH)]


def _containers_copied(data: Any) -> Any:
    """A copy of the mappings and lists; scalars (TemplateStr among them) are shared."""
    if isinstance(data, dict):
        return {key: _containers_copied(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_containers_copied(item) for item in data]
    return data


def _cut(data: Any, path: PathKey) -> bool:
    """Remove the mapping entry at ``path``; True if removed.

    A list item is never removed: that would shift the positions of the later errors.
    """
    node = data
    for part in path[:-1]:
        if not (isinstance(node, dict) and part in node):
            return False
        node = node[part]
    if isinstance(node, dict) and path[-1] in node:
        del node[path[-1]]
        return True
    return False
