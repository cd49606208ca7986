"""A compiled view of the package's WSDL: operations, element order and simple-type rules.

The WSDL is compiled once per process into plain objects (:class:`Complex`, :class:`Field`,
:class:`Simple`). :func:`encode_text` writes a dict as XML text in schema order (:func:`encode`
appends it to an lxml element) and :func:`decode` turns elements back into a dict of Python
values, checking order, occurrence, enumerations, lengths and patterns on the way, so that the
sandbox refuses what the real service refuses (SWSIM answers schema violations with
``soap:Client`` and code 00490102). Both sides are the hot path of every call: each type keeps
its fields' tags and readers precomputed when the WSDL is compiled (see docs/performance.md).
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from lxml import etree

from ._versions import SwsimVersion, swsim_version
from ._xml import XSI, localname, parse

XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"

#: xs integer types and their bounds (None: unbounded, but the text is capped in length).
_INTEGER_BOUNDS: dict[str, tuple[int, int] | None] = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "integer": None,
}
_INTEGER = re.compile(r"[+-]?\d{1,40}")
_DECIMAL = re.compile(r"[+-]?(?:\d{1,29}(?:\.\d{0,28})?|\.\d{1,28})")
_DOUBLE = re.compile(r"[+-]?(?:\d{1,40}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
#: The bases ``parse_simple`` turns into something other than the text itself.
_TYPED_BASES = frozenset(_INTEGER_BOUNDS) | {"boolean", "decimal", "double", "float", "dateTime", "base64Binary"}


class SchemaError(ValueError):
    """A document or value does not fit the schema. ``element`` names where."""

    def __init__(self, message: str, element: str = "") -> None:
        super().__init__(message)
        self.element = element


#: How a simple type's text is read: as is (a string without facets), through ``_BOOLEANS`` (a
#: boolean without facets), checked and kept (a string with facets), as an integer or a decimal
#: (without facets), or by ``parse_simple`` (everything else). Every fast way gives the same value
#: as ``parse_simple`` and leaves what it would refuse to it.
_AS_IS, _BOOLEAN, _PARSED, _CHECKED, _INTEGER_VALUE, _DECIMAL_VALUE = 0, 1, 2, 4, 5, 6
#: A complex type's kind in the lenient reader's table.
_COMPLEX = 3
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class Simple:
    name: str
    base: str
    enumeration: frozenset[str] | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    #: ``_AS_IS``, ``_BOOLEAN``, ``_CHECKED``, ``_INTEGER_VALUE``, ``_DECIMAL_VALUE`` or ``_PARSED``
    #: (derived from the above), and an integer type's bounds.
    reader: int = field(init=False, default=_PARSED, compare=False)
    bounds: tuple[int, int] | None = field(init=False, default=None, compare=False)
    #: True when ``check`` has nothing to check.
    unchecked: bool = field(init=False, default=False, compare=False)

    def __post_init__(self) -> None:
        unchecked = self.enumeration is None and self.min_length is None and self.max_length is None
        unchecked = unchecked and self.pattern is None
        reader = _PARSED
        if unchecked and self.base == "boolean":
            reader = _BOOLEAN
        elif unchecked and self.base not in _TYPED_BASES:
            reader = _AS_IS
        elif self.base not in _TYPED_BASES:
            reader = _CHECKED
        elif unchecked and self.base in _INTEGER_BOUNDS:
            reader = _INTEGER_VALUE
            object.__setattr__(self, "bounds", _INTEGER_BOUNDS[self.base])
        elif unchecked and self.base == "decimal":
            reader = _DECIMAL_VALUE
        object.__setattr__(self, "unchecked", unchecked)
        object.__setattr__(self, "reader", reader)

    def check(self, text: str, where: str) -> None:
        if self.enumeration is not None and text not in self.enumeration:
            raise SchemaError(
                f"The value '{text}' is invalid according to its datatype '{self.name}' - "
                "The Enumeration constraint failed.",
                where,
            )
        if self.max_length is not None and len(text) > self.max_length:
            raise SchemaError(
                f"The '{where}' element is invalid - The actual length is greater than the MaxLength value.", where
            )
        if self.min_length is not None and len(text) < self.min_length:
            raise SchemaError(
                f"The '{where}' element is invalid - The actual length is less than the MinLength value.", where
            )
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise SchemaError(f"The '{where}' element is invalid - The Pattern constraint failed.", where)


@dataclass(slots=True)
class Field:
    name: str
    ns: str
    type_ref: tuple[str, str]
    min_occurs: int = 1
    max_occurs: int | None = 1
    nillable: bool = False
    type: Simple | Complex | None = None
    #: Derived once the schema is compiled (see ``compile``): the Clark tag, whether it repeats,
    #: and its start and end tags as text in its own default namespace.
    tag: str = ""
    repeats: bool = False
    start: str = ""
    end: str = ""

    @property
    def repeated(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1

    def compile(self) -> None:
        self.tag = f"{{{self.ns}}}{self.name}"
        self.repeats = self.repeated
        self.start = f"<{self.name}>"
        self.end = f"</{self.name}>"


@dataclass(slots=True)
class Choice:
    options: list[Field]
    min_occurs: int = 1
    #: None: unbounded. A choice that repeats lets each option occur again (v135's CancelIndicium).
    max_occurs: int | None = 1

    @property
    def repeats(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1

    @property
    def required(self) -> bool:
        """XSD: a choice whose every option may occur zero times is satisfied by nothing."""
        return self.min_occurs > 0 and all(o.min_occurs > 0 for o in self.options)


#: The lenient reader's view of a field: name, repeats, the other options of its choice, nillable,
#: how to read it (``_AS_IS``, ``_BOOLEAN``, ``_PARSED`` or ``_COMPLEX``) and its type.
_Loose = tuple[str, bool, tuple[str, ...], bool, int, "Simple | Complex"]


@dataclass(slots=True)
class Complex:
    name: str
    particles: list[Field | Choice] = field(default_factory=list)
    base: tuple[str, str] | None = None
    _by_name: dict[str, tuple[int, Field]] = field(default_factory=dict)
    #: The same by Clark tag (``{ns}Name``), and how many times each particle must occur.
    _by_tag: dict[str, tuple[int, Field]] = field(default_factory=dict)
    _need: list[int] = field(default_factory=list)
    #: For the lenient reader: each field by Clark tag with its particle's other options (a choice's
    #: siblings, which may not also occur), and the required particles' names.
    _loose: dict[str, _Loose] = field(default_factory=dict)
    #: (index, name, minimum) of each required field, or (index, "", 1) of a required choice.
    _required: list[tuple[int, str, int]] = field(default_factory=list)

    def index(self) -> None:
        self._by_name = {}
        self._by_tag = {}
        for i, p in enumerate(self.particles):
            for f in p.options if isinstance(p, Choice) else [p]:
                f.compile()
                if isinstance(p, Choice) and p.repeats:
                    f.repeats = True  # each option may come again, as a list
                self._by_name[f.name] = (i, f)
                self._by_tag[f.tag] = (i, f)
        self._need = [int(p.required) if isinstance(p, Choice) else p.min_occurs for p in self.particles]
        self._loose = {}
        self._required = []
        for i, p in enumerate(self.particles):
            options = p.options if isinstance(p, Choice) else [p]
            for f in options:
                assert f.type is not None
                kind = _COMPLEX if isinstance(f.type, Complex) else f.type.reader
                repeated_choice = isinstance(p, Choice) and p.repeats
                siblings = () if repeated_choice else tuple(o.name for o in options if o is not f)
                self._loose[f.tag] = (f.name, f.repeats, siblings, f.nillable, kind, f.type)
            if self._need[i]:
                self._required.append((i, "" if isinstance(p, Choice) else p.name, self._need[i]))

    def lookup(self, name: str) -> tuple[int, Field] | None:
        return self._by_name.get(name)


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    soap_action: str
    input: Field
    output: Field


class Schema:
    """The compiled WSDL: operations by name and by SOAPAction, and the types they use."""

    def __init__(self, wsdl: bytes) -> None:
        root = parse(wsdl)
        self.target_namespace: str = root.get("targetNamespace", "")
        self.service_name = ""
        self.port_name = ""
        self.location = ""
        self._complex: dict[tuple[str, str], Complex] = {}
        self._simple: dict[tuple[str, str], Simple] = {}
        self._elements: dict[tuple[str, str], Field] = {}
        for schema in root.iter(f"{{{XS}}}schema"):
            self._load_schema(schema)
        for c in self._complex.values():
            self._flatten(c, set())
        for c in self._complex.values():
            for p in c.particles:
                for f in p.options if isinstance(p, Choice) else [p]:
                    f.type = self._resolve(f.type_ref)
            c.index()
        for f in self._elements.values():
            f.type = self._resolve(f.type_ref)
            f.compile()
        self.operations: dict[str, Operation] = {}
        self.by_action: dict[str, Operation] = {}
        self._load_operations(root)

    # -- loading -------------------------------------------------------------------------------
    def _load_schema(self, schema: etree._Element) -> None:
        tns = schema.get("targetNamespace", "")
        for node in schema:
            name = node.get("name")
            if name is None:
                continue
            kind = localname(node.tag)
            if kind == "simpleType":
                self._simple[(tns, name)] = self._simple_type(node, name)
            elif kind == "complexType":
                self._complex[(tns, name)] = self._complex_type(node, tns, name)
            elif kind == "element":
                self._elements[(tns, name)] = self._element(node, tns, top=True)

    def _simple_type(self, node: etree._Element, name: str) -> Simple:
        restriction = node.find(f"{{{XS}}}restriction")
        if restriction is None:
            return Simple(name, "string")
        base = _qn(restriction, restriction.get("base", "s:string"))
        enum = [e.get("value", "") for e in restriction.findall(f"{{{XS}}}enumeration")]
        facets = {localname(f.tag): f.get("value", "") for f in restriction}
        base_name = base[1] if base[0] == XS else self._simple[base].base
        pattern = re.compile(facets["pattern"]) if "pattern" in facets else None
        return Simple(
            name,
            base_name,
            frozenset(enum) if enum else None,
            int(facets["minLength"]) if "minLength" in facets else None,
            int(facets["maxLength"]) if "maxLength" in facets else None,
            pattern,
        )

    def _complex_type(self, node: etree._Element, tns: str, name: str) -> Complex:
        c = Complex(name)
        content = node.find(f"{{{XS}}}complexContent")
        if content is not None:
            ext = content.find(f"{{{XS}}}extension")
            if ext is not None:
                c.base = _qn(ext, ext.get("base", ""))
                node = ext
        seq = node.find(f"{{{XS}}}sequence")
        if seq is not None:
            for child in seq:
                kind = localname(child.tag)
                if kind == "element":
                    c.particles.append(self._element(child, tns))
                elif kind == "choice":
                    c.particles.append(
                        Choice(
                            [self._element(e, tns) for e in child.findall(f"{{{XS}}}element")],
                            int(child.get("minOccurs", "1")),
                            None if child.get("maxOccurs") == "unbounded" else int(child.get("maxOccurs", "1")),
                        )
                    )
        return c

    def _element(self, node: etree._Element, tns: str, top: bool = False) -> Field:
        name = node.get("name", "")
        inline = node.find(f"{{{XS}}}complexType")
        if inline is not None:
            key = (tns, f"{name}#element")
            self._complex[key] = self._complex_type(inline, tns, name)
            type_ref = key
        else:
            type_ref = _qn(node, node.get("type", "s:string"))
        max_occurs = node.get("maxOccurs", "1")
        return Field(
            name=name,
            ns=tns,
            type_ref=type_ref,
            min_occurs=int(node.get("minOccurs", "1")),
            max_occurs=None if max_occurs == "unbounded" else int(max_occurs),
            nillable=node.get("nillable") == "true",
        )

    def _flatten(self, c: Complex, seen: set[str]) -> None:
        if c.base is None or c.name in seen:
            return
        base = self._complex[c.base]
        self._flatten(base, seen | {c.name})
        c.particles = list(base.particles) + c.particles
        c.base = None

    def _resolve(self, ref: tuple[str, str]) -> Simple | Complex:
        if ref[0] == XS:
            return Simple(ref[1], ref[1])
        if ref in self._complex:
            return self._complex[ref]
        return self._simple[ref]

    def _load_operations(self, root: etree._Element) -> None:
        messages = {}
        for msg in root.findall(f"{{{WSDL_NS}}}message"):
            part = msg.find(f"{{{WSDL_NS}}}part")
            assert part is not None
            messages[msg.get("name")] = self._elements[_qn(part, part.get("element", ""))]
        port_type = root.find(f"{{{WSDL_NS}}}portType")
        assert port_type is not None
        io = {}
        for op in port_type.findall(f"{{{WSDL_NS}}}operation"):
            inp = op.find(f"{{{WSDL_NS}}}input")
            out = op.find(f"{{{WSDL_NS}}}output")
            assert inp is not None and out is not None
            io[op.get("name")] = (
                messages[_qn(inp, inp.get("message", ""))[1]],
                messages[_qn(out, out.get("message", ""))[1]],
            )
        for binding in root.findall(f"{{{WSDL_NS}}}binding"):
            if binding.find(f"{{{SOAP_BINDING}}}binding") is None:
                continue
            for op in binding.findall(f"{{{WSDL_NS}}}operation"):
                name = op.get("name", "")
                action_node = op.find(f"{{{SOAP_BINDING}}}operation")
                assert action_node is not None
                operation = Operation(name, action_node.get("soapAction", ""), *io[name])
                self.operations[name] = operation
                self.by_action[operation.soap_action] = operation
        service = root.find(f"{{{WSDL_NS}}}service")
        if service is not None:
            self.service_name = service.get("name", "")
            port = service.find(f"{{{WSDL_NS}}}port")
            if port is not None:
                self.port_name = port.get("name", "")
                address = port.find(f"{{{SOAP_BINDING}}}address")
                self.location = address.get("location", "") if address is not None else ""

    def complex_type(self, name: str) -> Complex:
        """A complex type of the target namespace by name (for tests and tools)."""
        found = self._complex[(self.target_namespace, name)]
        return found


def _qn(node: etree._Element, value: str) -> tuple[str, str]:
    prefix, _, local = value.rpartition(":")
    return node.nsmap.get(prefix or None, "") or "", local


def swsim_schema(version: str | SwsimVersion | None = None) -> Schema:
    """The package's SWSIM subset of ``version`` (default v135), compiled once per process."""
    return _compiled(swsim_version(version).name)


@functools.cache
def _compiled(name: str) -> Schema:
    return Schema(wsdl_bytes(name))


def wsdl_bytes(version: str | SwsimVersion | None = None) -> bytes:
    """The bytes of the WSDL of ``version`` (default v135) that ships inside the package."""
    return _wsdl(swsim_version(version).wsdl_file)


@functools.cache
def _wsdl(file: str) -> bytes:
    return resources.files("onebalance.swsim._soap").joinpath(f"wsdl/{file}").read_bytes()


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
        if base in _INTEGER_BOUNDS:
            if not _INTEGER.fullmatch(text):
                raise ValueError(text)
            value = int(text)
            bounds = _INTEGER_BOUNDS[base]
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


# -- encode / decode -------------------------------------------------------------------------------
#: Characters XML 1.0 cannot carry at all (lxml refuses them too), and those text must escape.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(text: str, where: str) -> str:
    """``text`` as element content, escaped the way lxml writes it."""
    if _XML_INVALID.search(text):
        raise SchemaError(f"The '{where}' element is invalid - XML cannot carry NUL or control characters.", where)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def encode_text(value: Mapping[str, Any], ctype: Complex, ns: str) -> str:
    """``value``'s fields as XML text in schema order, for an element whose default namespace is ``ns``.

    Writing the text directly costs a fraction of building an lxml tree and serializing it
    (a GetAccountInfo response has some 160 elements); the bytes are what lxml would write.
    """
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
    for particle in ctype.particles:
        if isinstance(particle, Choice):
            chosen = [f for f in particle.options if value.get(f.name) is not None]
            if len(chosen) > 1 and not particle.repeats:
                raise SchemaError(f"only one of {[f.name for f in particle.options]} may be given", ctype.name)
            if not chosen:
                if particle.required:
                    raise SchemaError(f"one of {[f.name for f in particle.options]} is required", ctype.name)
                continue
            for option in chosen:
                _encode_field(out, option, value[option.name], ns)
            continue
        item = value.get(particle.name)
        if item is None:
            if particle.nillable and particle.name in value and particle.min_occurs:
                out.append(f'<{particle.name}{_xmlns(particle, ns)} xmlns:xsi="{XSI}" xsi:nil="true"/>')
            elif particle.min_occurs:
                raise SchemaError(f"{ctype.name}.{particle.name} is required", particle.name)
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
                ftype.check(text, particle.name)
            if _XML_SPECIAL.search(text):
                text = _escape(text, particle.name)
            out.append(particle.start + text + particle.end)
            continue
        _encode_field(out, particle, item, ns)
    by_name = ctype._by_name
    extra = [key for key in value if key not in by_name]
    if extra:
        raise SchemaError(f"{ctype.name} has no element {sorted(extra)[0]}", sorted(extra)[0])


def _xmlns(f: Field, ns: str) -> str:
    return "" if f.ns == ns else f' xmlns="{f.ns}"'


def _encode_field(out: list[str], f: Field, item: Any, ns: str) -> None:
    items = item if f.repeats and isinstance(item, (list, tuple)) else (item,)
    name = f.name
    ftype = f.type
    start = f.start if f.ns == ns else f"<{name}{_xmlns(f, ns)}>"
    end = f.end
    for one in items:
        if isinstance(ftype, Complex):
            out.append(start)
            mark = len(out)
            _encode_into(out, one, ftype, f.ns)
            if len(out) == mark:
                out[-1] = start[:-1] + "/>"
            else:
                out.append(end)
            continue
        assert ftype is not None
        text = one if type(one) is str else format_simple(one, ftype)
        if not ftype.unchecked:
            ftype.check(text, name)
        if _XML_SPECIAL.search(text):
            text = _escape(text, name)
        out.append(start + text + end)


def decode(node: etree._Element, ctype: Complex, *, strict: bool = True) -> dict[str, Any]:
    """Read ``node``'s children as ``ctype``, refusing what the schema does not allow.

    ``strict=False`` (how the client reads responses) passes over elements the schema does not
    know and does not insist on their order; required elements and valid values are still checked.
    """
    if not strict:
        return _decode_loose(node, ctype)
    out: dict[str, Any] = {}
    by_tag = ctype._by_tag
    need = ctype._need
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
            if reader == _AS_IS:
                value = text
            elif reader == _BOOLEAN and text in _BOOLEANS:
                value = _BOOLEANS[text]
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
    loose = ctype._loose
    for child in node:
        found = loose.get(child.tag)  # comments have a function for a tag: never found
        if found is None:
            continue
        name, repeats, siblings, nillable, kind, ftype = found
        if not repeats and (name in out or (siblings and any(s in out for s in siblings))):
            what = "more than one of a choice" if siblings else f"invalid child element '{name}' (repeated)"
            raise SchemaError(f"The element '{ctype.name}' has {what}.", name)
        value: Any
        if nillable and child.get(_XSI_NIL) == "true":
            value = None
        elif kind == _AS_IS:
            value = child.text or ""
        elif kind == _BOOLEAN:
            value = _BOOLEANS.get(child.text)  # type: ignore[arg-type]
            if value is None:
                value = parse_simple(child.text or "", ftype, name)  # type: ignore[arg-type]
        elif kind == _COMPLEX:
            value = _decode_loose(child, ftype)  # type: ignore[arg-type]
        elif kind == _CHECKED:
            value = child.text or ""
            ftype.check(value, name)  # type: ignore[union-attr]
        elif kind == _INTEGER_VALUE:
            text = child.text or ""
            value = int(text) if _INTEGER.fullmatch(text) else None
            bounds = ftype.bounds  # type: ignore[union-attr]
            if value is None or (bounds is not None and not bounds[0] <= value <= bounds[1]):
                value = parse_simple(text, ftype, name)  # type: ignore[arg-type]  # raises the schema error
        elif kind == _DECIMAL_VALUE:
            text = child.text or ""
            value = Decimal(text) if _DECIMAL.fullmatch(text) else parse_simple(text, ftype, name)  # type: ignore[arg-type]
        else:
            value = parse_simple(child.text or "", ftype, name)  # type: ignore[arg-type]
        if repeats:
            if name in out:
                out[name].append(value)
            else:
                out[name] = [value]
        else:
            out[name] = value
    for index, name, minimum in ctype._required:
        if name:
            if name not in out or (minimum > 1 and len(out[name]) < minimum):
                _check_min(ctype, index, len(out[name]) if name in out else 0)
        else:
            particle = ctype.particles[index]
            assert isinstance(particle, Choice)
            if not any(o.name in out for o in particle.options):
                _check_min(ctype, index, 0)
    return out


def _check_min(ctype: Complex, index: int, count: int) -> None:
    particle = ctype.particles[index]
    need = int(particle.required) if isinstance(particle, Choice) else particle.min_occurs
    if count < need:
        name = "|".join(o.name for o in particle.options) if isinstance(particle, Choice) else particle.name
        raise SchemaError(
            f"The element '{ctype.name}' has incomplete content. List of possible elements expected: '{name}'.", name
        )
