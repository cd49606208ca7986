"""A third-party SOAP client (zeep) built from the REAL SwsimV111.wsdl talks to the sandbox served
over HTTP: the sandbox speaks the real contract, not only the package's own reading of it. Skips,
saying why, where ../shared/specs is absent."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from lxml import etree

from onebalance.sandbox import Sandbox, SandboxCredentials, SandboxServer

from .._specs import REAL_WSDL, SPECS_MISSING

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not REAL_WSDL.exists(), reason=SPECS_MISSING),
]

TNS = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"
BINDING = f"{{{TNS}}}SwsimV111Soap"
FAULT_NS = "http://stamps.com/xml/namespace/2008/01/swsim/fault"


class RecordingTransport(zeep.Transport):
    """zeep's transport, remembering the HTTP status of every POST."""

    def __init__(self) -> None:
        session = requests.Session()
        session.trust_env = False  # never route 127.0.0.1 through a proxy from the environment
        super().__init__(session=session)
        self.statuses: list[int] = []

    def post(self, address: str, message: Any, headers: dict[str, str]) -> requests.Response:
        response = super().post(address, message, headers)
        self.statuses.append(response.status_code)
        return response


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def real_client(transport: RecordingTransport) -> zeep.Client:
    if not REAL_WSDL.exists():
        pytest.skip(SPECS_MISSING)
    return zeep.Client(str(REAL_WSDL), transport=transport, settings=zeep.Settings(strict=True))


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    with sandbox.serve() as running:
        yield running


@pytest.fixture
def creds(sandbox: Sandbox) -> SandboxCredentials:
    return sandbox.create_demo_account()


@pytest.fixture
def service(real_client: zeep.Client, server: SandboxServer) -> Any:
    return real_client.create_service(BINDING, server.url)


def credentials(creds: SandboxCredentials, **overrides: str) -> dict[str, str]:
    block = {"IntegrationID": creds.integration_id, "Username": creds.username, "Password": creds.password}
    block.update(overrides)
    return block


def fault_code(fault: zeep.exceptions.Fault) -> str | None:
    assert fault.detail is not None, "fault without detail"
    found = fault.detail.find(f"{{{FAULT_NS}}}sdcerror")
    return None if found is None else found.get("code")


def test_authenticate_user_returns_an_authenticator(service: Any, creds: SandboxCredentials) -> None:
    response = service.AuthenticateUser(Credentials=credentials(creds))
    assert isinstance(response.Authenticator, str) and response.Authenticator
    assert response.PasswordExpired is False


def test_get_account_info_with_the_authenticator(
    service: Any, creds: SandboxCredentials, transport: RecordingTransport
) -> None:
    token = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    response = service.GetAccountInfo(Authenticator=token)
    assert response.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
    assert response.AccountInfo.Username == creds.username
    assert response.Authenticator and response.Authenticator != token  # the token rolls
    assert transport.statuses == [200, 200]


def test_reusing_an_older_token_is_out_of_sync(
    service: Any, creds: SandboxCredentials, transport: RecordingTransport
) -> None:
    first = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    service.GetAccountInfo(Authenticator=first)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        service.GetAccountInfo(Authenticator=first)
    fault = caught.value
    assert fault_code(fault) == "002b0204"
    assert fault.code == "soap:Server"
    assert fault.message.endswith("[0x002b0204]")
    assert isinstance(fault.detail, etree._Element)
    assert transport.statuses[-1] == 500


def test_get_account_info_with_credentials(service: Any, creds: SandboxCredentials) -> None:
    response = service.GetAccountInfo(Credentials=credentials(creds))
    assert response.Authenticator
    assert response.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
    assert response.AccountInfo.Username == creds.username


def test_wrong_password_is_authentication_failed(
    service: Any, creds: SandboxCredentials, transport: RecordingTransport
) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        service.AuthenticateUser(Credentials=credentials(creds, Password=creds.password + "-wrong"))
    assert fault_code(caught.value) == "002b0601"
    assert caught.value.code == "soap:Server"
    assert transport.statuses == [500]


def test_client_from_the_sandbox_wsdl(server: SandboxServer, creds: SandboxCredentials) -> None:
    session = requests.Session()
    session.trust_env = False
    client = zeep.Client(
        server.wsdl_url, transport=zeep.Transport(session=session), settings=zeep.Settings(strict=True)
    )
    ports = [port for svc in client.wsdl.services.values() for port in svc.ports.values()]
    assert [port.name for port in ports] == ["SwsimV111Soap"]
    assert ports[0].binding_options["address"] == server.url
    token = client.service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    response = client.service.GetAccountInfo(Authenticator=token)
    assert response.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
    assert response.AccountInfo.Username == creds.username
