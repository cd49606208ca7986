"""SOAP 1.1 envelopes and the SWSIM fault format, for both sides of the wire.

A SWSIM fault is HTTP 500 with ``soap:Fault``: ``faultcode`` (``soap:Server`` for business
errors, ``soap:Client`` for schema or SOAPAction problems), ``faultstring`` ending in the hex
code, ``faultactor``, and a ``detail`` holding ``sdcerror@code`` (8 hex digits) and, where the
service advanced the conversation before failing, a replacement ``authenticator``. Some faults
(CreateManifest's) list several errors: one ``sdcerror`` each, with its ``code`` and a ``context``
attribute (the StampsTxID or tracking number it is about); they are the fault's ``details``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from ._codec import decode, encode_text
from ._schema import Schema
from ._types import Complex, Operation, SchemaError
from ._views import Reads
from ._xml import FAULT_NS, SCHEMA_FAULT_NS, SOAP_ENV, UnsafeXML, localname, parse

_ENV = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


#: One of the errors a fault lists: (code, context, text); ``context`` names what it is about, or None.
Detail = tuple[str, "str | None", str]


class SoapFault(Exception):
    """A ``soap:Fault`` read off the wire. ``code`` is the 8-hex-digit SWSIM code, lower case;
    ``details`` every error the fault's detail lists with a ``context`` (several for CreateManifest)."""

    def __init__(
        self,
        faultcode: str,
        faultstring: str,
        code: str | None = None,
        authenticator: str | None = None,
        details: tuple[Detail, ...] = (),
    ) -> None:
        super().__init__(faultstring)
        self.faultcode = faultcode
        self.faultstring = faultstring
        self.code = code
        self.authenticator = authenticator
        self.details = details

    def __str__(self) -> str:
        return f"{self.faultcode}: {self.faultstring}"


class MalformedResponse(ValueError):
    """The response is not a SOAP envelope of the expected operation."""


def _default_ns(ns: str) -> Any:
    """An nsmap making ``ns`` the default namespace (lxml-stubs only allow str keys)."""
    return {None: ns}


def _envelope() -> tuple[etree._Element, etree._Element]:
    env = etree.Element(_ENV, nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, _BODY)
    return env, body


_HEAD = f"<?xml version='1.0' encoding='utf-8'?>\n<soap:Envelope xmlns:soap=\"{SOAP_ENV}\"><soap:Body>"
_TAIL = "</soap:Body></soap:Envelope>"


#: Operations whose request and response hold their fields one element down (ReprintIndicium's
#: ``indiciumRequest`` and ``ReprintIndiciumResult``, the Authenticator included): :func:`build` wraps
#: and the readers unwrap them, so that the client and the sandbox see them flat like any other.
WRAPPED: dict[str, tuple[str, str]] = {"ReprintIndicium": ("indiciumRequest", "ReprintIndiciumResult")}


def _unwrapped(op: Operation, decoded: dict[str, Any], *, response: bool) -> dict[str, Any]:
    wrapper = WRAPPED.get(op.name)
    if wrapper is None:
        return decoded
    inner = decoded.get(wrapper[1] if response else wrapper[0])
    return dict(inner) if isinstance(inner, Mapping) else {}


def build(schema: Schema, op: Operation, payload: Mapping[str, Any], *, response: bool) -> bytes:
    """Serialize ``payload`` as the request (or response) element of ``op`` (one of :data:`WRAPPED`:
    inside its wrapper).

    The envelope is written as text around the codec's output: the same bytes lxml would
    write for the tree, at a fraction of the cost.
    """
    element = op.output if response else op.input
    assert isinstance(element.type, Complex)
    wrapper = WRAPPED.get(op.name)
    if wrapper is not None:
        payload = {wrapper[1] if response else wrapper[0]: payload}
    content = encode_text(payload, element.type, element.ns)
    name = element.name
    if content:
        text = f'{_HEAD}<{name} xmlns="{element.ns}">{content}</{name}>{_TAIL}'
    else:
        text = f'{_HEAD}<{name} xmlns="{element.ns}"/>{_TAIL}'
    return text.encode("utf-8")


def build_fault(
    faultstring: str,
    *,
    code: str | None,
    faultcode: str = "soap:Server",
    actor: str = "",
    authenticator: str | None = None,
    schema_violation: bool = False,
    details: Sequence[Detail] = (),
) -> bytes:
    """A SWSIM-style fault envelope (sent with HTTP 500); ``details``: one ``sdcerror`` each (with its
    ``context``), in place of the one of ``code``."""
    env, body = _envelope()
    fault = etree.SubElement(body, _FAULT)
    etree.SubElement(fault, "faultcode").text = faultcode
    etree.SubElement(fault, "faultstring").text = faultstring
    etree.SubElement(fault, "faultactor").text = actor
    detail = etree.SubElement(fault, "detail")
    for item_code, context, text in details:
        attributes = {"code": item_code} if context is None else {"code": item_code, "context": context}
        err = etree.SubElement(detail, f"{{{FAULT_NS}}}sdcerror", attributes, nsmap=_default_ns(FAULT_NS))
        err.text = text
    if code is not None and not details:
        if schema_violation:
            etree.SubElement(
                detail, f"{{{SCHEMA_FAULT_NS}}}stamps_exception", {"code": code}, nsmap=_default_ns(SCHEMA_FAULT_NS)
            )
        else:
            err = etree.SubElement(detail, f"{{{FAULT_NS}}}sdcerror", {"code": code}, nsmap=_default_ns(FAULT_NS))
            err.text = faultstring
    if authenticator is not None:
        etree.SubElement(detail, f"{{{FAULT_NS}}}authenticator", nsmap=_default_ns(FAULT_NS)).text = authenticator
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def body_child(data: bytes) -> etree._Element:
    """The single element inside ``Envelope/Body`` (raises :class:`MalformedResponse`)."""
    try:
        root = parse(data)
    except UnsafeXML as exc:
        raise MalformedResponse(str(exc)) from None
    if root.tag != _ENV:
        raise MalformedResponse("not a SOAP 1.1 envelope")
    # What ``root.find(_BODY)`` and a look at each child's tag would find, matched in lxml's C code.
    body = next(root.iterchildren(_BODY), None)
    if body is None:
        raise MalformedResponse("SOAP envelope without a Body")
    children = list(body.iterchildren(etree.Element))  # elements only: no comment, PI or entity
    if len(children) != 1:
        raise MalformedResponse("SOAP Body must hold exactly one element")
    return children[0]


def read_fault(node: etree._Element) -> SoapFault:
    faultcode = (node.findtext("faultcode") or "").strip()
    faultstring = (node.findtext("faultstring") or "").strip()
    code: str | None = None
    authenticator: str | None = None
    details: list[Detail] = []
    detail = node.find("detail")
    if detail is not None:
        for child in detail:
            if not isinstance(child.tag, str):
                continue
            name = localname(child.tag)
            if name == "authenticator" and child.text:
                authenticator = child.text.strip()
            elif child.get("code") and _HEX8.fullmatch(child.get("code", "").strip()):
                item = child.get("code", "").strip().lower()
                code = item if code is None else code
                if child.get("context") is not None:
                    details.append((item, child.get("context", "").strip(), (child.text or "").strip()))
    if code is None:
        m = re.search(r"\[0x([0-9a-fA-F]{8})\]", faultstring)
        if m:
            code = m.group(1).lower()
    return SoapFault(faultcode, faultstring, code, authenticator, tuple(details))


def read_response(op: Operation, data: bytes, *, strict: bool = True, reads: Reads | None = None) -> dict[str, Any]:
    """Decode a response of ``op``; a ``soap:Fault`` is raised as :class:`SoapFault`.

    The client reads with ``strict=False``: elements a later service version adds are passed over;
    with ``reads``, so are the fields it does not name (``_views``).
    """
    node = body_child(data)
    tag = node.tag
    if tag == _FAULT:
        raise read_fault(node)
    if tag != op.output.tag:
        raise MalformedResponse(f"expected {op.output.name}, got {localname(tag)}")
    ctype = op.output.type
    assert isinstance(ctype, Complex)
    if reads is not None:
        ctype = reads.view(ctype)
        strict = False  # a view is read leniently: what it leaves out is passed over
    try:
        return _unwrapped(op, decode(node, ctype, strict=strict), response=True)
    except SchemaError as exc:
        raise MalformedResponse(f"{op.output.name} does not fit the schema: {exc}") from None


def read_request(schema: Schema, data: bytes, soap_action: str | None) -> tuple[Operation, dict[str, Any]]:
    """Decode a request the way the service would; raises :class:`SchemaError` or ``LookupError``."""
    node = body_child(data)
    action = (soap_action or "").strip().strip('"')
    op = schema.by_action.get(action)
    if op is None:
        raise LookupError(action)
    if node.tag != f"{{{op.input.ns}}}{op.input.name}":
        raise SchemaError(f"The element '{localname(node.tag)}' is not expected for {op.name}.", localname(node.tag))
    assert isinstance(op.input.type, Complex)
    return op, _unwrapped(op, decode(node, op.input.type), response=False)
