"""The YAML language: load with positions, validate against the models, check offline rules."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from reconciler.config import union
from reconciler.config.common import PsaDocument
from reconciler.config.loader import SourceDocument, document_limit, load_bytes
from reconciler.config.partial import validated_remainder, with_stand_ins
from reconciler.config.validation import translate
from reconciler.errors import ConfigError, Diagnostic
from reconciler.psa.base import unsupported


def _unless_at_same_place(found: list[Diagnostic], earlier: list[Diagnostic]) -> list[Diagnostic]:
    """Drop a schema error at a node already reported (an unset ``${env:}`` left it empty)."""
    places = {(d.line, d.column) for d in earlier}
    return [d for d in found if (d.line, d.column) not in places]


Document = TypeVar("Document", bound=PsaDocument)

__all__ = [
    "LoadedConfig",
    "LoadedDocument",
    "load_config",
    "load_document",
    "parse_config",
    "parse_document",
]


@dataclass(frozen=True)
class LoadedDocument:
    """A valid document of any installed PSA, where it came from, and its warnings."""

    document: PsaDocument
    source: SourceDocument
    sha256: str
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.source.file

    def for_engine(self) -> LoadedConfig:
        """The document as the engine's commands take it; a PSA they do not serve yet is
        refused cleanly (only ``validate`` and ``schema`` know every PSA)."""
        psa = union.installed()[self.document.PSA]
        if psa.system is not None:
            # A PSA with a run side: the engine reads only the common keys of its document
            # (sections, policy, after_apply, salesbuildr) and hands the rest to the PSA.
            return LoadedConfig(self.document, self.source, self.sha256, self.warnings)
        raise unsupported(
            psa,
            "engine for this command yet",
            hint="`reconcile validate` and `reconcile schema` work for this file; plan, apply "
            "and the other commands need a PSA package with a run side (its `system` hook)",
        )


@dataclass(frozen=True)
class LoadedConfig:
    """A valid document of a PSA the engine serves, where it came from, and its warnings
    (the engine reads only the common keys; a PSA casts it to its own model: ``own``)."""

    config: PsaDocument
    source: SourceDocument
    sha256: str
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.source.file

    def document_as(self, model: type[Document]) -> Document:
        """The document as its PSA's own model (the PSA's code asks for its own)."""
        if not isinstance(self.config, model):
            raise TypeError(f"{self.file} is a psa: {self.config.PSA} document")
        return self.config


def load_config(path: str | Path, *, environ: Mapping[str, str]) -> LoadedConfig:
    """Read, parse and check a mappings file for the engine (see :meth:`LoadedDocument.for_engine`);
    raise :class:`ConfigError` listing every problem."""
    return load_document(path, environ=environ).for_engine()


def parse_config(
    raw: bytes, *, file: str, environ: Mapping[str, str], size: int | None = None
) -> LoadedConfig:
    """Parse and check a document held in memory for the engine (see :func:`load_config`)."""
    return parse_document(raw, file=file, environ=environ, size=size).for_engine()


def load_document(path: str | Path, *, environ: Mapping[str, str]) -> LoadedDocument:
    """Read, parse and check a mappings file of any installed PSA; raise :class:`ConfigError`
    listing every problem."""
    file = str(path)
    try:
        if Path(path).exists() and not Path(path).is_file() and not Path(path).is_dir():
            raise ConfigError(
                [Diagnostic(f"{file} is not a regular file", file=file)],
                hint="pass the path of your mappings file",
            )
        with Path(path).open("rb") as handle:
            # Never read more than the limit (+1 to know it was exceeded): /dev/zero never ends.
            raw = handle.read(document_limit() + 1)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        raise ConfigError(
            [Diagnostic(f"no such file: {file}", file=file)],
            hint="pass the path of your mappings file, e.g. `reconcile validate mappings.yaml`",
        ) from None
    except IsADirectoryError:
        raise ConfigError([Diagnostic(f"{file} is a directory, not a file", file=file)]) from None
    except OSError as exc:
        raise ConfigError([Diagnostic(f"cannot read {file}: {exc.strerror}", file=file)]) from None
    return parse_document(raw, file=file, environ=environ, size=size)


def parse_document(
    raw: bytes, *, file: str, environ: Mapping[str, str], size: int | None = None
) -> LoadedDocument:
    """Parse and check a document held in memory (see :func:`load_document`)."""
    # Past a successful parse, every problem of every stage is collected and reported at once.
    problems: list[Diagnostic] = []
    source = load_bytes(
        raw,
        file=file,
        environ=environ,
        size=size,
        reference_fields=union.reference_fields_for,
        problems=problems,
    )
    model = union.choose(source)
    if isinstance(model, Diagnostic):  # no PSA to check the rest against
        raise ConfigError(sorted([*problems, model], key=lambda d: (d.line or 0, d.column or 0)))
    data = with_stand_ins(source, problems) if problems else source.data
    document: PsaDocument | None
    try:
        document = union.adapter().validate_python(data)
    except ValidationError:
        document = _located_errors(data, source, model, problems)
    warnings: list[Diagnostic] = []
    check = union.installed()[model.PSA].check
    if document is not None and check is not None:
        rule_errors, warnings = check(document, source)
        problems.extend(rule_errors)
    if problems:
        raise ConfigError(sorted(problems, key=lambda d: (d.line or 0, d.column or 0)))
    assert document is not None  # no problem means the whole document validated
    return LoadedDocument(
        document=document,
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        warnings=warnings,
    )


def _located_errors(
    data: dict[str, Any],
    source: SourceDocument,
    model: type[PsaDocument],
    problems: list[Diagnostic],
) -> PsaDocument | None:
    """Add the schema errors of ``data`` against its PSA's ``model`` to ``problems``; return
    what of it validates (for the rules), if anything."""
    # Against the member itself: the union's errors carry its tag in their locations.
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = translate(exc, source, model, misplaced=union.misplaced(model))
        problems.extend(_unless_at_same_place(found, problems))
        return validated_remainder(data, exc, model)
