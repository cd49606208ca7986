"""The SOAP writer: a dict as XML text in schema order, checked against the schema on the way.

:func:`encode_text` writes a value as the text lxml would write for it (:func:`encode` appends it to
an lxml element); what the schema does not allow is refused with :class:`~._types.SchemaError`.

Two writers give the same text. The fast one (``_fast_into``) reads each type's plan
(``Complex.plan``, made once when the WSDL is compiled: how each field is written and checked) and
walks only the fields a value gives; it writes a value's text without looking for characters to
escape, and looks for them once, in all the texts together, at the end. Whatever it meets that is
not plain (a required field left out or None, a choice not made, a field the type does not have, a
value that does not pass its check, text to escape or to refuse, a nested value that is not a dict)
it does not handle: the careful writer (``_encode_into``) then writes the whole value again, field
by field, escaping each text and raising the first error in schema order, as it always did.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from lxml import etree

from ._types import W_CHECK, W_ENUM, W_LENGTH, W_NODE, W_OTHER, W_TEXT, Complex, Field, SchemaError, Simple, Walk
from ._xml import XSI

__all__ = ["encode", "encode_text", "format_simple"]


# -- values ----------------------------------------------------------------------------------------
def format_simple(value: Any, simple: Simple) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return str(value.isoformat())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


# -- the careful writer ---------------------------------------------------------------------------
#: Characters XML 1.0 cannot carry at all (lxml refuses them too), and those text must escape.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(text: str, where: str) -> str:
    """``text`` as element content, escaped the way lxml writes it."""
    if _XML_INVALID.search(text):
        raise SchemaError(f"The '{where}' element is invalid - XML cannot carry NUL or control characters.", where)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _careful_text(value: Mapping[str, Any], ctype: Complex, ns: str) -> str:
    """What :func:`encode_text` writes, field by field: every text checked and escaped as it is written,
    the first error in schema order raised."""
    out: list[str] = []
    _encode_into(out, value, ctype, ns)
    return "".join(out)


def encode(parent: etree._Element, value: Mapping[str, Any], ctype: Complex) -> None:
    """Append ``value``'s fields to ``parent`` as child elements, in schema order."""
    first = next((p if isinstance(p, Field) else p.options[0] for p in ctype.particles), None)
    ns = first.ns if first is not None else ""
    fragment = etree.fromstring(f'<w xmlns="{ns}">{encode_text(value, ctype, ns)}</w>')
    parent.extend(list(fragment))


def _encode_into(out: list[str], value: Mapping[str, Any], ctype: Complex, ns: str) -> None:
    rank = ctype.rank
    # A value giving few of its type's fields (a CreateIndicium's 6 of 50 particles, its rate's 12
    # of 39) is walked by its own keys, in schema order, once ``_fits`` has found nothing to refuse
    # in its shape; any other by every field of its type, raising the first error in schema order.
    given = len(value) * 2 < len(ctype.particles) and _fits(value, ctype)
    get = value.get
    for name in sorted(value, key=rank.__getitem__) if given else ctype.names:
        _, particle, choice, options = rank[name]
        item = get(name)
        if choice is not None:
            if options:  # the choice's first option: the choice is checked once, here
                chosen = [option for option in options if value.get(option) is not None]
                if len(chosen) > 1 and not choice.repeats:
                    raise SchemaError(f"only one of {list(options)} may be given", ctype.name)
                if not chosen and choice.required:
                    raise SchemaError(f"one of {list(options)} is required", ctype.name)
            if item is not None:
                _encode_field(out, particle, item, ns)
            continue
        if item is None:
            if particle.nillable and name in value and particle.min_occurs:
                out.append(f'<{name}{_xmlns(particle, ns)} xmlns:xsi="{XSI}" xsi:nil="true"/>')
            elif particle.min_occurs:
                raise SchemaError(f"{ctype.name}.{name} is required", name)
            continue
        ftype = particle.type
        if (
            isinstance(ftype, Simple)
            and particle.ns == ns
            and not (particle.repeats and isinstance(item, (list, tuple)))
        ):
            # The common case, inline: one simple value in the parent's namespace.
            if item is True:
                text = "true"
            elif item is False:
                text = "false"
            else:
                text = item if type(item) is str else format_simple(item, ftype)
            if not ftype.unchecked:
                ftype.check(text, name)
            if _XML_SPECIAL.search(text):
                text = _escape(text, name)
            out.append(particle.start + text + particle.end)
            continue
        _encode_field(out, particle, item, ns)
    if not given:
        extra = [key for key in value if key not in rank]
        if extra:
            raise SchemaError(f"{ctype.name} has no element {sorted(extra)[0]}", sorted(extra)[0])


def _fits(value: Mapping[str, Any], ctype: Complex) -> bool:
    """Whether ``value`` has only fields of ``ctype``, all its required fields, and one option of
    each choice that wants one: then walking its keys in schema order writes what walking every
    field would, and raises the same errors (those of its values)."""
    if not ctype.required_names <= value.keys() or not ctype.rank.keys() >= value.keys():
        return False
    return _chosen(value, ctype)


def _chosen(value: Mapping[str, Any], ctype: Complex) -> bool:
    """Whether ``value`` gives one option of each of ``ctype``'s choices that wants one, and no more
    than one of a choice that does not repeat."""
    for choice, names in ctype.choices:
        given = 0
        for name in names:
            if value.get(name) is not None:
                given += 1
        if (given > 1 and not choice.repeats) or (not given and choice.required):
            return False
    return True


def _xmlns(f: Field, ns: str) -> str:
    return "" if f.ns == ns else f' xmlns="{f.ns}"'


def _encode_field(out: list[str], f: Field, item: Any, ns: str, texts: list[str] | None = None) -> None:
    """``item`` as ``f``'s element(s), the careful way; with ``texts``, the fast way (``_fast_into``): its
    texts collected there, to be searched together, instead of escaped one by one."""
    items = item if f.repeats and isinstance(item, (list, tuple)) else (item,)
    name = f.name
    ftype = f.type
    start = f.start if f.ns == ns else f"<{name}{_xmlns(f, ns)}>"
    end = f.end
    for one in items:
        if isinstance(ftype, Complex):
            out.append(start)
            mark = len(out)
            if texts is None:
                _encode_into(out, one, ftype, f.ns)
            elif type(one) is dict:
                _fast_into(out, texts, one, ftype, f.ns)
            else:
                raise _Unusual
            if len(out) == mark:
                out[-1] = start[:-1] + "/>"
            else:
                out.append(end)
            continue
        assert ftype is not None
        text = one if type(one) is str else format_simple(one, ftype)
        if not ftype.unchecked:
            ftype.check(text, name)
        if texts is not None:
            texts.append(text)
            out += (start, text, end)
            continue
        if _XML_SPECIAL.search(text):
            text = _escape(text, name)
        out.append(start + text + end)


# -- the fast writer ------------------------------------------------------------------------------
class _Unusual(Exception):
    """What the fast writer leaves to the careful one."""


def encode_text(value: Mapping[str, Any], ctype: Complex, ns: str) -> str:
    """``value``'s fields as XML text in schema order, for an element whose default namespace is ``ns``.

    Writing the text directly costs a fraction of building an lxml tree and serializing it
    (a GetAccountInfo response has some 160 elements); the bytes are what lxml would write.
    """
    text = fast_text(value, ctype, ns)
    return _careful_text(value, ctype, ns) if text is None else text


def fast_text(value: Mapping[str, Any], ctype: Complex, ns: str) -> str | None:
    """What the fast writer writes for ``value``, or None when it leaves ``value`` to the careful one."""
    out: list[str] = []
    texts: list[str] = []
    try:
        _fast_into(out, texts, value, ctype, ns)
    except Exception:  # anything at all: the careful writer meets it again, in its place among the rest
        return None
    joined = "".join(texts)
    # Text of printable ASCII without & < > has nothing to escape or refuse (what _XML_SPECIAL finds),
    # and is told so without a regular expression (a fifth of the writer's time, searched).
    plain = joined.isascii() and joined.isprintable()
    if not (plain and "&" not in joined and "<" not in joined and ">" not in joined) and _XML_SPECIAL.search(joined):
        return None
    return "".join(out)


def _fast_into(out: list[str], texts: list[str], value: Mapping[str, Any], ctype: Complex, ns: str) -> None:
    keys = tuple(value)
    walk = ctype.walks.get(keys)
    if walk is None or walk[0] != ns:
        walk = _walk(keys, ctype, ns)
    if ctype.choices and not _chosen(value, ctype):
        raise _Unusual
    for name, kind, start, end, ftype, limit, field, need in walk[1]:
        item = value[name]
        if type(item) is str:
            text = item
        elif item is None:
            if need:  # a required field's None: a nil element, or an error
                raise _Unusual
            continue
        elif kind == W_NODE:
            if type(item) is not dict:
                raise _Unusual
            out.append(start)
            mark = len(out)
            _fast_into(out, texts, item, ftype, ns)  # type: ignore[arg-type]
            if len(out) == mark:
                out[-1] = start[:-1] + "/>"
            else:
                out.append(end)
            continue
        elif kind == W_OTHER:
            _encode_field(out, field, item, ns, texts)
            continue
        else:
            text = format_simple(item, ftype)  # type: ignore[arg-type]
        if kind == W_TEXT:
            pass
        elif kind == W_LENGTH:
            if len(text) not in limit:
                raise _Unusual
        elif kind == W_ENUM:
            if text not in limit:
                raise _Unusual
        elif kind == W_CHECK:
            ftype.check(text, name)  # type: ignore[union-attr]
        else:  # a string for a complex type, or for a field that repeats or is in another namespace
            _encode_field(out, field, item, ns, texts)
            continue
        texts.append(text)
        out += (start, text, end)


#: How many walks a type keeps (one per set of keys its values came with; a handful in practice).
_WALKS = 64


def _walk(keys: tuple[str, ...], ctype: Complex, ns: str) -> Walk:
    """The fields named by ``keys`` in schema order, each with its plan, kept for the next value with
    those keys; raises when ``keys`` leave out a required field or name one the type does not have."""
    if not ctype.required_names.issubset(keys):
        raise _Unusual
    order = ctype.order
    plan = ctype.plan
    steps = []
    for name in sorted(keys, key=order.__getitem__):  # KeyError: not a field of the type
        kind, start, end, ftype, limit, field, need = plan[name]
        if field.ns != ns:  # a field of another namespace than its parent's, through ``_encode_field``
            kind = W_OTHER
        steps.append((name, kind, start, end, ftype, limit, field, need))
    walk = (ns, tuple(steps))
    walks = ctype.walks
    if len(walks) >= _WALKS:
        walks.clear()
    walks[keys] = walk
    return walk
