"""The character rule for text that ends up on a label or in a carrier's records.

A name, company, street line, city or reference is one printed line. It may not hold a control
character (``Cc``: NUL, BEL, ESC, DEL, a tab or line break inside the text...), an invisible format
character (``Cf``: U+202E right-to-left override, U+FEFF, U+200B zero-width space...), a line or
paragraph separator (``Zl``, ``Zp``), a private-use character (``Co``), a lone surrogate (``Cs``)
or a code point Unicode has not assigned (``Cn``). These are refused, never silently dropped: a
dropped character changes the name printed on a label without anyone seeing it.

Whitespace at either end (spaces of any width, tabs, CR and LF: a trailing newline from a CSV
file or a form) is trimmed, and a run of spaces inside the text becomes one space.
"""

from __future__ import annotations

import unicodedata

__all__ = ["REFUSED_CATEGORIES", "SPACES", "TRIMMED", "describe", "one_line", "refused_character"]

#: Unicode general categories refused anywhere in a line of text.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})
#: Every space separator (category ``Zs``): trimmed at the ends, one space inside.
SPACES = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
#: What is trimmed at either end: the spaces, tabs, CR and LF.
TRIMMED = SPACES + "\t\r\n"

_SPACE_RUNS = str.maketrans(dict.fromkeys(SPACES[1:], " "))
#: Names for the control characters Unicode leaves unnamed, the ones a person is likely to meet.
_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LF",
    0x0D: "CR",
    0x1B: "ESC",
    0x7F: "DEL",
}


def refused_character(text: str) -> str | None:
    """How the first refused character of ``text`` is named (``U+001B``), or None if there is none."""
    if text.isascii() and text.isprintable():  # the common case, without a look-up per character
        return None
    for char in text:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def one_line(text: str) -> tuple[str, str | None]:
    """``text`` trimmed at both ends with runs of spaces made one, and what is wrong with it (or None).

    The problem is a message to follow a field's name: ``must not contain control or invisible
    characters (U+001B (ESC) found)``; it names the character, never the text.
    """
    text = text.strip(TRIMMED)
    found = refused_character(text)
    if found is not None:
        return text, f"must not contain control or invisible characters ({describe(found)} found)"
    return " ".join(part for part in text.translate(_SPACE_RUNS).split(" ") if part), None


def describe(code_point: str) -> str:
    """``U+001B`` as ``U+001B (ESCAPE)`` where Unicode names it, for a message a person reads."""
    value = int(code_point[2:], 16)
    name = _CONTROL_NAMES.get(value) or unicodedata.name(chr(value), "")
    return f"{code_point} ({name})" if name else code_point
