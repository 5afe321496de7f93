"""Read ``mappings.yaml`` into plain data, keeping the source position of every node.

PyYAML alone is not enough for a configuration language people edit by hand: it silently keeps the
last of two duplicate keys, expands alias bombs, recurses on deep nesting and reports tabs with a
cryptic message. This loader refuses all of those with a located, human message, and records where
each key and value stood so that later checks (schema, live names) can point at ``FILE:LINE:COL``.

``${env:NAME}`` and ``${env:NAME:-default}`` are interpolated in string values; a value that came
from interpolation is a :class:`TemplateStr`, which remembers the text as written so that secrets
can be kept in a plan as references, never as values. A reference is a reviewed pointer, never a
channel: it may stand only in the fields ``reference_fields`` names (for mappings.yaml: secret
fields and connection URLs), never names a variable reconcile reads itself (see
:mod:`reconciler.envvars`), and ``$${`` is a literal ``${`` that is never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.config.references import PathKey as _PathKey
from reconciler.config.references import ReferenceFields, reference_problems
from reconciler.envvars import (
    ENV_REFERENCE,
    ENV_START,
    LITERAL_DOLLAR_BRACE,
    MAX_CONFIG_SIZE,
    Reference,
    resolve_reference,
)
from reconciler.errors import ConfigError, Diagnostic
from reconciler.redact import register_reference

SIZE_HINT = (
    "if the file really is this large, raise the limit with `reconcile --max-config-size BYTES` "
    "(or RECONCILE_MAX_CONFIG_SIZE=BYTES in the environment)"
)


def document_limit() -> int:
    """The largest document this process loads (``--max-config-size``, or 1 MB)."""
    return MAX_CONFIG_SIZE.get()


document_limit_set = MAX_CONFIG_SIZE.using
"""Use ``max_bytes`` (None: the 1 MB default) as the size limit while the block runs."""


def megabytes(size: int) -> str:
    """``1 MB``, ``2.5 MB``: a size as the limit's messages say it (1 MB = 1,048,576 bytes)."""
    return f"{size / 1_048_576:.1f}".removesuffix(".0") + " MB"


MAX_DEPTH = 50
MAX_NODES = 100_000

PathKey = _PathKey


class TemplateStr(str):
    """A string produced by ``${env:...}`` interpolation; ``template`` is the text as written."""

    template: str

    def __new__(cls, value: str, template: str) -> TemplateStr:
        obj = super().__new__(cls, value)
        obj.template = template
        return obj


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in the source document."""

    line: int
    column: int


@dataclass
class SourceDocument:
    """The parsed document and where each of its nodes stood."""

    file: str
    data: dict[str, Any]
    value_positions: dict[PathKey, Position] = field(default_factory=dict)
    key_positions: dict[PathKey, Position] = field(default_factory=dict)
    text: str = ""

    def locate(self, path: PathKey, *, key: bool = False) -> Position:
        """The position of ``path`` (its key when ``key``), else of its nearest located parent."""
        probe = tuple(path)
        while True:
            table = self.key_positions if key else self.value_positions
            if probe in table:
                return table[probe]
            if key and probe in self.value_positions:
                return self.value_positions[probe]
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]
            key = True

    def diagnostic(
        self, path: PathKey, message: str, *, hint: str | None = None, key: bool = False
    ) -> Diagnostic:
        pos = self.locate(path, key=key)
        return Diagnostic(message, file=self.file, line=pos.line, column=pos.column, hint=hint)


def load_bytes(
    raw: bytes,
    *,
    file: str,
    environ: Mapping[str, str],
    size: int | None = None,
    reference_fields: ReferenceFields | Callable[[str | None], ReferenceFields] | None = None,
    problems: list[Diagnostic] | None = None,
) -> SourceDocument:
    """Parse a configuration document from bytes (see the module docstring for what is refused).

    ``size`` is the file's size when only its first bytes were read (a file over the limit);
    ``reference_fields``: where ``${env:...}`` may stand (None: in any value); a function of the
    document's top-level ``psa`` scalar (None: absent) when that depends on the PSA.
    With ``problems``, the located problems found after a successful parse (``${env:}``
    references, duplicate keys) are appended there instead of raised, so that the caller can
    report them together with the schema and rule errors.
    """
    total = max(size or 0, len(raw))
    limit = document_limit()
    if total > limit:
        raise ConfigError(
            [
                Diagnostic(
                    f"the document is {total:,} bytes ({total / 1_048_576:.1f} MB); "
                    f"the limit is {megabytes(limit)} ({limit:,} bytes)",
                    file=file,
                )
            ],
            hint=f"a mappings file is a few kilobytes; is this the right file? {SIZE_HINT}",
        )
    text = _decode(raw, file)
    _check_tabs(text, file)
    root = _compose(text, file)
    if callable(reference_fields):
        # Chosen before any value is built: interpolation happens while building.
        reference_fields = reference_fields(_top_level_scalar(root, "psa"))
    builder = _Builder(file=file, environ=environ, reference_fields=reference_fields)
    data = builder.build(root)
    if builder.diagnostics and problems is None:
        raise ConfigError(builder.diagnostics)
    if problems is not None:
        problems.extend(builder.diagnostics)
    if not isinstance(data, dict):
        found = _describe_root(data)
        raise ConfigError(
            [
                Diagnostic(
                    f"the document must be a mapping of sections (key: value), found {found}",
                    file=file,
                    line=root.start_mark.line + 1,
                    column=root.start_mark.column + 1,
                    hint="start with `version: 1`",
                )
            ]
        )
    return SourceDocument(
        file=file,
        data=data,
        value_positions=builder.value_positions,
        key_positions=builder.key_positions,
        text=text,
    )


def _top_level_scalar(root: yaml.Node, key: str) -> str | None:
    """The text of the top-level ``key``'s value when it is a scalar (None otherwise)."""
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return str(value_node.value) if isinstance(value_node, yaml.ScalarNode) else None
    return None


def _describe_root(data: Any) -> str:
    if isinstance(data, list):
        return "a list"
    if isinstance(data, bool):
        return f"the boolean {str(data).lower()}"
    if isinstance(data, int | float):
        return f"the number {data}"
    if isinstance(data, str):
        shown = data if len(data) <= 40 else data[:37] + "..."
        return f"the text '{shown}'"
    return f"a {type(data).__name__} value"


def _decode(raw: bytes, file: str) -> str:
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ConfigError(
            [
                Diagnostic(
                    "this is not a text file (it contains NUL bytes)",
                    file=file,
                    line=line,
                    column=1,
                    hint="a mappings file is UTF-8 YAML",
                )
            ]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            [
                Diagnostic(
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    file=file,
                    line=line,
                    column=column,
                    hint="save the file as UTF-8",
                )
            ]
        ) from None
    return text


def _check_tabs(text: str, file: str) -> None:
    problems: list[Diagnostic] = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                Diagnostic(
                    "tab character in indentation",
                    file=file,
                    line=number,
                    column=indent.index("\t") + 1,
                    hint="YAML indents with spaces only; replace the tab with spaces",
                )
            )
    if problems:
        raise ConfigError(problems)


# libyaml parses a large file about 30 times faster than pure Python. It is used when present;
# a document it rejects is parsed again in pure Python, whose messages the hints are written for.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)


def _compose(text: str, file: str) -> yaml.Node:
    """Check the event stream (iteratively: no recursion), then compose the tree."""
    if _FAST_LOADER is not None:
        try:
            _check_events(text, file, loader=_FAST_LOADER)
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
        else:
            return _non_empty(node, file)
    try:
        _check_events(text, file, loader=yaml.SafeLoader)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            [
                Diagnostic(
                    f"YAML syntax error: {problem}",
                    file=file,
                    line=(mark.line + 1) if mark else 0,
                    column=(mark.column + 1) if mark else 0,
                    hint=_syntax_hint(problem),
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Diagnostic(f"YAML error: {exc}", file=file)]) from None
    return _non_empty(node, file)


def _non_empty(node: yaml.Node | None, file: str) -> yaml.Node:
    if node is None:
        raise ConfigError(
            [Diagnostic("the document is empty", file=file, hint="start with `version: 1`")]
        )
    return node


def _check_events(text: str, file: str, *, loader: Any) -> None:
    """Refuse a second document, nesting deeper than MAX_DEPTH, and alias bombs.

    The composer shares one node between an anchor and its aliases, so a bomb is cheap to compose
    and explodes only when turned into data. Counting the nodes the data *would* have (an alias
    counts as the whole subtree of its anchor) catches it at the alias that crosses the limit.
    """

    def refuse(event: yaml.Event, message: str, hint: str) -> ConfigError:
        mark = event.start_mark
        return ConfigError(
            [Diagnostic(message, file=file, line=_line(mark), column=_column(mark), hint=hint)]
        )

    documents = 0
    total = 0
    anchor_sizes: dict[str, int] = {}
    open_collections: list[tuple[str | None, int]] = []  # (anchor, nodes so far) per level
    for event in yaml.parse(text, Loader=loader):
        size = 0
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise refuse(
                    event,
                    "more than one YAML document in the file",
                    "keep one document: remove the `---` separator and what follows, or merge "
                    "it into the first",
                )
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(open_collections) >= MAX_DEPTH:
                raise refuse(
                    event,
                    f"nesting deeper than {MAX_DEPTH} levels",
                    "no section of mappings.yaml nests more than a few levels",
                )
            open_collections.append((event.anchor, 1))
            total += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = open_collections.pop()
            if anchor is not None:
                anchor_sizes[anchor] = size
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            total += 1
            if event.anchor is not None:
                anchor_sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            size = anchor_sizes.get(event.anchor or "", 1)
            total += size
        if size and open_collections:  # a finished node counts in its parent's size
            anchor, so_far = open_collections[-1]
            open_collections[-1] = (anchor, so_far + size)
        if total > MAX_NODES:
            raise refuse(
                event,
                f"the document expands to more than {MAX_NODES:,} values",
                "anchors and aliases (&x / *x) nest too deeply; this looks like an alias bomb",
            )


def _line(mark: Any) -> int:
    return int(mark.line) + 1 if mark is not None else 0


def _column(mark: Any) -> int:
    return int(mark.column) + 1 if mark is not None else 0


def _syntax_hint(problem: str) -> str | None:
    if "mapping values are not allowed" in problem:
        return "check the indentation of this line, or quote a value that contains ': '"
    if "could not find expected ':'" in problem:
        return "each line in a mapping is `key: value`"
    if "found undefined alias" in problem:
        return "an alias (*name) must refer to an anchor (&name) defined earlier"
    return None


class _Builder:
    """Turns a composed node tree into Python data, recording positions and problems."""

    def __init__(
        self,
        *,
        file: str,
        environ: Mapping[str, str],
        reference_fields: ReferenceFields | None = None,
    ):
        self.file = file
        self.environ = environ
        self.reference_fields = reference_fields
        self.constructor = yaml.SafeLoader("")
        self.value_positions: dict[PathKey, Position] = {}
        self.key_positions: dict[PathKey, Position] = {}
        self.diagnostics: list[Diagnostic] = []

    def build(self, root: yaml.Node) -> Any:
        return self._node(root, ())

    def _mark(self, node: yaml.Node) -> Position:
        return Position(node.start_mark.line + 1, node.start_mark.column + 1)

    def _problem(self, node: yaml.Node, message: str, hint: str | None = None) -> None:
        pos = self._mark(node)
        self.diagnostics.append(
            Diagnostic(message, file=self.file, line=pos.line, column=pos.column, hint=hint)
        )

    def _node(self, node: yaml.Node, path: PathKey) -> Any:
        self.value_positions[path] = self._mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._node(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._problem(key_node, "merge keys (<<) are not supported", "write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, "a key must be a plain name, not a list or mapping")
                continue
            # A key is never expanded; `$${` is a literal `${` here too (export writes it so).
            key = str(key_node.value).replace(LITERAL_DOLLAR_BRACE, LITERAL_DOLLAR_BRACE[1:])
            key_pos = self._mark(key_node)
            if key in seen:
                first = seen[key]
                self._problem(
                    key_node,
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    "YAML would silently keep only the last one; remove or merge one of them",
                )
                continue
            seen[key] = key_pos
            self.key_positions[(*path, key)] = key_pos
            result[key] = self._node(value_node, (*path, key))
        return result

    def _scalar(self, node: yaml.Node, path: PathKey) -> Any:
        value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, str) and "${" in value:
            return self._interpolate(node, value, path)
        return value

    def _interpolate(self, node: yaml.Node, text: str, path: PathKey) -> Any:
        # `$${` is a literal `${`: split on it, expand the pieces, join them with `${`.
        pieces = text.split(LITERAL_DOLLAR_BRACE)
        references = [
            Reference(m.group(1), m.group(2))
            for piece in pieces
            for m in ENV_REFERENCE.finditer(piece)
        ]
        if any(ENV_START.search(ENV_REFERENCE.sub("", piece)) for piece in pieces):
            self._problem(
                node,
                f"malformed environment reference in {text!r}",
                "write ${env:NAME} or ${env:NAME:-default}; NAME is letters, digits and _; "
                "for a literal ${ write $${",
            )
        if not references:
            return LITERAL_DOLLAR_BRACE[1:].join(pieces)
        refusals = reference_problems(self.reference_fields, path, references)
        for message, hint in refusals:
            self._problem(node, message, hint)
        if refusals:
            return ""  # refused: the variables are never read
        missing: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            value = resolve_reference(Reference(match.group(1), match.group(2)), self.environ)
            register_reference(match.group(1), self.environ.get(match.group(1)))  # redactor
            if value is None:
                missing.append(match.group(1))
                return ""
            return value

        result = LITERAL_DOLLAR_BRACE[1:].join(ENV_REFERENCE.sub(substitute, p) for p in pieces)
        for name in missing:
            self._problem(
                node,
                f"environment variable {name} is not set",
                f"export {name}=... (or put it in .env), or give a default: ${{env:{name}:-value}}",
            )
        return TemplateStr(result, text)
