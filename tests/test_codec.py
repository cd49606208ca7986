"""The compiled schema codec: schema order out, strict checks in, exact values both ways. The examples
are v111's (the codec is the same for every version); v135's repeated choice has its own test."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from ._soap import SchemaError, decode, encode, swsim_schema

NS = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"


def _encode(type_name: str, value: dict) -> etree._Element:
    root = etree.Element(f"{{{NS}}}Root")
    encode(root, value, swsim_schema("v111").complex_type(type_name))
    return root


def test_fields_are_written_in_schema_order_whatever_the_dict_order():
    root = _encode(
        "Credentials", {"Password": "p", "Username": "u", "IntegrationID": "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee"}
    )
    assert [etree.QName(c).localname for c in root] == ["IntegrationID", "Username", "Password"]


def test_values_round_trip_exactly():
    value = {"AutoBuyEnabled": True, "PurchaseAmount": Decimal("10.0000"), "TriggerAmount": Decimal("25.5")}
    assert decode(_encode("AutoBuySettings", value), swsim_schema("v111").complex_type("AutoBuySettings")) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"IntegrationID": "nope", "Username": "u", "Password": "p"}, "Pattern"),
        ({"IntegrationID": "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee", "Username": "u" * 41, "Password": "p"}, "MaxLength"),
        ({"IntegrationID": "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee", "Password": "p"}, "required"),
        (
            {"IntegrationID": "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee", "Username": "u", "Password": "p", "X": 1},
            "no element X",
        ),
    ],
)
def test_encoding_refuses_what_the_schema_does_not_allow(value, message):
    with pytest.raises(SchemaError, match=message):
        _encode("Credentials", value)


def test_decoding_converts_simple_types():
    ctype = swsim_schema("v111").operations["AuthenticateUser"].output.type
    node = etree.fromstring(
        f'<AuthenticateUserResponse xmlns="{NS}"><Authenticator>t</Authenticator>'
        "<LastLoginTime>2026-11-01T08:30:00.1234567-05:00</LastLoginTime><ClearCredential>1</ClearCredential>"
        "<LoginBannerText/><PasswordExpired>false</PasswordExpired><CodewordsSet>true</CodewordsSet>"
        "</AuthenticateUserResponse>"
    )
    result = decode(node, ctype)
    assert result["LastLoginTime"] == datetime(2026, 11, 1, 13, 30, 0, 123456)
    assert result["ClearCredential"] is True
    assert result["LoginBannerText"] == ""


@pytest.mark.parametrize("bad", ["<ClearCredential>maybe</ClearCredential>", ""])
def test_decoding_refuses_bad_values_and_missing_elements(bad):
    ctype = swsim_schema("v111").operations["AuthenticateUser"].output.type
    node = etree.fromstring(
        f'<AuthenticateUserResponse xmlns="{NS}"><Authenticator>t</Authenticator>{bad}'
        "<LoginBannerText/><PasswordExpired>false</PasswordExpired><CodewordsSet>true</CodewordsSet>"
        "</AuthenticateUserResponse>"
    )
    with pytest.raises(SchemaError):
        decode(node, ctype)


def test_the_package_wsdl_is_compiled_once_per_process():
    assert swsim_schema("v111") is swsim_schema("v111")
    assert swsim_schema() is swsim_schema("v135") is not swsim_schema("v111")  # v135 by default
    assert swsim_schema().service_name == "SwsimV135"
    schema = swsim_schema("v111")
    assert schema.service_name == "SwsimV111"
    assert schema.port_name == "SwsimV111Soap"
    assert schema.operations["GetAccountInfo"].soap_action == f"{NS}/GetAccountInfo"


def test_lenient_decoding_passes_over_unknown_elements_but_not_missing_ones():
    ctype = swsim_schema("v111").operations["AuthenticateUser"].output.type
    node = etree.fromstring(
        f'<AuthenticateUserResponse xmlns="{NS}"><Authenticator>t</Authenticator><AddedInV200>x</AddedInV200>'
        "<LoginBannerText/><ClearCredential>false</ClearCredential><PasswordExpired>false</PasswordExpired>"
        "<CodewordsSet>true</CodewordsSet></AuthenticateUserResponse>"
    )
    with pytest.raises(SchemaError):
        decode(node, ctype)
    assert decode(node, ctype, strict=False)["Authenticator"] == "t"
    node.remove(node[0])
    with pytest.raises(SchemaError, match="Authenticator"):
        decode(node, ctype, strict=False)


@pytest.mark.parametrize(
    ("type_name", "field", "text"),
    [
        ("AccountInfoV54", "CustomerID", "99999999999999999999999"),
        ("AccountInfoV54", "CustomerID", "12.5"),
        ("PostageBalance", "AvailablePostage", "1E+999999999"),
        ("PostageBalance", "AvailablePostage", "NaN"),
        ("PostageBalance", "AvailablePostage", "Infinity"),
        ("AccountInfoV54", "AccountId", "9223372036854775808"),
    ],
)
def test_numbers_out_of_their_xsd_range_or_form_are_refused(type_name, field, text):
    from ._soap import parse_simple

    found = swsim_schema("v111").complex_type(type_name).lookup(field)
    assert found is not None
    with pytest.raises(SchemaError):
        parse_simple(text, found[1].type, field)


V135 = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"
GUIDS = ["0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee", "1b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee"]


def test_a_repeated_choice_takes_each_option_again():
    """v135's CancelIndicium: (TrackingNumbers | StampsTxIDs) repeated, as lists of occurrences."""
    ctype = swsim_schema("v135").operations["CancelIndicium"].input.type
    value = {"Authenticator": "t", "TrackingNumbers": {"string": ["9400"]}, "StampsTxIDs": {"guid": GUIDS}}
    root = etree.Element(f"{{{V135}}}CancelIndicium")
    encode(root, value, ctype)
    assert [etree.QName(c).localname for c in root] == ["Authenticator", "TrackingNumbers", "StampsTxIDs"]
    decoded = decode(root, ctype)
    assert decoded["TrackingNumbers"] == [{"string": ["9400"]}] and decoded["StampsTxIDs"] == [{"guid": GUIDS}]
    assert decode(root, ctype, strict=False) == decoded
    again = etree.fromstring(etree.tostring(root))
    again.append(etree.fromstring(etree.tostring(root[2])))  # a second StampsTxIDs: the choice comes again
    assert decode(again, ctype)["StampsTxIDs"] == [{"guid": GUIDS}, {"guid": GUIDS}]
    single = swsim_schema("v111").operations["CancelIndicium"].input.type
    with pytest.raises(SchemaError, match="only one of"):  # v111's choice is taken once
        encode(etree.Element("x"), {"Authenticator": "t", "TrackingNumber": "9400", "StampsTxID": GUIDS[0]}, single)


ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (f'<soap:Envelope xmlns:soap="{ENV}"/>', "without a Body"),
        (f'<soap:Envelope xmlns:soap="{ENV}"><soap:Body/></soap:Envelope>', "exactly one element"),
        (f'<soap:Envelope xmlns:soap="{ENV}"><soap:Body><a/><b/></soap:Body></soap:Envelope>', "exactly one element"),
        (f'<soap:Envelope xmlns:soap="{ENV}"><Body><a/></Body></soap:Envelope>', "without a Body"),
        (f'<Envelope xmlns="{NS}"><soap:Body xmlns:soap="{ENV}"><a/></soap:Body></Envelope>', "not a SOAP 1.1"),
        (f'<soap:Envelope xmlns:soap="{ENV}"><soap:Body><Other xmlns="{NS}"/></soap:Body></soap:Envelope>', "expected"),
    ],
)
def test_an_answer_that_is_not_one_envelope_of_the_operation_is_malformed(body, problem):
    from onebalance.swsim._soap._envelope import MalformedResponse

    from ._soap import read_response

    op = swsim_schema("v111").operations["GetAccountInfo"]
    with pytest.raises(MalformedResponse, match=problem):
        read_response(op, body.encode(), strict=False)


def test_the_body_element_is_found_after_a_header_and_among_comments():
    from ._soap import body_child

    data = (
        f'<soap:Envelope xmlns:soap="{ENV}"><soap:Header><x/></soap:Header><!-- note -->'
        f"<soap:Body><!-- a --><Answer xmlns='{NS}'/><?pi x?></soap:Body></soap:Envelope>"
    )
    assert body_child(data.encode()).tag == f"{{{NS}}}Answer"
