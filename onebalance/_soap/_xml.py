"""Hardened XML parsing and the SWSIM namespaces.

Every byte of XML the SDK or the sandbox reads goes through :func:`parse`: no DTDs, no
entity expansion, no network access, no huge trees. A document that declares a DTD is
refused outright, which stops XXE and billion-laughs payloads before lxml sees an entity.
"""

from __future__ import annotations

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SWSIM_NS = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"
FAULT_NS = "http://stamps.com/xml/namespace/2008/01/swsim/fault"
SCHEMA_FAULT_NS = "http://stamps.com/xml/namespace/2008/02/stamps/fault"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    dtd_validation=False,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class UnsafeXML(ValueError):
    """The document is not well-formed XML, or carries a DTD or entity declarations."""


def parse(data: bytes) -> etree._Element:
    """Parse ``data`` into an element, refusing DTDs, entities and malformed input."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise UnsafeXML("XML with a DTD or entity declarations is refused")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXML(f"malformed XML: {exc.msg}") from None
    except ValueError as exc:
        raise UnsafeXML(f"malformed XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:  # pragma: no cover - caught above
        raise UnsafeXML("XML with a DTD is refused")
    return root


def localname(tag: object) -> str:
    """The local part of an element tag (``{ns}Name`` → ``Name``)."""
    text = str(tag)
    return text.rpartition("}")[2]
