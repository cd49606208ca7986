"""Values to and from the wire, in schema order: the hot path of every call.

:func:`encode_text` writes a dict as XML text in schema order (:func:`encode` appends it to an
lxml element; both are the writer's, ``_writer``) and :func:`decode` turns elements back into a
dict of Python values, checking order, occurrence, enumerations, lengths and patterns on the way
(:class:`~._types.SchemaError` for what the schema does not allow). ``format_simple`` and
``parse_simple`` are one simple value's text and back. Both directions read the types'
precomputed tables (``_types``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from ._types import (
    AS_IS,
    BOOLEAN,
    BOOLEANS,
    BYTES_VALUE,
    CHECKED,
    COMPLEX,
    DECIMAL_VALUE,
    DOUBLE_VALUE,
    ENUM_CHECKED,
    INTEGER_BOUNDS,
    INTEGER_VALUE,
    LENGTH_CHECKED,
    Choice,
    Complex,
    SchemaError,
    Simple,
)
from ._writer import encode, encode_text, format_simple
from ._xml import XSI

__all__ = ["decode", "encode", "encode_text", "format_simple", "parse_simple"]

_INTEGER = re.compile(r"[+-]?\d{1,40}")
_DECIMAL = re.compile(r"[+-]?(?:\d{1,29}(?:\.\d{0,28})?|\.\d{1,28})")
_DOUBLE = re.compile(r"[+-]?(?:\d{1,40}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")


# -- values ----------------------------------------------------------------------------------------
_DT = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def _parse_datetime(text: str) -> datetime:
    """xs:dateTime as .NET writes it (up to 7 fractional digits); offsets are turned into naive UTC."""
    m = _DT.fullmatch(text)
    if not m:
        raise ValueError(text)
    moment = datetime.fromisoformat(m.group(1))
    if m.group(2):
        moment = moment.replace(microsecond=int(m.group(2)[1:7].ljust(6, "0")))
    if m.group(3):
        offset = m.group(3).replace("Z", "+00:00")
        moment = datetime.fromisoformat(moment.isoformat() + offset).astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def parse_simple(text: str, simple: Simple, where: str) -> Any:
    simple.check(text, where)
    base = simple.base
    try:
        if base == "boolean":
            if text in ("true", "1"):
                return True
            if text in ("false", "0"):
                return False
            raise ValueError(text)
        if base in INTEGER_BOUNDS:
            if not _INTEGER.fullmatch(text):
                raise ValueError(text)
            value = int(text)
            bounds = INTEGER_BOUNDS[base]
            if bounds is not None and not bounds[0] <= value <= bounds[1]:
                raise ValueError(text)
            return value
        if base == "decimal":
            if not _DECIMAL.fullmatch(text):
                raise ValueError(text)
            return Decimal(text)
        if base in ("double", "float"):
            if not _DOUBLE.fullmatch(text):
                raise ValueError(text)
            return Decimal(text)
        if base == "dateTime":
            return _parse_datetime(text)
        if base == "base64Binary":
            return base64.b64decode(text, validate=True)
    except (ValueError, InvalidOperation, ArithmeticError):
        raise SchemaError(
            f"The '{where}' element is invalid - The value '{text[:40]}' is invalid according "
            f"to its datatype '{base}'.",
            where,
        ) from None
    return text


# -- decode ---------------------------------------------------------------------------------------
def decode(node: etree._Element, ctype: Complex, *, strict: bool = True) -> dict[str, Any]:
    """Read ``node``'s children as ``ctype``, refusing what the schema does not allow.

    ``strict=False`` (how the client reads responses) passes over elements the schema does not
    know and does not insist on their order; required elements and valid values are still checked.
    """
    if not strict:
        return _decode_loose(node, ctype)
    out: dict[str, Any] = {}
    by_tag = ctype.by_tag
    need = ctype.need
    particles = ctype.particles
    counts = [0] * len(particles)
    position = 0
    for child in node:
        tag = child.tag
        found = by_tag.get(tag) if isinstance(tag, str) else None
        if found is None:
            if not strict or not isinstance(tag, str):
                continue
            name = tag.rpartition("}")[2]
            raise SchemaError(f"The element '{ctype.name}' has invalid child element '{name}'.", name)
        index, f = found
        name = f.name
        if strict and index != position:
            if index < position:
                raise SchemaError(
                    f"The element '{ctype.name}' has invalid child element '{name}' (out of order).", name
                )
            for skipped in range(position, index):
                if counts[skipped] < need[skipped]:
                    _check_min(ctype, skipped, counts[skipped])
            position = index
        seen = counts[index]
        if seen:
            particle = particles[index]
            if isinstance(particle, Choice):
                if not any(o.name == name and o.repeats for o in particle.options):
                    raise SchemaError(f"The element '{ctype.name}' has more than one of a choice.", name)
            elif not f.repeats:
                raise SchemaError(f"The element '{ctype.name}' has invalid child element '{name}' (repeated).", name)
        counts[index] = seen + 1
        ftype = f.type
        value: Any
        if f.nillable and child.get(_XSI_NIL) == "true":
            value = None
        elif isinstance(ftype, Complex):
            value = decode(child, ftype, strict=strict)
        else:
            assert ftype is not None
            text = child.text or ""
            reader = ftype.reader
            if reader == AS_IS:
                value = text
            elif reader == BOOLEAN and text in BOOLEANS:
                value = BOOLEANS[text]
            else:
                value = parse_simple(text, ftype, name)
        if f.repeats:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    for remaining in range(position, len(particles)):
        if counts[remaining] < need[remaining]:
            _check_min(ctype, remaining, counts[remaining])
    return out


_XSI_NIL = f"{{{XSI}}}nil"


def _decode_loose(node: etree._Element, ctype: Complex) -> dict[str, Any]:
    """``decode(strict=False)``: the same checks but order, in one tight loop (the client's hot path)."""
    out: dict[str, Any] = {}
    children: Iterable[etree._Element] = node
    if ctype.flags:
        read = _read_flags(node, ctype)
        if read is not None:
            out, children = read  # the loop below reads the few other elements
    elif ctype.texts:
        texts = _read_texts(node, ctype)
        if texts is not None:
            out, children = texts, ()  # all read: the required fields checked below
    reads = ctype.reads
    for child in children:
        found = reads.get(child.tag)  # comments have a function for a tag: never found
        if found is None:
            continue
        name, kind, ftype, limit, unusual = found
        value: Any
        if unusual is not None:  # a field that repeats, is one of a choice or may be nil: rarer
            repeats, siblings, nillable = unusual
            if not repeats and (name in out or (siblings and any(s in out for s in siblings))):
                what = "more than one of a choice" if siblings else f"invalid child element '{name}' (repeated)"
                raise SchemaError(f"The element '{ctype.name}' has {what}.", name)
            if nillable and child.get(_XSI_NIL) == "true":
                _put(out, name, None, repeats)
                continue
        elif name in out:
            raise SchemaError(f"The element '{ctype.name}' has invalid child element '{name}' (repeated).", name)
        # The kinds most frequent in the service's answers first. A fast way below gives what
        # ``parse_simple`` (or ``check``) would, or leaves it to raise.
        if kind == AS_IS:
            value = child.text or ""
        elif kind == LENGTH_CHECKED:
            value = child.text or ""
            if len(value) not in limit:
                ftype.check(value, name)  # type: ignore[union-attr]
        elif kind == INTEGER_VALUE:
            value = child.text or ""
            # Unsigned digits are told without the pattern (``isdecimal`` takes what ``\d`` takes); a
            # sign, a value out of bounds or no number at all is left to ``parse_simple``.
            if value.isdecimal() and len(value) <= 40 and (number := int(value)) in limit:
                value = number
            else:
                value = parse_simple(value, ftype, name)  # type: ignore[arg-type]
        elif kind == COMPLEX:
            value = _decode_loose(child, ftype)  # type: ignore[arg-type]
        elif kind == DECIMAL_VALUE:
            value = child.text or ""
            value = Decimal(value) if _DECIMAL.fullmatch(value) else parse_simple(value, ftype, name)  # type: ignore[arg-type]
        elif kind == ENUM_CHECKED:
            value = child.text or ""
            if value not in limit:
                ftype.check(value, name)  # type: ignore[union-attr]
        elif kind == BOOLEAN:
            value = BOOLEANS.get(child.text or "")
            if value is None:
                value = parse_simple(child.text or "", ftype, name)  # type: ignore[arg-type]
        else:
            value = _rarer(child.text or "", kind, ftype, name)  # type: ignore[arg-type]
        if unusual is None:
            out[name] = value
        else:
            _put(out, name, value, unusual[0])
    required = ctype.required_fields
    if required is not None and required <= out.keys():
        return out
    for index, name, minimum in ctype.required_particles:
        if name:
            if name not in out or (minimum > 1 and len(out[name]) < minimum):
                _check_min(ctype, index, len(out[name]) if name in out else 0)
        else:
            particle = ctype.particles[index]
            assert isinstance(particle, Choice)
            if not any(o.name in out for o in particle.options):
                _check_min(ctype, index, 0)
    return out


def _rarer(text: str, kind: int, ftype: Simple, name: str) -> Any:
    """The lenient reader's value of a simple type of the kinds rare in answers."""
    if kind == CHECKED:
        ftype.check(text, name)
        return text
    if kind == DOUBLE_VALUE:
        return Decimal(text) if _DOUBLE.fullmatch(text) else parse_simple(text, ftype, name)
    if kind == BYTES_VALUE:
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            return parse_simple(text, ftype, name)  # raises the schema error
    return parse_simple(text, ftype, name)


def _put(out: dict[str, Any], name: str, value: Any, repeats: bool) -> None:
    if not repeats:
        out[name] = value
    elif name in out:
        out[name].append(value)
    else:
        out[name] = [value]


def _read_flags(node: etree._Element, ctype: Complex) -> tuple[dict[str, Any], list[etree._Element]] | None:
    """A type of flags (``Complex.flags``) read in one pass, and its other elements, for the loop to read.

    None when anything is unusual, for the careful loop to read it all (and refuse what it refuses): a
    text ``BOOLEANS`` does not hold (a ``KeyError``), a flag that repeats or an element the schema
    does not know (the counts differ), a flag sent nil. Otherwise it gives what the loop would (the
    other fields' keys come after the flags').
    """
    flags = ctype.flags
    try:
        out = {flags[tag]: BOOLEANS[child.text] for child in node if (tag := child.tag) in flags}  # type: ignore[index]
    except KeyError:
        return None
    others = ctype.flag_others
    rest = list(node.iterchildren(*others)) if others else []
    if len(out) + len(rest) != len(node):
        return None
    if ctype.flag_nillable:
        for child in node.iterchildren(*ctype.flag_nillable):
            if child.get(_XSI_NIL) == "true":
                return None
    return out, rest


def _read_texts(node: etree._Element, ctype: Complex) -> dict[str, Any] | None:
    """A type of texts (``Complex.texts``) read in one pass, each text as the loop reads it.

    None when anything is unusual, for the careful loop to read it all (and refuse what it refuses): a
    field twice, an element the schema does not know (the counts differ), a text of a length its type
    does not allow.
    """
    names = ctype.texts
    out = {names[tag]: child.text or "" for child in node if (tag := child.tag) in names}
    if len(out) != len(node):
        return None
    for name, lengths in ctype.text_lengths.items():  # the fields whose length is limited
        text = out.get(name)
        if text is not None and len(text) not in lengths:
            return None
    return out


def _check_min(ctype: Complex, index: int, count: int) -> None:
    particle = ctype.particles[index]
    need = int(particle.required) if isinstance(particle, Choice) else particle.min_occurs
    if count < need:
        name = "|".join(o.name for o in particle.options) if isinstance(particle, Choice) else particle.name
        raise SchemaError(
            f"The element '{ctype.name}' has incomplete content. List of possible elements expected: '{name}'.", name
        )
