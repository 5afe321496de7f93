"""One escaping function per view: every data value reaches output through one of these.

Live names, URLs and messages are typed by whoever can reach an Autotask or Salesbuildr admin
field, so no view may format them by hand:

* the terminal (text plan, drift, diagnostics, every CLI table): :func:`terminal` for names and
  cells, :func:`text_value` for quoted values. Control characters (C0, DEL, C1, ESC), line and
  paragraph separators, and format characters (bidi overrides and isolates, zero-width
  characters, BOM, tags) become visible escapes (``\\x1b``, ``\\u202e``), so nothing can move the
  cursor, recolour, hyperlink, reorder the line, or start a line of its own;
* Markdown (the pull-request comment): :func:`markdown_code` for values, :func:`markdown_text`
  for prose. Characters with a meaning in Markdown or HTML become character references, which
  CommonMark shows as literal text and never as structure: no code span, table cell, HTML tag,
  comment marker, emphasis or math from data; ``@`` is shown inside ``<code>``, where a mention
  never notifies;
* JSON: :func:`json_text` keeps ``json.dumps`` and escapes, inside strings, what ``json.dumps``
  leaves raw (DEL, C1, bidi and zero-width characters), so a terminal never receives them.
"""

from __future__ import annotations

import unicodedata

# Cc: C0, DEL, C1. Cf: bidi embeddings/overrides/isolates, zero-width, BOM, tag characters.
# Zl/Zp: U+2028/U+2029, line breaks to some terminals and editors. Cs: lone surrogates.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

VALUE_LIMIT = 200
"""Markdown shows at most this many characters of a value; the JSON plan has all of them."""
ELLIPSIS = "…"

_MARKDOWN_REFERENCES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "&#124;",  # a table cell ends at a raw pipe, also inside a code span
    "`": "&#96;",
    "\\": "&#92;",
    "*": "&#42;",
    "_": "&#95;",
    "[": "&#91;",
    "~": "&#126;",
    "$": "&#36;",  # GitHub math
    "@": "&#64;",
}


def is_hidden(char: str) -> bool:
    """A character a terminal or browser acts on, or draws as nothing."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES


def visible(char: str) -> str:
    """The escape that shows a hidden character: ``\\n``, ``\\x1b``, ``\\u202e``."""
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def terminal(text: object) -> str:
    """A name, cell or one-line message for the terminal: every hidden character escaped."""
    return "".join(visible(c) if is_hidden(c) else c for c in str(text))


def terminal_lines(text: str) -> str:
    """A message the tool may have broke into lines, each continuation indented two spaces
    (``"...:\\n  item"``): those breaks stay, every other one and every hidden character is
    escaped. The items are escaped where the message is built; this is the backstop."""
    lines = text.split("\n")
    kept = [terminal(lines[0])]
    for line in lines[1:]:
        if line.startswith("  "):
            kept.append("\n" + terminal(line))
        else:
            kept[-1] += "\\n" + terminal(line)
    return "".join(kept)


def text_value(text: str) -> str:
    """A string value in double quotes: ``\\`` and ``"`` escaped, so no value ends early."""
    return '"' + terminal(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def shorten(text: str, limit: int = VALUE_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def terminal_short(text: object, limit: int = VALUE_LIMIT) -> str:
    """An address or name for the terminal as Markdown shows it: shortened to ``limit``
    characters (``…``), then every hidden character escaped (a 200 KB live name is not a
    200 KB line)."""
    return terminal(shorten(str(text), limit))


def _markdown_escaped(text: str) -> str:
    shown = terminal(text)
    return "".join(_MARKDOWN_REFERENCES.get(c, c) for c in shown)


def markdown_code(text: object, *, limit: int = VALUE_LIMIT) -> str:
    """A value in monospace: ``<code>`` with every Markdown/HTML character as a reference."""
    return f"<code>{_markdown_escaped(shorten(str(text), limit))}</code>"


def markdown_text(text: object, *, limit: int = VALUE_LIMIT) -> str:
    """Prose from data (a message, a section name): literal text, ``@`` never a mention."""
    escaped = _markdown_escaped(shorten(str(text), limit))
    return escaped.replace("&#64;", "<code>&#64;</code>")


def is_shortened(text: object, limit: int = VALUE_LIMIT) -> bool:
    return len(str(text)) > limit


def json_text(text: str) -> str:
    """JSON text with every hidden character ``\\u``-escaped inside its strings.

    ``json.dumps`` already escapes C0 inside strings, so a raw one is layout (the indent's
    newlines); every other hidden character can only be inside a string.
    """
    out = []
    for char in text:
        if char >= " " and is_hidden(char):
            point = ord(char)
            if point >= 0x10000:
                point -= 0x10000
                out.append(f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}")
            else:
                out.append(f"\\u{point:04x}")
        else:
            out.append(char)
    return "".join(out)
