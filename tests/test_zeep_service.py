"""The zeep escape hatch: raw operations on the shared pool, with both timeouts set."""

from __future__ import annotations

from decimal import Decimal

import pytest
import zeep

from onebalance import ConfigurationError, Timeout, zeep_service
from onebalance.core._transport import shared_session


def test_raw_operations_against_the_sandbox(sandbox):
    creds = sandbox.create_demo_account()
    with sandbox.serve() as server:
        service = zeep_service(server.url, timeout=Timeout(connect=2, read=9))
        result = service.GetAccountInfo(
            Credentials={"IntegrationID": creds.integration_id, "Username": creds.username, "Password": creds.password}
        )
        assert result.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
        with pytest.raises(zeep.exceptions.Fault) as info:
            service.GetAccountInfo(Authenticator="garbage")
        assert info.value.detail[0].get("code") == "002b0201"


def test_it_shares_the_pool_and_sets_zeep_operation_timeout():
    service = zeep_service("https://swsim.testing.stamps.com/swsim/swsimv111.asmx", timeout=Timeout(connect=2, read=9))
    transport = service._client.transport
    assert transport.session is shared_session()
    assert (transport.load_timeout, transport.operation_timeout) == (2, 9)


def test_it_refuses_plain_http_to_remote_hosts():
    with pytest.raises(ConfigurationError):
        zeep_service("http://swsim.stamps.com/swsim/swsimv111.asmx")
