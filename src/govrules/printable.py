"""User text made safe to show on a terminal.

A project name, a fact value or a file name may hold control characters written as escapes
(``"\\u001b[2J"`` in JSON, ``"\\e"`` in YAML): echoed raw, they clear the screen, move the cursor or
overwrite a line, and a record could print a fake conclusion. Every message and report that reaches
a terminal passes the user's text through :func:`printable`, which writes such characters as visible
escapes (``\\x1b``), and cuts a long value short with :func:`shorten`.
"""

from __future__ import annotations

import re

#: C0 controls, DEL and C1 controls (``\\x9b`` is a CSI on some terminals), the bidirectional
#: overrides and isolates (which reorder what is shown), the Unicode line and paragraph separators,
#: the BOM and lone surrogates (which cannot even be written as UTF-8).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ufeff\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                                "\u2066-\u2069\ufeff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control, bidirectional-override and unencodable character written as an escape.

    With ``newlines=True`` a line feed is kept (for a whole message of several lines); otherwise it is
    escaped too, so that a value cannot start a line of its own in a report.

    >>> printable("a\\x1b[2Jb")
    'a\\\\x1b[2Jb'
    """
    pattern = _UNSAFE_KEEP_LINES if newlines else _UNSAFE
    return pattern.sub(_escape, text) if pattern.search(text) else text


def shorten(value: object, keep: int = 40) -> str:
    """``value`` for a message: made :func:`printable`, and cut to ``keep`` characters with an ellipsis
    and the full length when longer (a hostile value may be a million characters)."""
    text = str(value)
    if len(text) > keep:
        return f"{printable(text[:keep])}… ({len(text)} characters)"
    return printable(text)


#: What ``json.dumps(..., ensure_ascii=False)`` writes raw but a terminal acts on (it escapes C0 itself).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
                             "\ud800-\udfff]")


def json_printable(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with DEL, C1 controls, bidirectional
    overrides and lone surrogates written as ``\\u`` escapes (four hex digits): the same JSON value, safe to print.

    Such characters occur only inside JSON strings, where such a ``\\u`` escape stands for the character itself.
    """
    if _UNSAFE_IN_JSON.search(text) is None:
        return text
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
