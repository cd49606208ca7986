"""The codec writes envelopes as text: what a value holds can never become markup, and the bytes
parse back to exactly the values sent (the sandbox and the client read each other's envelopes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from onebalance import OneBalance, ValidationError

from ._soap import SchemaError, body_child, build, decode, swsim_schema

NS = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"
INTEGRATION = "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee"
# What XML 1.0 can carry: no NUL, no C0 controls but tab, newline and carriage return, no surrogates.
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or ord(c) >= 0x20
    ),
    max_size=30,
)


def _round_trip(operation: str, payload: dict) -> dict:
    schema = swsim_schema()
    op = schema.operations[operation]
    return decode(body_child(build(schema, op, payload, response=False)), op.input.type)


@given(text=XML_TEXT)
def test_any_text_comes_back_exactly_and_never_as_markup(text):
    schema = swsim_schema()
    data = build(schema, schema.operations["GetAccountInfo"], {"Authenticator": text}, response=False)
    node = body_child(data)
    assert [etree.QName(c).localname for c in node] == ["Authenticator"]
    assert _round_trip("GetAccountInfo", {"Authenticator": text}) == {"Authenticator": text}
    assert b"\r" not in data  # written as &#13;, or XML parsers would read it back as \n


def test_a_value_that_looks_like_markup_stays_a_value():
    sneaky = "x</Password><Password>other"
    result = _round_trip(
        "AuthenticateUser",
        {"Credentials": {"IntegrationID": INTEGRATION, "Username": sneaky, "Password": "p&<>'\"\r\n"}},
    )
    assert result["Credentials"] == {"IntegrationID": INTEGRATION, "Username": sneaky, "Password": "p&<>'\"\r\n"}


@pytest.mark.parametrize("bad", ["a\x00b", "bell\x07", "\x1b[2J", "\ud800", "\ufffe"])
def test_characters_xml_cannot_carry_are_refused_as_a_schema_error(bad):
    schema = swsim_schema()
    op = schema.operations["AuthenticateUser"]
    with pytest.raises(SchemaError, match="Username"):
        build(
            schema,
            op,
            {"Credentials": {"IntegrationID": INTEGRATION, "Username": bad, "Password": "p"}},
            response=False,
        )


def test_the_client_refuses_them_with_a_validation_error_before_sending(sandbox, endpoint):
    creds = sandbox.create_demo_account()
    client = OneBalance(
        integration_id=creds.integration_id, username=creds.username, password=creds.password, endpoint=endpoint.url
    )
    with pytest.raises(ValidationError) as raised:
        client.page_url("SetTermsGeneral", context="ctx\x00")
    assert raised.value.field == "ApplicationContext"
