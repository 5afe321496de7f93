"""The YAML language: load with positions, validate against the models, check offline rules."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from reconciler.config.loader import SourceDocument, document_limit, load_bytes
from reconciler.config.models import REFERENCE_FIELDS, Config
from reconciler.config.partial import validated_remainder, with_stand_ins
from reconciler.config.rules import check
from reconciler.config.validation import translate
from reconciler.errors import ConfigError, Diagnostic


def _unless_at_same_place(found: list[Diagnostic], earlier: list[Diagnostic]) -> list[Diagnostic]:
    """Drop a schema error at a node already reported (an unset ``${env:}`` left it empty)."""
    places = {(d.line, d.column) for d in earlier}
    return [d for d in found if (d.line, d.column) not in places]


__all__ = ["Config", "LoadedConfig", "load_config", "parse_config"]


@dataclass(frozen=True)
class LoadedConfig:
    """A valid configuration, where it came from, and the warnings found while checking it."""

    config: Config
    source: SourceDocument
    sha256: str
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.source.file


def load_config(path: str | Path, *, environ: Mapping[str, str]) -> LoadedConfig:
    """Read, parse and check a mappings file; raise :class:`ConfigError` listing every problem."""
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
    return parse_config(raw, file=file, environ=environ, size=size)


def parse_config(
    raw: bytes, *, file: str, environ: Mapping[str, str], size: int | None = None
) -> LoadedConfig:
    """Parse and check a document held in memory (see :func:`load_config`)."""
    # Past a successful parse, every problem of every stage is collected and reported at once.
    problems: list[Diagnostic] = []
    source = load_bytes(
        raw,
        file=file,
        environ=environ,
        size=size,
        reference_fields=REFERENCE_FIELDS,
        problems=problems,
    )
    data = with_stand_ins(source, problems) if problems else source.data
    config: Config | None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems.extend(_unless_at_same_place(translate(exc, source, Config), problems))
        config = validated_remainder(data, exc)
    warnings: list[Diagnostic] = []
    if config is not None:
        rule_errors, warnings = check(config, source)
        problems.extend(rule_errors)
    if problems:
        raise ConfigError(sorted(problems, key=lambda d: (d.line or 0, d.column or 0)))
    assert config is not None  # no problem means the whole document validated
    return LoadedConfig(
        config=config,
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        warnings=warnings,
    )
