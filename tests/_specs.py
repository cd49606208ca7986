"""Access to the real contracts in ../shared/specs, for conformance checks."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"
REAL_WSDL = SPECS / "swsim" / "SwsimV111.wsdl"
SPECS_MISSING = f"the real contracts are not at {SPECS} (../shared/specs beside the repository)"

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XS = "http://www.w3.org/2001/XMLSchema"
_HEX8 = re.compile(r"[0-9a-f]{8}")


class RealSwsimSchema:
    """The XML Schema inside the real SwsimV111.wsdl, able to validate SOAP bodies."""

    def __init__(self, path: Path = REAL_WSDL) -> None:
        import xmlschema

        root = etree.parse(str(path)).getroot()
        sources = [etree.tostring(s).decode() for s in root.iter(f"{{{XS}}}schema")]
        self.schema = xmlschema.XMLSchema10(sources)

    def errors(self, envelope: bytes) -> list[str]:
        """Problems with ``envelope`` against the real contract (empty when it conforms)."""
        try:
            root = etree.fromstring(envelope)
        except etree.XMLSyntaxError as exc:
            return [f"not XML: {exc}"]
        if root.tag != f"{{{SOAP_ENV}}}Envelope":
            return ["not a SOAP 1.1 envelope"]
        body = root.find(f"{{{SOAP_ENV}}}Body")
        children = [c for c in (body if body is not None else []) if isinstance(c.tag, str)]
        if len(children) != 1:
            return ["Body must hold exactly one element"]
        node = children[0]
        if node.tag == f"{{{SOAP_ENV}}}Fault":
            return fault_errors(node)
        return [str(e.reason or e) for e in self.schema.iter_errors(etree.tostring(node).decode())]


def fault_errors(node: etree._Element) -> list[str]:
    """The SWSIM fault format: faultcode, faultstring, and detail/sdcerror@code as 8 hex digits."""
    problems = []
    names = [c.tag for c in node if isinstance(c.tag, str)]
    if names[:2] != ["faultcode", "faultstring"]:
        problems.append(f"fault children {names} do not start with faultcode, faultstring")
    faultcode = node.findtext("faultcode") or ""
    if faultcode not in ("soap:Server", "soap:Client"):
        problems.append(f"faultcode {faultcode!r}")
    detail = node.find("detail")
    if detail is None:
        problems.append("fault without detail")
    else:
        for child in detail:
            code = child.get("code")
            if code is not None and not _HEX8.fullmatch(code):
                problems.append(f"detail code {code!r} is not 8 lower-case hex digits")
    return problems
