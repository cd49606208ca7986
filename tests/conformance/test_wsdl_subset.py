"""Each of the package's WSDLs (onebalance/swsim/_soap/wsdl/swsim_v111.wsdl and swsim_v135.wsdl) is a
faithful subset of its real WSDL (SwsimV111.wsdl, swsimv135.wsdl): same namespace, service and
port, and for each of its operations the same SOAPAction, message elements and element structure,
compared recursively in the same way on both files. Skips, saying why, where ../shared/specs is
absent."""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

from .._soap import VERSIONS, Complex, Field, Simple, SwsimVersion, swsim_schema
from .._specs import REAL_WSDLS, ROOT, SPECS_MISSING, XS

pytestmark = [pytest.mark.conformance]

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
NS = {"wsdl": WSDL, "s": XS, "soap": SOAP11}


class Contract:
    """One WSDL file, indexed so that its element structure can be walked."""

    def __init__(self, data: bytes) -> None:
        parser = etree.XMLParser(remove_blank_text=True, remove_comments=True, resolve_entities=False, no_network=True)
        self.root = etree.fromstring(data, parser)
        self.size = len(data)
        self.tns = self.root.get("targetNamespace")
        self.components: dict[tuple[str, str, str], etree._Element] = {}
        for schema in self.root.iter(f"{{{XS}}}schema"):
            ns = schema.get("targetNamespace", "")
            for node in schema:
                if isinstance(node.tag, str) and node.get("name"):
                    kind = etree.QName(node).localname
                    self.components[(kind, ns, node.get("name"))] = node

    # -- operations ----------------------------------------------------------------------------
    def port(self) -> etree._Element:
        service = self.root.find("wsdl:service", NS)
        assert service is not None
        for port in service.findall("wsdl:port", NS):
            if port.find("soap:address", NS) is not None:
                return port
        raise AssertionError("no SOAP 1.1 port")

    def soap11_binding(self) -> etree._Element:
        name = qname(self.port(), self.port().get("binding", ""))[1]
        for binding in self.root.findall("wsdl:binding", NS):
            if binding.get("name") == name:
                assert binding.find("soap:binding", NS) is not None, "the port's binding is not SOAP 1.1"
                return binding
        raise AssertionError(f"no binding {name}")

    def port_type(self) -> etree._Element:
        name = qname(self.soap11_binding(), self.soap11_binding().get("type", ""))[1]
        for port_type in self.root.findall("wsdl:portType", NS):
            if port_type.get("name") == name:
                return port_type
        raise AssertionError(f"no portType {name}")

    def operations(self) -> list[str]:
        return [op.get("name", "") for op in self.soap11_binding().findall("wsdl:operation", NS)]

    def soap_action(self, op: str) -> str:
        node = self.soap11_binding().find(f"wsdl:operation[@name='{op}']/soap:operation", NS)
        assert node is not None, op
        return node.get("soapAction", "")

    def binding_style(self, op: str) -> tuple[str | None, ...]:
        node = self.soap11_binding().find(f"wsdl:operation[@name='{op}']", NS)
        assert node is not None, op
        action = node.find("soap:operation", NS)
        bodies = [b.get("use") for b in node.findall("wsdl:*/soap:body", NS)]
        return (action.get("style") if action is not None else None, *bodies)

    def message_element(self, op: str, direction: str) -> tuple[str, str]:
        """The (namespace, name) of the element carried by ``op``'s input or output message."""
        node = self.port_type().find(f"wsdl:operation[@name='{op}']/wsdl:{direction}", NS)
        assert node is not None, (op, direction)
        message_name = qname(node, node.get("message", ""))[1]
        part = self.root.find(f"wsdl:message[@name='{message_name}']/wsdl:part", NS)
        assert part is not None, message_name
        return qname(part, part.get("element", ""))

    # -- structure -----------------------------------------------------------------------------
    def element_shape(self, key: tuple[str, str]) -> tuple[object, ...]:
        return self._element(self.components[("element", *key)], (), top=True)

    def _element(self, node: etree._Element, path: tuple[str, ...], top: bool = False) -> tuple[object, ...]:
        occurs = () if top else (node.get("minOccurs", "1"), node.get("maxOccurs", "1"))
        head = ("element", node.get("name"), *occurs, node.get("nillable", "false"), node.get("default"))
        inline = node.find("s:complexType", NS)
        if inline is not None:
            return (*head, "<anonymous>", self._complex(inline, path))
        type_ns, type_name = qname(node, node.get("type", "s:anyType"))
        return (*head, type_name, self._type(type_ns, type_name, path))

    def _type(self, ns: str, name: str, path: tuple[str, ...]) -> object:
        if ns == XS:
            return "builtin"
        if name in path:
            return ("recursive", name)  # a type that contains itself: compared by name only
        complex_type = self.components.get(("complexType", ns, name))
        if complex_type is not None:
            return self._complex(complex_type, (*path, name))
        simple_type = self.components.get(("simpleType", ns, name))
        assert simple_type is not None, f"type {{{ns}}}{name} is not defined"
        return self._simple(simple_type)

    def _complex(self, node: etree._Element, path: tuple[str, ...]) -> tuple[object, ...]:
        """The complex type's particles, with complexContent extensions flattened base first."""
        content = node.find("s:complexContent", NS)
        if content is not None:
            extension = content.find("s:extension", NS)
            assert extension is not None, "only complexContent/extension is used by SWSIM"
            base = self._type(*qname(extension, extension.get("base", "")), path)
            assert isinstance(base, tuple), base
            return (*base, *self._particles(extension, path))
        assert node.find("s:simpleContent", NS) is None, "simpleContent is not compared"
        return self._particles(node, path)

    def _particles(self, node: etree._Element, path: tuple[str, ...]) -> tuple[object, ...]:
        shape: list[object] = []
        for child in node:
            if not isinstance(child.tag, str):
                continue
            kind = etree.QName(child).localname
            if kind == "sequence":
                if child.get("minOccurs", "1") == child.get("maxOccurs", "1") == "1":
                    shape.extend(self._particles(child, path))  # a plain sequence is just its content
                else:
                    shape.append(
                        (
                            "sequence",
                            child.get("minOccurs", "1"),
                            child.get("maxOccurs", "1"),
                            self._particles(child, path),
                        )
                    )
            elif kind == "choice":
                shape.append(
                    ("choice", child.get("minOccurs", "1"), child.get("maxOccurs", "1"), self._particles(child, path))
                )
            elif kind == "element":
                shape.append(self._element(child, path))
            elif kind == "any":
                shape.append(
                    (
                        "any",
                        child.get("namespace"),
                        child.get("processContents"),
                        child.get("minOccurs", "1"),
                        child.get("maxOccurs", "1"),
                    )
                )
            elif kind in ("attribute", "anyAttribute"):
                shape.append((kind, child.get("name"), child.get("type"), child.get("use")))
            elif kind == "annotation":
                continue
            else:
                raise AssertionError(f"unexpected schema particle {kind}")
        return tuple(shape)

    def _simple(self, node: etree._Element) -> tuple[object, ...]:
        restriction = node.find("s:restriction", NS)
        if restriction is None:
            return ("simple", etree.tostring(node, method="c14n"))
        facets = tuple((etree.QName(f).localname, f.get("value")) for f in restriction if isinstance(f.tag, str))
        return ("simple", qname(restriction, restriction.get("base", ""))[1], facets)


def qname(node: etree._Element, value: str) -> tuple[str, str]:
    prefix, _, local = value.rpartition(":")
    return node.nsmap.get(prefix or None) or "", local


@pytest.fixture(scope="module", params=list(VERSIONS))
def version(request: pytest.FixtureRequest) -> SwsimVersion:
    return VERSIONS[request.param]


@pytest.fixture(scope="module")
def real(version: SwsimVersion) -> Contract:
    if not REAL_WSDLS[version.name].exists():
        pytest.skip(SPECS_MISSING)
    return Contract(REAL_WSDLS[version.name].read_bytes())


@pytest.fixture(scope="module")
def ours(version: SwsimVersion) -> Contract:
    return Contract(resources.files("onebalance.swsim._soap").joinpath(f"wsdl/{version.wsdl_file}").read_bytes())


def test_same_namespace_service_and_port(real: Contract, ours: Contract, version: SwsimVersion) -> None:
    assert real.tns == ours.tns == version.namespace
    for contract in (real, ours):
        service = contract.root.find("wsdl:service", NS)
        assert service is not None and service.get("name") == version.service
        assert contract.port().get("name") == version.port
        assert contract.port_type().get("name") == version.port
        assert contract.soap11_binding().get("name") == version.port


def test_package_wsdl_has_one_soap11_port(real: Contract, ours: Contract, version: SwsimVersion) -> None:
    service = ours.root.find("wsdl:service", NS)
    assert service is not None
    assert [p.get("name") for p in service.findall("wsdl:port", NS)] == [version.port]
    mine, theirs = ours.port().find("soap:address", NS), real.port().find("soap:address", NS)
    assert mine is not None and theirs is not None
    assert mine.get("location") == theirs.get("location")


def test_no_operation_absent_from_the_real_wsdl(real: Contract, ours: Contract) -> None:
    assert ours.operations(), "the package WSDL has no operations"
    assert sorted(set(ours.operations()) - set(real.operations())) == []
    port_type_ops = [op.get("name") for op in ours.port_type().findall("wsdl:operation", NS)]
    assert sorted(port_type_ops) == sorted(ours.operations())


def test_is_a_subset_not_a_copy(real: Contract, ours: Contract) -> None:
    """Only the operations the SDK uses (tools/swsim_subset.py lists them), so fewer than the real ones."""
    assert len(ours.operations()) < len(real.operations())
    assert ours.size < real.size


def test_every_operation_matches(real: Contract, ours: Contract, version: SwsimVersion) -> None:
    """SOAPAction, binding style, message elements and their whole structure, per operation."""
    problems = []
    for op in ours.operations():
        if op not in real.operations():
            problems.append(f"{op}: not in the real WSDL")
            continue
        if ours.soap_action(op) != real.soap_action(op):
            problems.append(f"{op}: SOAPAction {ours.soap_action(op)!r} != {real.soap_action(op)!r}")
        if ours.soap_action(op) != f"{version.namespace}/{op}":
            problems.append(f"{op}: SOAPAction {ours.soap_action(op)!r} is not namespace/operation")
        if ours.binding_style(op) != real.binding_style(op):
            problems.append(f"{op}: binding {ours.binding_style(op)} != {real.binding_style(op)}")
        for direction in ("input", "output"):
            mine, theirs = ours.message_element(op, direction), real.message_element(op, direction)
            if mine != theirs:
                problems.append(f"{op} {direction}: element {mine} != {theirs}")
                continue
            expected = (version.namespace, op if direction == "input" else f"{op}Response")
            if mine != expected:
                problems.append(f"{op} {direction}: element {mine}, expected {expected}")
            if ours.element_shape(mine) != real.element_shape(theirs):
                where = _first_difference(ours, real, mine)
                problems.append(f"{op} {direction}: structure of {mine[1]} differs: {where}")
    assert problems == []


def _first_difference(ours: Contract, real: Contract, key: tuple[str, str]) -> str:
    def walk(a: object, b: object, where: str) -> str | None:
        if isinstance(a, tuple) and isinstance(b, tuple):
            for i, (x, y) in enumerate(zip(a, b, strict=False)):
                found = walk(x, y, f"{where}/{a[1] if a and a[0] == 'element' else i}")
                if found:
                    return found
            if len(a) != len(b):
                return f"{where}: {len(a)} parts vs {len(b)}"
            return None
        return None if a == b else f"{where}: {a!r} vs {b!r}"

    return walk(ours.element_shape(key), real.element_shape(key), "") or "?"


@pytest.mark.parametrize(
    ("op", "direction", "expected"),
    [
        ("AuthenticateUser", "input", [("element", "Credentials", "1", "1")]),
        ("GetAccountInfo", "input", [("choice", "1", "1")]),
        ("GetAccountInfo", "output", [("element", "Authenticator", "1", "1"), ("element", "AccountInfo", "1", "1")]),
    ],
)
def test_shape_sees_what_it_compares(
    ours: Contract, version: SwsimVersion, op: str, direction: str, expected: list[tuple[str, ...]]
) -> None:
    """Guards the comparison itself: the shape does reach choices, occurrences and nested types."""
    shape = ours.element_shape(ours.message_element(op, direction))
    particles = shape[-1]
    assert isinstance(particles, tuple)
    for want, got in zip(expected, particles, strict=False):
        assert isinstance(got, tuple)
        assert got[: len(want)] == want
    if op == "GetAccountInfo" and direction == "input":
        choice = particles[0]
        assert [p[1] for p in choice[3]] == ["Authenticator", "Credentials"]
        credentials = choice[3][1]
        assert [p[1] for p in credentials[-1]] == ["IntegrationID", "Username", "Password"]
    if op == "GetAccountInfo" and direction == "output":
        account_info = particles[1][-1]
        capabilities = next(p for p in account_info if p[1] == "Capabilities")
        names = [p[1] for p in capabilities[-1]]
        # the newest extension's own field comes last, flattened through every CapabilitiesVnn to Capabilities
        assert names[-1] == {"v111": "CanPrintUSPSReturnService", "v135": "CanPrintUPSPayOnUse"}[version.name]
        assert len(names) == {"v111": 109, "v135": 120}[version.name]


def test_shapes_differ_when_structure_differs(ours: Contract, version: SwsimVersion) -> None:
    """A changed minOccurs in a deep base type is seen by the comparison."""
    key = (version.namespace, "GetAccountInfoResponse")
    copy = etree.fromstring(etree.tostring(ours.root))
    node = copy.find(".//s:complexType[@name='Capabilities']/s:sequence/s:element", NS)
    assert node is not None and node.get("minOccurs") == "1"
    node.set("minOccurs", "0")
    assert Contract(etree.tostring(copy)).element_shape(key) != ours.element_shape(key)


def test_the_version_facts_match_its_contract(version: SwsimVersion) -> None:
    """What ``_versions`` says differs between versions is what each package WSDL has."""
    schema = swsim_schema(version)

    def child(ctype: Complex, name: str) -> Field:
        found = ctype.lookup(name)
        assert found is not None, (ctype.name, name)
        return found[1]

    def complex_of(field: Field) -> Complex:
        assert isinstance(field.type, Complex)
        return field.type

    def only_item(ctype: Complex, name: str) -> str:
        particles = complex_of(child(ctype, name)).particles
        assert len(particles) == 1 and isinstance(particles[0], Field)
        return particles[0].name

    rates = complex_of(child(complex_of(schema.operations["GetRates"].output), "Rates"))
    rate = complex_of(child(rates, "Rate"))
    assert only_item(rate, "AddOns") == version.addon_item
    assert only_item(rate, "Surcharges") == version.surcharge_item
    assert only_item(complex_of(child(rate, "RequiresAllOf")), "RequiresOneOf") == version.addon_type_item
    service_type = child(rate, "ServiceType").type
    assert isinstance(service_type, Simple) and service_type.enumeration is not None
    assert {code for code in service_type.enumeration if code.startswith("US-")} == version.usps_services
    cancel = complex_of(schema.operations["CancelIndicium"].input)
    assert (cancel.lookup("StampsTxIDs") is not None) is version.batch_cancel
    assert (cancel.lookup("StampsTxID") is None) is version.batch_cancel
    purchase = complex_of(schema.operations["PurchasePostage"].output)
    assert (purchase.lookup("RejectionCode") is not None) is version.purchase_rejection_code
    register = complex_of(schema.operations["RegisterAccount"].input)
    limits = {name: (low, high) for name, low, high in version.register_limits}
    for name in ("UserName", "Password", "Email", "PromoCode"):
        simple = child(register, name).type
        assert isinstance(simple, Simple)
        stated = (simple.min_length or 0, simple.max_length) if simple.max_length is not None else None
        assert stated == limits.get(name), name


def test_the_package_wsdl_is_what_the_tool_extracts(version: SwsimVersion, tmp_path: Path) -> None:
    """Byte for byte: the shipped file is tools/swsim_subset.py's output, never edited by hand."""
    if not REAL_WSDLS[version.name].exists():
        pytest.skip(SPECS_MISSING)
    spec = importlib.util.spec_from_file_location("swsim_subset", ROOT / "tools" / "swsim_subset.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / version.wsdl_file
    real_path, shipped = tool.VERSIONS[version.name]
    assert tool.generate(version.name, real_path, out) == 0
    assert out.read_bytes() == shipped.read_bytes()
