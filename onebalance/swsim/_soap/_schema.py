"""A compiled view of the package's WSDL: operations, element order and simple-type rules.

The WSDL is compiled once per process into plain objects (:class:`Complex`, :class:`Field`,
:class:`Simple`, in ``_types``); the codec (``_codec``) writes a dict as XML text in schema order
and reads elements back into a dict of Python values, checking order, occurrence, enumerations,
lengths and patterns on the way, so that the sandbox refuses what the real service refuses (SWSIM
answers schema violations with ``soap:Client`` and code 00490102).
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from lxml import etree

from ._types import Choice, Complex, Field, Operation, SchemaError, Simple
from ._versions import SwsimVersion, swsim_version
from ._xml import localname, parse

__all__ = [
    "SOAP_BINDING",
    "WSDL_NS",
    "XS",
    "Choice",
    "Complex",
    "Field",
    "Operation",
    "Schema",
    "SchemaError",
    "Simple",
    "swsim_schema",
    "wsdl_bytes",
]

XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"


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
