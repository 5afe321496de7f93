"""A :class:`~reconciler.psa.base.Psa` that brings its YAML language only (sections, kinds, rules):
``validate`` and ``schema`` know its files and every other command refuses them through
:func:`~reconciler.psa.base.unsupported`. Each hook imports its module only when called, so that
registering the PSA costs ``--help`` nothing (start-up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from reconciler.psa.base import Psa


def _attribute(reference: str) -> Any:
    """The object a ``"package.module:name"`` reference names."""
    module, _, name = reference.partition(":")
    return getattr(import_module(module), name)


@dataclass(frozen=True)
class Language:
    """Where a PSA's language lives, as ``"module:name"`` references."""

    document: str  # the pydantic model of a whole file of this PSA
    sections: str  # section name -> its model
    kinds: str  # the PSA's kinds
    check: str  # the offline rules: (document, source) -> problems


def language_only(name: str, title: str, env_vars: Sequence[str], language: Language) -> Psa:
    def document() -> type[Any]:
        model: type[Any] = _attribute(language.document)
        return model

    def sections() -> Mapping[str, Any]:
        found: Mapping[str, Any] = _attribute(language.sections)
        return found

    def kinds() -> tuple[Any, ...]:
        return tuple(_attribute(language.kinds))

    def check(file: Any, source: Any) -> tuple[list[Any], list[Any]]:
        rules: Callable[[Any, Any], list[Any]] = _attribute(language.check)
        return rules(file, source), []

    return Psa(
        name=name,
        title=title,
        env_vars=tuple(env_vars),
        sections=sections,
        kinds=kinds,
        document=document,
        check=check,
    )
