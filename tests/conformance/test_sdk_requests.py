"""What crosses the wire conforms to the real SWSIM contracts (SwsimV111.wsdl and swsimv135.wsdl).

* Every request ``OneBalance`` sends (login, GetAccountInfo with the Authenticator, the
  re-login after a conversation fault, a login that fails) validates against the real schema
  of its version and carries that version's quoted SOAPAction and a text/xml Content-Type; on
  both versions, each at its own path.
* Every response the sandbox returns, success or fault, has the real shape (the successes on
  both versions; the faults, the same in both, on v135); every fault is HTTP 500 in the SWSIM
  fault format.

Schema checks skip, saying why, where ../shared/specs is absent; the fault-format checks run anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from lxml import etree

import onebalance
from onebalance.sandbox import Reply, Sandbox, SandboxCredentials

from .._soap import DEFAULT_VERSION, VERSIONS, SwsimVersion, build, swsim_schema
from .._specs import SOAP_ENV, RealSwsimSchemas, fault_errors

pytestmark = pytest.mark.conformance

#: The namespace of the fault and malformed-request cases (the default version's; faults are the same in both).
TNS = DEFAULT_VERSION.namespace
FAULT_NS = "http://stamps.com/xml/namespace/2008/01/swsim/fault"
SCHEMA_FAULT_NS = "http://stamps.com/xml/namespace/2008/02/stamps/fault"
#: Where the sandbox is mounted; each version answers at its own path beside it.
URL = "https://swsim.conformance.onebalance.test/swsim/swsimv135.asmx"


@pytest.fixture(params=list(VERSIONS))
def version(request: pytest.FixtureRequest) -> SwsimVersion:
    return VERSIONS[request.param]


@pytest.fixture
def tns(version: SwsimVersion) -> str:
    return version.namespace


# -- the SDK's requests ----------------------------------------------------------------------------
Captured = list[tuple[str, dict[str, str], bytes]]


def requests_of(mock_calls: Any) -> Captured:
    out: Captured = []
    for call in mock_calls:
        body = call.request.body or b""
        action = (call.request.headers.get("SOAPAction") or "").strip('"')
        out.append(
            (action.rpartition("/")[2], dict(call.request.headers), body.encode() if isinstance(body, str) else body)
        )
    return out


@pytest.fixture
def sdk_wire(
    sandbox: Sandbox, client_for: Callable[..., onebalance.OneBalance], version: SwsimVersion
) -> Iterator[tuple[Any, Any]]:
    """(make a client of ``version`` against the in-process sandbox, the ``responses`` mock recording its requests)."""
    creds = sandbox.create_demo_account()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        sandbox.mount(mock, URL)

        def make(**overrides: object) -> onebalance.OneBalance:
            return client_for(
                SandboxCredentials(URL, creds.integration_id, creds.username, creds.password),
                api_version=version.name,
                **overrides,
            )

        yield make, mock


@pytest.fixture
def replies(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The body of every SOAP answer the sandbox gives, in order (the SDK reads each one whole)."""
    bodies: list[bytes] = []
    handle = sandbox.handle

    def recorded(*args: Any, **kwargs: Any) -> Any:
        reply = handle(*args, **kwargs)
        bodies.append(reply.body)
        return reply

    monkeypatch.setattr(sandbox, "handle", recorded)
    return bodies


def check_requests(schema: RealSwsimSchemas, captured: Captured, expected_ops: list[str], tns: str) -> None:
    assert [op for op, _, _ in captured] == expected_ops
    for op, headers, body in captured:
        assert headers["SOAPAction"] == f'"{tns}/{op}"'
        assert headers["Content-Type"].split(";")[0].strip() == "text/xml"
        assert schema.errors(body) == [], op
        root = etree.fromstring(body)
        payload = root.find(f"{{{SOAP_ENV}}}Body")[0]
        assert payload.tag == f"{{{tns}}}{op}"


def test_authenticate_request(
    require_real_swsim: RealSwsimSchemas, sdk_wire: tuple[Any, Any], tns: str, version: SwsimVersion
) -> None:
    make, mock = sdk_wire
    make().authenticate()
    captured = requests_of(mock.calls)
    check_requests(require_real_swsim, captured, ["AuthenticateUser"], tns)
    assert mock.calls[0].request.url.endswith(version.path)  # each version at its own path
    body = etree.fromstring(captured[0][2])
    credentials = body.find(f".//{{{tns}}}Credentials")
    assert credentials is not None
    assert [etree.QName(c).localname for c in credentials] == ["IntegrationID", "Username", "Password"]


def test_account_requests_carry_the_rolling_authenticator(
    require_real_swsim: RealSwsimSchemas, sdk_wire: tuple[Any, Any], tns: str
) -> None:
    make, mock = sdk_wire
    client = make()
    client.account()
    client.account()
    captured = requests_of(mock.calls)
    check_requests(require_real_swsim, captured, ["AuthenticateUser", "GetAccountInfo", "GetAccountInfo"], tns)
    tokens = [etree.fromstring(body).findtext(f".//{{{tns}}}Authenticator") for _, _, body in captured[1:]]
    assert all(tokens) and tokens[0] != tokens[1]
    for _, _, body in captured[1:]:
        assert etree.fromstring(body).find(f".//{{{tns}}}Credentials") is None


def test_relogin_after_a_conversation_fault(
    require_real_swsim: RealSwsimSchemas, sdk_wire: tuple[Any, Any], tns: str, replies: list[bytes]
) -> None:
    make, mock = sdk_wire
    client = make(concurrency="conversation")
    client.authenticate()
    make().authenticate()  # a second instance logs in: the first one's token is superseded
    assert client.account().available_postage == 100
    captured = requests_of(mock.calls)
    check_requests(
        require_real_swsim,
        captured,
        ["AuthenticateUser", "AuthenticateUser", "GetAccountInfo", "AuthenticateUser", "GetAccountInfo"],
        tns,
    )
    assert [call.response.status_code for call in mock.calls] == [200, 200, 500, 200, 200]
    assert b'code="002b0203"' in replies[2]


def test_credentials_after_a_supersession(
    require_real_swsim: RealSwsimSchemas, sdk_wire: tuple[Any, Any], tns: str
) -> None:
    """The default (auto) client, superseded, repeats the call with Credentials instead of logging in again."""
    make, mock = sdk_wire
    client = make()
    client.authenticate()
    make().authenticate()
    assert client.account().available_postage == 100
    captured = requests_of(mock.calls)
    check_requests(
        require_real_swsim, captured, ["AuthenticateUser", "AuthenticateUser", "GetAccountInfo", "GetAccountInfo"], tns
    )
    last = etree.fromstring(captured[3][2])
    assert last.find(f".//{{{tns}}}Credentials") is not None
    assert last.find(f".//{{{tns}}}Authenticator") is None


def test_failed_login_request(require_real_swsim: RealSwsimSchemas, sdk_wire: tuple[Any, Any], tns: str) -> None:
    make, mock = sdk_wire
    with pytest.raises(onebalance.AuthenticationFailed) as caught:
        make(password="not-the-password").authenticate()
    assert caught.value.code == "002b0601"
    check_requests(require_real_swsim, requests_of(mock.calls), ["AuthenticateUser"], tns)
    assert mock.calls[0].response.status_code == 500


def test_relogin_after_expiry(
    require_real_swsim: RealSwsimSchemas,
    sdk_wire: tuple[Any, Any],
    tns: str,
    sandbox: Sandbox,
    replies: list[bytes],
) -> None:
    make, mock = sdk_wire
    client = make()
    client.authenticate()
    sandbox.advance_clock(timedelta(hours=25))
    client.account()
    check_requests(
        require_real_swsim,
        requests_of(mock.calls),
        ["AuthenticateUser", "GetAccountInfo", "AuthenticateUser", "GetAccountInfo"],
        tns,
    )
    assert [call.response.status_code for call in mock.calls] == [200, 500, 200, 200]
    assert b'code="002b0202"' in replies[1]


# -- the sandbox's responses -----------------------------------------------------------------------
def request_body(op: str, payload: dict[str, Any], version: SwsimVersion = DEFAULT_VERSION) -> bytes:
    schema = swsim_schema(version)
    return build(schema, schema.operations[op], payload, response=False)


def send(sandbox: Sandbox, op: str, payload: dict[str, Any], version: SwsimVersion = DEFAULT_VERSION) -> Reply:
    return sandbox.handle(request_body(op, payload, version), f'"{version.namespace}/{op}"', api_version=version)


def credentials(creds: SandboxCredentials, **overrides: str) -> dict[str, str]:
    block = {"IntegrationID": creds.integration_id, "Username": creds.username, "Password": creds.password}
    block.update(overrides)
    return block


def token_of(reply: Reply, version: SwsimVersion = DEFAULT_VERSION) -> str:
    assert reply.status == 200, reply.body
    token = etree.fromstring(reply.body).findtext(f".//{{{version.namespace}}}Authenticator")
    assert token
    return token


def login(sandbox: Sandbox, creds: SandboxCredentials, version: SwsimVersion = DEFAULT_VERSION) -> str:
    return token_of(send(sandbox, "AuthenticateUser", {"Credentials": credentials(creds)}, version), version)


@pytest.fixture
def creds(sandbox: Sandbox) -> SandboxCredentials:
    return sandbox.create_demo_account()


def check_success(
    reply: Reply, op: str, real_swsim: RealSwsimSchemas | None, version: SwsimVersion = DEFAULT_VERSION
) -> etree._Element:
    assert reply.status == 200
    assert reply.content_type.split(";")[0] == "text/xml"
    if real_swsim is not None:
        assert real_swsim.errors(reply.body) == []
    body = etree.fromstring(reply.body).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1
    assert body[0].tag == f"{{{version.namespace}}}{op}Response"
    return body[0]


def test_authenticate_user_response(
    sandbox: Sandbox, creds: SandboxCredentials, real_swsim: RealSwsimSchemas | None, version: SwsimVersion, tns: str
) -> None:
    login_request = {"Credentials": credentials(creds)}
    first = check_success(
        send(sandbox, "AuthenticateUser", login_request, version), "AuthenticateUser", real_swsim, version
    )
    assert first.find(f"{{{tns}}}LastLoginTime") is None  # never logged in before
    again = check_success(
        send(sandbox, "AuthenticateUser", login_request, version), "AuthenticateUser", real_swsim, version
    )
    assert again.findtext(f"{{{tns}}}LastLoginTime")


def test_get_account_info_responses(
    sandbox: Sandbox, creds: SandboxCredentials, real_swsim: RealSwsimSchemas | None, version: SwsimVersion, tns: str
) -> None:
    by_token = send(sandbox, "GetAccountInfo", {"Authenticator": login(sandbox, creds, version)}, version)
    by_credentials = send(sandbox, "GetAccountInfo", {"Credentials": credentials(creds)}, version)
    for reply in (by_token, by_credentials):
        node = check_success(reply, "GetAccountInfo", real_swsim, version)
        assert node.findtext(f"{{{tns}}}AccountInfo/{{{tns}}}PostageBalance/{{{tns}}}AvailablePostage") == "100.00"
        assert node.findtext(f"{{{tns}}}AccountInfo/{{{tns}}}Username") == creds.username
        info = node.find(f"{{{tns}}}AccountInfo")
        assert info is not None
        assert (info.find(f"{{{tns}}}BrandedExternalPrints") is not None) is (version.name == "v135")


def _wrong_password(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    return send(sandbox, "AuthenticateUser", {"Credentials": credentials(creds, Password="wrong-password")})


def _unknown_user(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    return send(sandbox, "GetAccountInfo", {"Credentials": credentials(creds, Username="nobody-here")})


def _garbage_token(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    return send(sandbox, "GetAccountInfo", {"Authenticator": "not-a-token-the-sandbox-issued"})


def _reused_token(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    first = login(sandbox, creds)
    token_of(send(sandbox, "GetAccountInfo", {"Authenticator": first}))
    return send(sandbox, "GetAccountInfo", {"Authenticator": first})


def _superseded_token(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    first = login(sandbox, creds)
    login(sandbox, creds)  # a second instance of the integration logs in
    return send(sandbox, "GetAccountInfo", {"Authenticator": first})


def _expired_token(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    token = login(sandbox, creds)
    sandbox.advance_clock(timedelta(hours=25))
    return send(sandbox, "GetAccountInfo", {"Authenticator": token})


def _unknown_integration_login(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    return send(sandbox, "AuthenticateUser", {"Credentials": credentials(creds, IntegrationID=str(uuid.uuid4()))})


def _unknown_integration_call(sandbox: Sandbox, creds: SandboxCredentials) -> Reply:
    return send(sandbox, "GetAccountInfo", {"Credentials": credentials(creds, IntegrationID=str(uuid.uuid4()))})


SERVICE_FAULTS = {
    "wrong-password": (_wrong_password, "002b0601"),
    "unknown-user": (_unknown_user, "002b0601"),
    "garbage-token": (_garbage_token, "002b0201"),
    "reused-token": (_reused_token, "002b0204"),
    "superseded-token": (_superseded_token, "002b0203"),
    "expired-token": (_expired_token, "002b0202"),
    "unknown-integration-login": (_unknown_integration_login, "002b0207"),
    "unknown-integration-call": (_unknown_integration_call, "002b0207"),
}


def fault_of(reply: Reply, real_swsim: RealSwsimSchemas | None) -> etree._Element:
    """The ``soap:Fault`` of a reply, after the checks every SWSIM fault passes."""
    assert reply.status == 500
    assert reply.content_type.split(";")[0] == "text/xml"
    root = etree.fromstring(reply.body)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    body = root.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1
    fault = body[0]
    assert fault.tag == f"{{{SOAP_ENV}}}Fault"
    assert fault_errors(fault) == []
    assert [c.tag for c in fault] == ["faultcode", "faultstring", "faultactor", "detail"]  # unqualified children
    assert fault.findtext("faultstring")
    if real_swsim is not None:
        assert real_swsim.errors(reply.body) == []
    return fault


@pytest.mark.parametrize("case", list(SERVICE_FAULTS))
def test_service_faults(
    case: str, sandbox: Sandbox, creds: SandboxCredentials, real_swsim: RealSwsimSchemas | None
) -> None:
    scenario, code = SERVICE_FAULTS[case]
    fault = fault_of(scenario(sandbox, creds), real_swsim)
    assert fault.findtext("faultcode") == "soap:Server"
    faultstring = fault.findtext("faultstring") or ""
    assert faultstring.endswith(f"[0x{code}]")
    detail = fault.find("detail")
    assert detail is not None
    errors = detail.findall(f"{{{FAULT_NS}}}sdcerror")
    assert len(errors) == 1
    assert errors[0].get("code") == code
    assert errors[0].text
    assert [c for c in detail if c.tag != f"{{{FAULT_NS}}}sdcerror" and c.tag != f"{{{FAULT_NS}}}authenticator"] == []


def _envelope(inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>{inner}'
        "</soap:Body></soap:Envelope>"
    ).encode()


MALFORMED = {
    "unknown-child": (
        "GetAccountInfo",
        _envelope(f'<GetAccountInfo xmlns="{TNS}"><Authenticator>x</Authenticator><Extra>1</Extra></GetAccountInfo>'),
    ),
    "both-authenticator-and-credentials": (
        "GetAccountInfo",
        _envelope(
            f'<GetAccountInfo xmlns="{TNS}"><Authenticator>x</Authenticator><Credentials>'
            "<IntegrationID>7f4e3f5c-0000-4000-8000-000000000000</IntegrationID><Username>u</Username>"
            "<Password>p</Password></Credentials></GetAccountInfo>"
        ),
    ),
    "integration-id-not-a-guid": (
        "AuthenticateUser",
        _envelope(
            f'<AuthenticateUser xmlns="{TNS}"><Credentials><IntegrationID>not-a-guid</IntegrationID>'
            "<Username>u</Username><Password>p</Password></Credentials></AuthenticateUser>"
        ),
    ),
    "credentials-out-of-order": (
        "AuthenticateUser",
        _envelope(
            f'<AuthenticateUser xmlns="{TNS}"><Credentials><Username>u</Username>'
            "<IntegrationID>7f4e3f5c-0000-4000-8000-000000000000</IntegrationID><Password>p</Password>"
            "</Credentials></AuthenticateUser>"
        ),
    ),
    "wrong-namespace": (
        "GetAccountInfo",
        _envelope('<GetAccountInfo xmlns="urn:other"><Authenticator>x</Authenticator></GetAccountInfo>'),
    ),
    "body-of-another-operation": ("GetAccountInfo", _envelope(f'<AuthenticateUser xmlns="{TNS}"/>')),
    "not-xml": ("GetAccountInfo", b"<soap:Envelope"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_requests_are_client_faults(case: str, sandbox: Sandbox, real_swsim: RealSwsimSchemas | None) -> None:
    op, body = MALFORMED[case]
    if real_swsim is not None and case != "not-xml":
        assert real_swsim.errors(body) != [], "the case must break the real schema too"
    fault = fault_of(sandbox.handle(body, f'"{TNS}/{op}"'), real_swsim)
    assert fault.findtext("faultcode") == "soap:Client"
    faultstring = fault.findtext("faultstring") or ""
    assert faultstring.startswith("Invalid SOAP message due to XML Schema validation failure.")
    detail = fault.find("detail")
    assert detail is not None and len(detail) == 1
    assert detail[0].tag == f"{{{SCHEMA_FAULT_NS}}}stamps_exception"
    assert detail[0].get("code") == "00490102"


@pytest.mark.parametrize(
    "action",
    [f'"{TNS}/NoSuchOperation"', '"http://stamps.com/xml/namespace/2015/08/swsim/swsimV49/GetAccountInfo"', "", None],
)
def test_unknown_soap_action_is_a_client_fault(
    action: str | None, sandbox: Sandbox, creds: SandboxCredentials, real_swsim: RealSwsimSchemas | None
) -> None:
    body = request_body("GetAccountInfo", {"Credentials": credentials(creds)})
    fault = fault_of(sandbox.handle(body, action), real_swsim)
    assert fault.findtext("faultcode") == "soap:Client"
    shown = (action or "").strip('"')
    faultstring = fault.findtext("faultstring") or ""
    assert faultstring.startswith("Server did not recognize the value of HTTP Header SOAPAction: ")
    assert shown in faultstring
    detail = fault.find("detail")
    assert detail is not None and len(detail) == 0  # ASP.NET answers with an empty <detail/>


def test_what_the_real_schema_accepts_is_not_a_schema_fault(
    require_real_swsim: RealSwsimSchemas, sandbox: Sandbox
) -> None:
    """The Authenticator|Credentials choice holds two minOccurs=0 options, so XSD lets it be empty:
    an empty request is valid against the real contract and must fail on authentication, not as 00490102."""
    body = _envelope(f'<GetAccountInfo xmlns="{TNS}"/>')
    assert require_real_swsim.errors(body) == []
    fault = fault_of(sandbox.handle(body, f'"{TNS}/GetAccountInfo"'), require_real_swsim)
    assert fault.findtext("faultcode") == "soap:Server"
    detail = fault.find("detail")
    assert detail is not None
    assert detail.find(f"{{{SCHEMA_FAULT_NS}}}stamps_exception") is None
    assert detail.find(f"{{{FAULT_NS}}}sdcerror") is not None
