"""The codec's fast ways agree with its careful ones.

The SOAP writer's fast way (each type's plan, the fields a value gives, the texts searched once for
what to escape) writes exactly what the careful one (field by field) writes, and leaves to it every
value it does not write, so that the same error is raised, in the same place. The lenient reader
(the client's, with its finer ways of reading each simple type) reads a document in schema order as
the strict reader does, and refuses what it refuses.

Values are drawn from the operations' own types, of both versions: fields they have and some they
do not, values of every kind (text to escape or to refuse, too long, outside an enumeration,
booleans, numbers, None, nested values, lists), required fields left out."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from lxml import etree

from onebalance.swsim._soap import _codec, _writer
from onebalance.swsim._soap._types import INTEGER_BOUNDS, Choice, Complex, Simple
from onebalance.swsim._soap._xml import XSI

from ._soap import VERSIONS, SchemaError, decode, swsim_schema

TEXTS = st.one_of(
    st.sampled_from(["", "x", "US", "US-PM", "Package", "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee", "12.50", "true"]),
    st.text(max_size=12),
    st.text(st.sampled_from("ab &<>\r\n\t\x00\x07\ud800\ufffe"), max_size=6),
    st.text("a", min_size=25, max_size=140),
)
SCALARS = st.one_of(
    TEXTS,
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.none(),
)


def _simple_value(simple: Simple, valid: bool = False) -> st.SearchStrategy[Any]:
    if not valid:
        if simple.enumeration:
            return st.one_of(st.sampled_from(sorted(simple.enumeration)), SCALARS)
        return SCALARS
    if simple.enumeration:
        return st.sampled_from(sorted(simple.enumeration))
    if simple.pattern is not None:
        return st.from_regex(simple.pattern, fullmatch=True).filter(lambda t: "\r" not in t)
    base = simple.base
    if base == "boolean":
        return st.booleans()
    if base in INTEGER_BOUNDS:
        bounds = INTEGER_BOUNDS[base] or (-(10**30), 10**30)
        return st.integers(*bounds)
    if base in ("decimal", "double", "float"):
        return st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9)
    if base == "dateTime":
        return st.datetimes()
    if base == "base64Binary":
        return st.binary(max_size=8)
    least, most = simple.min_length or 0, min(simple.max_length or 12, 12)
    return st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=least, max_size=max(least, most))


@st.composite
def _value(draw: st.DrawFn, ctype: Complex, depth: int = 0, valid: bool = False) -> dict[str, Any]:
    """A value of ``ctype``; ``valid``: one the schema takes but for its choices (values of the right
    kinds, the required fields given)."""
    fields = [f for p in ctype.particles for f in (p.options if isinstance(p, Choice) else [p])]
    names = [f.name for f in fields]
    chosen = draw(st.lists(st.sampled_from(names), max_size=6, unique=True)) if names else []
    if valid or draw(st.booleans()):  # mostly the required fields too, as the SDK's mappings give them
        chosen = [n for n in ctype.required_names if n not in chosen] + chosen
    value: dict[str, Any] = {}
    for name in draw(st.permutations(chosen)):
        ftype = ctype.rank[name][1].type
        if isinstance(ftype, Complex):
            inner = _value(ftype, depth + 1, valid) if depth < 2 else st.just({})
            one = inner if valid else st.one_of(inner, st.none(), TEXTS)
        else:
            assert ftype is not None
            one = _simple_value(ftype, valid)
        repeats = ctype.rank[name][1].repeats
        value[name] = draw(st.one_of(one, st.lists(one, min_size=1, max_size=2)) if repeats else one)
    if not valid and draw(st.integers(0, 9)) == 0:
        value["NoSuchField"] = "x"
    return value


def _careful(value: dict[str, Any], ctype: Complex, ns: str) -> tuple[str, Any]:
    try:
        return ("text", _writer._careful_text(value, ctype, ns))
    except Exception as exc:  # whatever the careful writer raises, the writer must raise
        return (type(exc).__name__, str(exc))


def _written(value: dict[str, Any], ctype: Complex, ns: str) -> tuple[str, Any]:
    try:
        return ("text", _writer.encode_text(value, ctype, ns))
    except Exception as exc:
        return (type(exc).__name__, str(exc))


@st.composite
def _request(draw: st.DrawFn, response: bool = False, valid: bool = False) -> tuple[Complex, str, dict[str, Any]]:
    schema = swsim_schema(draw(st.sampled_from(sorted(VERSIONS))))
    op = schema.operations[draw(st.sampled_from(sorted(schema.operations)))]
    element = op.output if response else op.input
    assert isinstance(element.type, Complex)
    return element.type, element.ns, draw(_value(element.type, valid=valid))


@settings(max_examples=400)
@given(request=_request())
def test_the_fast_writer_writes_what_the_careful_one_does_or_leaves_it_to_it(request):
    ctype, ns, value = request
    fast = _writer.fast_text(value, ctype, ns)
    careful = _careful(value, ctype, ns)
    if fast is not None:
        assert careful == ("text", fast)
    assert _written(value, ctype, ns) == careful
    assert _written(value, ctype, ns) == careful  # a second time: from the walk the first one kept


def test_the_requests_the_sdk_sends_take_the_fast_way():
    schema = swsim_schema("v135")
    op = schema.operations["CreateIndicium"]
    address = {"FullName": "Ada Lovelace", "Address1": "350 5th Ave", "City": "New York", "State": "NY"}
    rate = {
        "From": {**address, "ZIPCode": "10118", "Country": "US"},
        "To": {**address, "ZIPCode": "10118", "ZIPCodeAddOn": "1633", "CleanseHash": "abc="},
        "Amount": Decimal("12.88"),
        "ServiceType": "US-PM",
        "PackageType": "Package",
        "WeightLb": 2,
        "AddOns": {"AddOnV20": [{"AddOnType": "US-A-DC", "Amount": Decimal("0")}]},
    }
    value = {"Authenticator": "t", "IntegratorTxID": "tx-1", "Rate": rate, "ReturnImageData": True}
    assert isinstance(op.input.type, Complex)
    fast = _writer.fast_text(value, op.input.type, op.input.ns)
    assert fast is not None
    assert fast == _writer._careful_text(value, op.input.type, op.input.ns)
    assert "<ReturnImageData>true</ReturnImageData>" in fast
    assert "<AddOns><AddOnV20><Amount>0</Amount><AddOnType>US-A-DC</AddOnType></AddOnV20></AddOns>" in fast


def test_text_to_escape_is_written_the_careful_way():
    schema = swsim_schema("v135")
    op = schema.operations["GetAccountInfo"]
    assert isinstance(op.input.type, Complex)
    for text in ("a&b", "a<b", "a>b", "a\rb", "caf\u00e9", "tab\there"):
        written = _writer.encode_text({"Authenticator": text}, op.input.type, op.input.ns)
        assert written == _writer._careful_text({"Authenticator": text}, op.input.type, op.input.ns)
    assert _writer.fast_text({"Authenticator": "a>b"}, op.input.type, op.input.ns) is None
    assert _writer.fast_text({"Authenticator": "caf\u00e9"}, op.input.type, op.input.ns) == (
        "<Authenticator>caf\u00e9</Authenticator>"
    )


BAD_TEXTS = st.sampled_from(
    ["", " ", "x" * 200, "12.5", "1e3", "NaN", "-0", "99999999999999999999999", "maybe", "\u0663"]
)


def _read(node: etree._Element, ctype: Complex, strict: bool) -> tuple[str, Any]:
    try:
        return ("value", decode(node, ctype, strict=strict))
    except SchemaError:
        return ("refused", None)


@settings(max_examples=400)
@given(response=_request(response=True, valid=True), data=st.data())
def test_the_lenient_reader_reads_what_the_strict_one_does(response, data):
    ctype, ns, value = response
    try:
        text = _writer._careful_text(value, ctype, ns)
    except Exception:  # a value the schema refuses: nothing to read
        return
    node = etree.fromstring(f'<Root xmlns="{ns}">{text}</Root>')
    leaves = [e for e in node.iter() if len(e) == 0 and e is not node]
    if leaves and data.draw(st.booleans()):  # one value the schema may refuse, read by both
        data.draw(st.sampled_from(leaves)).text = data.draw(BAD_TEXTS)
    assert _read(node, ctype, strict=False) == _read(node, ctype, strict=True)


@pytest.mark.parametrize(
    ("field", "text"),
    [("Amount", "12.88"), ("Amount", "1e3"), ("WeightLb", "2"), ("WeightLb", "2.5E1"), ("WeightLb", "x")],
)
def test_numbers_are_read_by_the_lenient_reader_as_by_the_strict_one(field, text):
    schema = swsim_schema("v135")
    ctype = schema.complex_type("RateV46")
    ns = schema.operations["GetRates"].output.ns
    from_to = "<From/><To/>"
    node = etree.fromstring(f'<Rate xmlns="{ns}">{from_to}<{field}>{text}</{field}></Rate>')
    assert _read(node, ctype, strict=False) == _read(node, ctype, strict=True)


def _flag_types() -> list[Complex]:
    """The types of flags of both versions: the ones the answers use, an older one, one with no other field."""
    found = []
    for version in VERSIONS:
        schema = swsim_schema(version)
        for name in ("CapabilitiesV50", "CapabilitiesV41", "CapabilitiesV30", "Terms"):
            if (schema.target_namespace, name) in schema._complex:
                found.append(schema.complex_type(name))
    assert all(ctype.flags for ctype in found)
    return found


FLAG_TEXTS = st.sampled_from(["true", "false", "1", "0"])
ODD_TEXTS = st.sampled_from(["", " true", "True", "maybe", "922337203685477.5807", "12.5x"])


@st.composite
def _flag_document(draw: st.DrawFn) -> tuple[Complex, etree._Element]:
    """A type of flags and an element of it as the service sends it (every field, good texts, mostly in
    schema order), then a few changes, each of which the careful loop must be left to judge: a text
    good or bad, none, nil, an element twice, left out or unknown to the schema, a comment."""
    ctype = draw(st.sampled_from(_flag_types()))
    ns = next(iter(ctype.loose)).partition("}")[0][1:]
    tags = list(ctype.loose)
    if draw(st.booleans()):
        tags = draw(st.permutations(tags))
    node = etree.Element(f"{{{ns}}}Root", nsmap={None: ns})
    for tag in tags:
        etree.SubElement(node, tag).text = draw(FLAG_TEXTS) if tag in ctype.flags else "12.50"
    comments = 0
    for _ in range(draw(st.integers(0, 3))):
        change = draw(st.sampled_from(["text", "none", "nil", "twice", "out", "unknown", "comment"]))
        at = draw(st.integers(0, len(node) - 1)) if len(node) else 0
        if not len(node) or change == "unknown":
            node.insert(at, etree.Element(f"{{{ns}}}NotInTheSchema"))
        elif change == "text":
            node[at].text = draw(st.one_of(FLAG_TEXTS, ODD_TEXTS))
        elif change == "none":
            node[at].text = None
        elif change == "nil":
            node[at].set(f"{{{XSI}}}nil", draw(st.sampled_from(["true", "false"])))
            if draw(st.booleans()):
                node[at].text = None
        elif change == "twice":
            node.insert(draw(st.integers(0, len(node))), copy.copy(node[at]))
        elif change == "out":
            del node[at]
        else:
            comments += 1
    for _ in range(comments):  # last: the changes above are made to elements only
        node.insert(draw(st.integers(0, len(node))), etree.Comment("a comment"))
    return ctype, node


def _outcome(node: etree._Element, ctype: Complex) -> tuple[str, Any]:
    try:
        return ("value", decode(node, ctype, strict=False))
    except SchemaError as exc:
        return ("refused", (str(exc), exc.element))


def _as_the_careful_loop(document: tuple[Complex, etree._Element], table: str) -> None:
    """``document`` is read as the careful loop reads it, with the one pass of ``table`` (``flags``,
    ``texts``) or without it (the table emptied)."""
    ctype, node = document
    careful = copy.copy(ctype)
    setattr(careful, table, {})
    assert _outcome(node, ctype) == _outcome(node, careful)
    read = getattr(_codec, f"_read_{table}")(node, ctype)
    event("one pass" if read is not None else "careful loop")


@settings(max_examples=600)
@given(document=_flag_document())
def test_flags_read_in_one_pass_are_read_as_by_the_careful_loop(document):
    _as_the_careful_loop(document, "flags")


def test_the_capabilities_the_service_sends_take_the_one_pass():
    schema = swsim_schema("v135")
    ctype = schema.complex_type("CapabilitiesV50")
    assert len(ctype.flags) > 100
    ns = schema.operations["GetAccountInfo"].output.ns
    fields = "".join(f"<{name}>true</{name}>" for name in ctype.flags.values())
    node = etree.fromstring(f'<Capabilities xmlns="{ns}">{fields}<PerPrintLimit>5.00</PerPrintLimit></Capabilities>')
    read = _codec._read_flags(node, ctype)
    assert read is not None
    assert _outcome(node, ctype) == (
        "value",
        {**dict.fromkeys(ctype.flags.values(), True), "PerPrintLimit": Decimal("5.00")},
    )


def _text_types() -> list[Complex]:
    """The types of texts of both versions (addresses, pickup contacts...)."""
    found = [ctype for version in VERSIONS for ctype in swsim_schema(version)._complex.values() if ctype.texts]
    assert {ctype.name for ctype in found} >= {"Address", "CarrierPickupAddressV3"}
    return found


@st.composite
def _text_document(draw: st.DrawFn) -> tuple[Complex, etree._Element]:
    """A type of texts and an element of it: some of its fields, in any order, with texts of lengths it
    allows or not, empty, twice, unknown to the schema, a comment."""
    ctype = draw(st.sampled_from(_text_types()))
    ns = next(iter(ctype.reads)).partition("}")[0][1:]
    tags = draw(st.lists(st.sampled_from(list(ctype.reads)), max_size=12))
    node = etree.Element(f"{{{ns}}}Root", nsmap={None: ns})
    for tag in tags:
        lengths = ctype.text_lengths.get(ctype.texts[tag], range(10**6))
        text = draw(st.text("ab &<\u00e9", min_size=1, max_size=3))
        if draw(st.integers(0, 5)) == 0:
            text = draw(st.sampled_from(["", "x" * 60, "y" * 200]))
        elif draw(st.integers(0, 3)) == 0 and lengths.stop < 1000:
            text = "z" * draw(st.sampled_from([lengths.start, max(lengths.start, lengths.stop - 1), lengths.stop]))
        etree.SubElement(node, tag).text = text or None
    if draw(st.integers(0, 4)) == 0:
        node.insert(draw(st.integers(0, len(node))), etree.Element(f"{{{ns}}}NotInTheSchema"))
    if draw(st.integers(0, 9)) == 0:
        node.insert(draw(st.integers(0, len(node))), etree.Comment("a comment"))
    return ctype, node


@settings(max_examples=600)
@given(document=_text_document())
def test_texts_read_in_one_pass_are_read_as_by_the_careful_loop(document):
    _as_the_careful_loop(document, "texts")
