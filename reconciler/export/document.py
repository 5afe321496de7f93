"""An exported document as data, dumped by PyYAML, with the comments the file says beside it.

The exporter builds plain data: each section a tree of dicts (block mappings), :class:`Flow` dicts
and lists (written inline), and scalars. PyYAML dumps it (:class:`_Dumper`); what the file says
beside the data lives in a side-table, :class:`Comments`, keyed by path (the keys from the document
root, e.g. ``("billing_codes", "categories", "Hardware")``):

* ``notes``: a comment at the end of the entry's line (``key: {id: 3}  # ...``);
* ``hidden``: entries written commented out, so what a file cannot state is shown, not lost; a
  mapping whose entries are all hidden stays ``key:`` (YAML: null), or is ``key: {}`` if ``braced``;
* ``before``: comment lines above an entry (at its indent);
* ``remarks``: a section written as comment lines only (it has no data).

An entry whose key or value holds a registered secret (:func:`reconciler.redact.holds_secret`) is
hidden with a note, whatever the exporter says: the one redactor would write it ``<redacted>``,
a file stating that as data would plan ``"<redacted>" -> "<redacted>"``, and apply would write it.

The post-pass (:func:`_annotate`) can key lines by path because of the shape the dumper gives: every
block-mapping entry is exactly one line (lists and :class:`Flow` dicts inline, no line folding, any
scalar a simple key), in the order of a pre-order walk of the tree. It checks that the count agrees.

Scalars are written as a YAML value the loader reads back unchanged: every ``${`` in text is data,
written ``$${``; text holding a line break, a control, bidi or zero-width character is double-quoted
with escapes (ASCII only), so it stays on its line and shows what it holds (in a file, and on a
terminal when exported to stdout).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from reconciler.envvars import escape_literal
from reconciler.redact import holds_secret

Path = tuple[str, ...]
"""The keys of an entry from the document root."""


class Flow(dict[str, Any]):
    """A mapping written inline, ``{active: true, default: false}``."""


class Plain(str):
    """Text written as it is, unquoted, typed as YAML reads it (an id written ``{id: 12}``)."""


class _Empty:
    """A section with nothing under its heading: ``key:`` alone."""


EMPTY = _Empty()


@dataclass
class Comments:
    """What the file says beside the data, keyed by path (see the module docstring)."""

    notes: dict[Path, str] = field(default_factory=dict)
    hidden: set[Path] = field(default_factory=set)
    braced: set[Path] = field(default_factory=set)
    before: dict[Path, list[str]] = field(default_factory=dict)
    remarks: dict[str, list[str]] = field(default_factory=dict)


class _Emitter(yaml.emitter.Emitter):
    def check_simple_key(self) -> bool:
        # Every key is a one-line scalar (no folding, escapes in double quotes), so `key: value`
        # always: never the `? key` form PyYAML picks for long or empty keys.
        if isinstance(self.event, yaml.ScalarEvent):
            return True
        return bool(super().check_simple_key())

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        if style == "'" and self.flow_level and self._plain_in_flow():
            return ""
        return style

    def _plain_in_flow(self) -> bool:
        """Plain in a flow list too when only an inner ``:`` made PyYAML quote it (``a:b``):
        YAML reads ``[a:b]`` as one item, and exports have always written it so."""
        event, analysis = self.event, self.analysis
        if not isinstance(event, yaml.ScalarEvent) or analysis is None:
            return False
        text = str(event.value)
        return (
            event.style is None
            and bool(event.implicit[0])
            and bool(analysis.allow_block_plain)
            and text[:1] not in "?:"
            and not any(c in text for c in ",?[]{}")
        )

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        # Double quotes are used only for text that hides something: escape all but ASCII.
        allow_unicode, self.allow_unicode = self.allow_unicode, False
        try:
            super().write_double_quoted(text, split)
        finally:
            self.allow_unicode = allow_unicode


class _Dumper(
    _Emitter,
    yaml.serializer.Serializer,
    yaml.representer.SafeRepresenter,
    yaml.resolver.Resolver,
):
    def __init__(self, stream: Any, **options: Any) -> None:
        _Emitter.__init__(
            self,
            stream,
            allow_unicode=True,
            indent=2,
            width=sys.maxsize,  # never fold a line
        )
        yaml.serializer.Serializer.__init__(self)
        yaml.representer.SafeRepresenter.__init__(self, default_flow_style=False, sort_keys=False)
        yaml.resolver.Resolver.__init__(self)


def _text(dumper: _Dumper, value: str) -> yaml.Node:
    text = escape_literal(value)
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style=None if text.isprintable() else '"'
    )


def _plain(dumper: _Dumper, value: Plain) -> yaml.Node:
    text = str(value)
    tag = str(dumper.resolve(ScalarNode, text, (True, False)))  # type: ignore[no-untyped-call]
    return dumper.represent_scalar(tag, text)


def _flow(dumper: _Dumper, value: Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


def _list(dumper: _Dumper, value: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


def _empty(dumper: _Dumper, value: _Empty) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")


_Dumper.add_representer(str, _text)
_Dumper.add_representer(Plain, _plain)
_Dumper.add_representer(Flow, _flow)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(_Empty, _empty)


def dump(data: Mapping[str, Any]) -> list[str]:
    """``data`` (a mapping) as YAML lines, without the comments."""
    text = yaml.dump(dict(data), Dumper=_Dumper)
    return text.splitlines()


def _is_block(value: Any) -> bool:
    return isinstance(value, dict) and not isinstance(value, Flow) and bool(value)


def _entries(data: Mapping[str, Any], prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every block-mapping entry (path, value), in the order the dumper writes their lines."""
    for key, value in data.items():
        path = (*prefix, str(key))
        yield path, value
        if _is_block(value):
            yield from _entries(value, path)


def _commented(line: str) -> str:
    body = line.lstrip(" ")
    return " " * (len(line) - len(body)) + "# " + body


def _all_hidden(value: Any, path: Path, hidden: set[Path]) -> bool:
    return _is_block(value) and all((*path, str(k)) in hidden for k in value)


SECRET_NOTE = (
    "left out: it holds a secret value (the redactor's); state it in the file with ${env:NAME}"
)


def _strings(value: Any) -> Iterator[str]:
    """Every text of a scalar, :class:`Flow` dict or list (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _without_secrets(sections: Mapping[str, Any], comments: Comments) -> Comments:
    """``comments`` with every entry that holds a secret hidden and noted (module docstring).

    A key that holds one hides its entry; a value that holds one hides the entry's parent, the
    object it is an attribute of (its entry itself when that is the section): coarse on purpose,
    as leaving one attribute out could change what the file means (an unstated url is
    Salesbuildr's receiver)."""
    hidden = set(comments.hidden)
    notes = dict(comments.notes)
    for section, value in sections.items():
        if not _is_block(value):
            continue
        for path, item in _entries(value, (str(section),)):
            if any(path[:n] in hidden for n in range(1, len(path) + 1)):
                continue  # left out already, or inside an entry that is
            if holds_secret(path[-1]):
                found = path
            elif not _is_block(item) and any(holds_secret(text) for text in _strings(item)):
                found = path[:-1] if len(path) > 2 else path
            else:
                continue
            hidden.add(found)
            notes[found] = SECRET_NOTE
    if hidden == comments.hidden:
        return comments
    return Comments(notes, hidden, set(comments.braced), comments.before, comments.remarks)


def _annotate(data: Mapping[str, Any], comments: Comments) -> list[str]:
    """The dumped lines of ``data`` with ``comments`` added (see the module docstring)."""
    lines = dump(data)
    entries = list(_entries(data))
    if len(entries) != len(lines):
        raise AssertionError(f"export: {len(lines)} lines dumped for {len(entries)} entries")
    out: list[str] = []
    for (path, value), dumped in zip(entries, lines, strict=True):
        indent = "  " * (len(path) - 1)
        out.extend(f"{indent}# {text}" for text in comments.before.get(path, ()))
        line = dumped
        if path in comments.braced and _all_hidden(value, path, comments.hidden):
            line += " {}"
        if any(path[:n] in comments.hidden for n in range(1, len(path) + 1)):
            line = _commented(line)
        note = comments.notes.get(path)
        out.append(f"{line}  # {note}" if note else line)
    return out


def render(
    sections: Mapping[str, Any],
    comments: Comments,
    *,
    order: Sequence[str],
    header: Sequence[str] = (),
    psa: str | None = None,
) -> str:
    """The document: the ``header`` as comments, ``version: 1`` (and ``psa``, when the file is
    not the default PSA's), then each section of ``order`` that has data or remarks, a blank
    line before each."""
    comments = _without_secrets(sections, comments)
    lines = [f"# {line}" if line else "#" for line in header]
    lines.extend(dump({"version": 1} if psa is None else {"version": 1, "psa": psa}))
    for section in order:
        if section in comments.remarks:
            lines.extend(["", *(f"# {text}" for text in comments.remarks[section])])
        elif section in sections:
            lines.extend(["", *_annotate({section: sections[section]}, comments)])
    return "\n".join(lines) + "\n"


def data(sections: Mapping[str, Any], comments: Comments) -> dict[str, Any]:
    """The document as YAML reads it back (escapes aside): hidden entries left out, a mapping whose
    entries are all hidden read as None (``{}`` when braced), an empty heading as None."""
    comments = _without_secrets(sections, comments)

    def strip(value: Any, path: Path) -> Any:
        if isinstance(value, _Empty):
            return None
        if not _is_block(value):
            return value
        kept = {
            key: strip(item, (*path, str(key)))
            for key, item in value.items()
            if (*path, str(key)) not in comments.hidden
        }
        if kept or not value:
            return kept
        return {} if path in comments.braced else None

    return {"version": 1, **{s: strip(v, (s,)) for s, v in sections.items()}}
