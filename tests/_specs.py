"""Access to the real contracts in ../shared/specs, for conformance checks."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"
#: The real WSDL of each SWSIM version the SDK speaks.
REAL_WSDLS = {"v111": SPECS / "swsim" / "SwsimV111.wsdl", "v135": SPECS / "swsim" / "swsimv135.wsdl"}
REAL_WSDL = REAL_WSDLS["v111"]
SPECS_MISSING = f"the real contracts are not at {SPECS} (../shared/specs beside the repository)"

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XS = "http://www.w3.org/2001/XMLSchema"
_HEX8 = re.compile(r"[0-9a-f]{8}")


class RealSwsimSchema:
    """The XML Schema inside a real SWSIM WSDL (SwsimV111.wsdl by default), able to validate SOAP bodies."""

    def __init__(self, path: Path = REAL_WSDL) -> None:
        import xmlschema

        root = etree.parse(str(path)).getroot()
        self.namespace = root.get("targetNamespace", "")
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


class RealSwsimSchemas:
    """Both real contracts: each body is checked against the WSDL of its namespace (v111 or v135).

    A body in neither namespace is checked against v111's schema (and so reported); faults are
    the same in both versions. Each schema is loaded the first time a body needs it.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, RealSwsimSchema] = {}

    def version(self, name: str) -> RealSwsimSchema:
        if name not in self._loaded:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # xmlschema notes it cannot fully check one recursive model
                self._loaded[name] = RealSwsimSchema(REAL_WSDLS[name])
        return self._loaded[name]

    def errors(self, envelope: bytes) -> list[str]:
        return self.version(_version_of(envelope)).errors(envelope)


def _version_of(envelope: bytes) -> str:
    """v111 or v135, by the namespace of the body's element."""
    try:
        root = etree.fromstring(envelope)
    except etree.XMLSyntaxError:
        return "v111"
    body = root.find(f"{{{SOAP_ENV}}}Body")
    for node in body if body is not None else []:
        if isinstance(node.tag, str):
            namespace = (etree.QName(node).namespace or "").lower()
            return next((name for name in REAL_WSDLS if namespace.endswith(f"/swsim/swsim{name}")), "v111")
    return "v111"
