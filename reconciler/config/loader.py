"""Read ``mappings.yaml`` into plain data, keeping the source position of every node.

PyYAML alone is not enough for a configuration language people edit by hand: it silently keeps the
last of two duplicate keys, expands alias bombs, recurses on deep nesting and reports tabs with a
cryptic message. This loader refuses all of those with a located, human message, and records where
each key and value stood so that later checks (schema, live names) can point at ``FILE:LINE:COL``.

``${env:NAME}`` and ``${env:NAME:-default}`` are interpolated in string values; a value that came
from interpolation is a :class:`TemplateStr`, which remembers the text as written so that secrets
can be kept in a plan as references, never as values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.errors import ConfigError, Diagnostic

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 50
MAX_NODES = 100_000

PathKey = tuple[str | int, ...]

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_ENV_START = re.compile(r"\$\{env:")


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
    problems: list[Diagnostic] | None = None,
) -> SourceDocument:
    """Parse a configuration document from bytes (see the module docstring for what is refused).

    ``size`` is the file's size when only its first bytes were read (a file over the limit).
    With ``problems``, the located problems found after a successful parse (``${env:}``
    references, duplicate keys) are appended there instead of raised, so that the caller can
    report them together with the schema and rule errors.
    """
    total = max(size or 0, len(raw))
    if total > MAX_DOCUMENT_BYTES:
        raise ConfigError(
            [
                Diagnostic(
                    f"the document is {total:,} bytes ({total / 1_048_576:.1f} MB); "
                    f"the limit is 1 MB ({MAX_DOCUMENT_BYTES:,} bytes)",
                    file=file,
                )
            ],
            hint="a mappings file is a few kilobytes; is this the right file?",
        )
    text = _decode(raw, file)
    _check_tabs(text, file)
    root = _compose(text, file)
    builder = _Builder(file=file, environ=environ)
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

    def __init__(self, *, file: str, environ: Mapping[str, str]):
        self.file = file
        self.environ = environ
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
        return self._scalar(node)

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
            key = str(key_node.value)
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

    def _scalar(self, node: yaml.Node) -> Any:
        value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, str) and "${" in value:
            return self._interpolate(node, value)
        return value

    def _interpolate(self, node: yaml.Node, text: str) -> Any:
        missing: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = self.environ.get(name)
            # As in the shell, `:-default` also replaces a variable set to the empty string
            # (CI systems pass an undefined secret as "").
            if value is not None and (value != "" or default is None):
                return value
            if default is not None:
                return default
            missing.append(name)
            return ""

        result = _ENV_REF.sub(substitute, text)
        leftover = _ENV_START.search(_ENV_REF.sub("", text))
        if leftover:
            self._problem(
                node,
                f"malformed environment reference in {text!r}",
                "write ${env:NAME} or ${env:NAME:-default}; NAME is letters, digits and _",
            )
        for name in missing:
            self._problem(
                node,
                f"environment variable {name} is not set",
                f"export {name}=... (or put it in .env), or give a default: ${{env:{name}:-value}}",
            )
        if not _ENV_REF.search(text):
            return text
        return TemplateStr(result, text)
