"""The three sandboxes speak one vocabulary (in Python and on their control APIs) and mount together
in one ``responses`` mock, as a platform engineer testing USPS, UPS and FedEx at once uses them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from carriers import Address, Parcel, ShipmentRequest, Weight
from carriers.fedex import FedexClient
from carriers.ups import UpsClient
from onebalance import OneBalance
from onebalance.sandbox import Sandbox, SandboxControl, mock_all
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

SHIPMENT = ShipmentRequest(
    shipper=Address(name="Acme", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA",
                    postal_code="90245", phone="3105550100"),
    recipient=Address(name="Ada Lovelace", street_lines=["350 5th Ave"], city="New York", state="NY",
                      postal_code="10118", phone="2125550100"),
    parcels=[Parcel(weight=Weight("2", "lb"))],
    ship_date=date.today(),
)  # fmt: skip


def one_balance(url: str, sandbox: Sandbox) -> OneBalance:
    creds = sandbox.create_demo_account()
    return OneBalance(
        integration_id=creds.integration_id, username=creds.username, password=creds.password, endpoint=url
    )


# -- one responses mock ------------------------------------------------------------------------------------
def test_nested_mocks_of_the_three_sandboxes_all_answer() -> None:
    """Before: the inner mock hid the outer one, and the One Balance client got ConnectError."""
    sandbox, ups, fedex = Sandbox(), UpsSandbox(), FedexSandbox()
    original_send = requests.adapters.HTTPAdapter.send
    with sandbox.mock() as url:
        with ups.mock() as ups_url:
            with fedex.mock() as fedex_url:
                assert one_balance(url, sandbox).account().available_postage == Decimal("100.00")
                assert UpsClient(ups.create_demo_account().settings(ups_url)).rates(SHIPMENT)
                assert FedexClient(fedex.create_demo_account().settings(fedex_url)).rates(SHIPMENT)
            with pytest.raises(requests.ConnectionError):  # FedEx left; the others still answer
                requests.post(fedex_url + "/oauth/token", timeout=5)
            assert UpsClient(ups.create_demo_account().settings(ups_url)).rates(SHIPMENT)
        assert one_balance(url, sandbox).account().username == "demo-merchant"
    assert requests.adapters.HTTPAdapter.send is original_send  # nothing stays patched


def test_mock_all_mounts_them_together() -> None:
    sandbox, ups, fedex = Sandbox(), UpsSandbox(), FedexSandbox()
    with mock_all(sandbox, ups, fedex) as (url, ups_url, fedex_url):
        assert one_balance(url, sandbox).account().available_postage == Decimal("100.00")
        with UpsClient(ups.create_demo_account().settings(ups_url)) as client:
            label = client.buy(min(client.rates(SHIPMENT), key=lambda r: r.total), SHIPMENT, "order-1")
        assert [s.tracking_numbers for s in ups.shipments()] == [[label.tracking_number]]
        assert FedexClient(fedex.create_demo_account().settings(fedex_url)).rates(SHIPMENT)


def test_one_server_serves_the_three_each_at_its_path() -> None:
    """The front behind every serve(): one server routes by path to each service, and to each one's
    control API (``FrontServer`` has no public face of its own: each sandbox's serve() is it)."""
    from onebalance.sandbox._front._server import FrontServer

    sandbox, ups, fedex = Sandbox(), UpsSandbox(), FedexSandbox()
    with FrontServer(sandbox, also=[("/ups", ups), ("/fedex", fedex)]) as server:
        ups_url, fedex_url = server.mounted["/ups"], server.mounted["/fedex"]
        assert ups_url == server.url.split("/swsim/")[0] + "/ups"
        assert one_balance(server.url, sandbox).account().available_postage == Decimal("100.00")
        assert UpsClient(ups.create_demo_account().settings(ups_url)).rates(SHIPMENT)
        assert FedexClient(fedex.create_demo_account().settings(fedex_url)).rates(SHIPMENT)
        assert SandboxControl(server.url).call("ping")["sandbox"] == "onebalance"  # SWSIM's, at the root
        for url, name in ((ups_url, "ups"), (fedex_url, "fedex")):
            ping = requests.post(url + "/sandbox/control/ping", timeout=5).json()
            assert ping["result"]["sandbox"] == name
        assert requests.get(server.url.split("/swsim/")[0] + "/upsnot/x", timeout=5).status_code == 404


def test_two_sandboxes_on_one_host_are_refused_and_the_first_keeps_answering() -> None:
    first, second = UpsSandbox(), UpsSandbox()
    with first.mock() as url:
        with pytest.raises(ValueError, match=r"in-process at https://ups\.sandbox\.test already"), second.mock():
            pass
        with second.mock("https://ups-2.sandbox.test") as other:
            assert UpsClient(second.create_demo_account().settings(other)).rates(SHIPMENT)
        assert UpsClient(first.create_demo_account().settings(url)).rates(SHIPMENT)
    assert len(first.requests()) == 2 and len(second.requests()) == 2  # a token and a rate each


# -- one vocabulary in Python ------------------------------------------------------------------------------
def _seed(box: Any) -> Any:
    if isinstance(box, Sandbox):
        return box.create_account("acme", "Acme-Passw0rd")
    return box.create_account()


@pytest.mark.parametrize("make", [Sandbox, UpsSandbox, FedexSandbox], ids=["onebalance", "ups", "fedex"])
def test_the_same_verbs_on_every_sandbox(make: Any) -> None:
    box = make()
    assert _seed(box) is not None
    demo = box.create_demo_account()
    assert box.create_demo_account() == demo  # idempotent
    before = box.clock.now()
    now = box.advance_clock(timedelta(hours=2))
    assert timedelta(hours=2) <= now - before < timedelta(hours=2, minutes=1)
    assert box.advance_clock(60) >= now + timedelta(seconds=60)
    for bad in (-1, timedelta(seconds=-1), True, "3600", float("nan"), 10**12):
        with pytest.raises(ValueError):
            box.advance_clock(bad)
    assert box.clock.now() - now < timedelta(seconds=61)  # refusals moved nothing


def test_the_carrier_sandboxes_make_up_what_is_not_given() -> None:
    ups, fedex = UpsSandbox(), FedexSandbox()
    app = ups.create_account()
    assert app.client_id.startswith("ups-") and len(app.shipper_numbers) == 1
    assert ups.create_account(shipper_numbers=[]).shipper_numbers == set()
    with pytest.raises(ValueError, match="exists already"):
        ups.create_account(app.client_id)
    with pytest.raises(ValueError, match="not one text"):
        ups.create_account(shipper_numbers="A1B2C3")
    with pytest.raises(ValueError, match="several shipper numbers"):
        ups.create_account(shipper_numbers=["A1B2C3", "Z9Z9Z9"]).settings("https://ups.sandbox.test")
    project = fedex.create_account()
    assert len(project.account_number) == 9
    with pytest.raises(ValueError, match="exists already"):
        fedex.create_account(project.client_id)
    with pytest.raises(ValueError, match="non-empty text"):
        fedex.create_account(client_id=5)  # type: ignore[arg-type]


def test_the_old_names_still_work_with_a_deprecation_warning() -> None:
    ups, fedex = UpsSandbox(), FedexSandbox()
    with pytest.deprecated_call(match="use UpsSandbox.create_account"):
        ups.add_account("app", "secret", "A1B2C3")
    with pytest.deprecated_call(match="use UpsSandbox.create_account"):
        replaced = ups.add_account("app", "secret-2", "A1B2C3", "Q7Q7Q7")  # it replaced, as it always did
    assert ups.state.accounts["app"] is replaced and replaced.shipper_numbers == {"A1B2C3", "Q7Q7Q7"}
    with pytest.deprecated_call(match="use FedexSandbox.create_account"):
        creds = fedex.create_credentials(account_number="740561073")
    assert fedex.state.projects[creds.client_id].account_number == "740561073"
    for box, name in ((ups, "UpsSandbox"), (fedex, "FedexSandbox")):
        before = box.clock.now()
        with pytest.deprecated_call(match=f"use {name}.advance_clock"):
            box.advance(timedelta(days=1))
        assert box.clock.now() - before >= timedelta(days=1)


# -- one vocabulary on the control API ---------------------------------------------------------------------
@pytest.fixture
def served() -> Iterator[dict[str, tuple[Any, str]]]:
    sandbox, ups, fedex = Sandbox(), UpsSandbox(), FedexSandbox()
    with sandbox.serve() as one, ups.serve() as u, fedex.serve() as f:
        yield {"onebalance": (sandbox, one.url), "ups": (ups, u.url), "fedex": (fedex, f.url)}


def test_the_same_actions_over_http(served: dict[str, tuple[Any, str]]) -> None:
    made = {
        "onebalance": {"username": "acme", "password": "Acme-Passw0rd"},
        "ups": {"shipper_numbers": ["Z9Y8X7"]},
        "fedex": {"account_number": "510087020"},
    }
    for name, (box, url) in served.items():
        control = SandboxControl(url)
        assert {"create_account", "create_demo_account", "advance_clock"} <= set(control.call("ping")["actions"])
        account = control.call("create_account", **made[name])
        assert account  # the new account (an app's client id and secret for UPS and FedEx)
        demo = control.call("create_demo_account")
        assert demo == control.call("create_demo_account"), name
        before = box.clock.now()
        now = datetime.fromisoformat(control.call("advance_clock", delta=3600))
        assert now - before >= timedelta(hours=1), name
        refused = requests.post(control.base + "/sandbox/control/advance_clock", json={"delta": -5}, timeout=5)
        assert refused.status_code == 400 and refused.json()["ok"] is False, name
        unknown = requests.post(control.base + "/sandbox/control/no_such_action", json={}, timeout=5)
        assert unknown.status_code == 404 and unknown.json()["ok"] is False, name
    ups_box = served["ups"][0]
    assert "Z9Y8X7" in {n for a in ups_box.state.accounts.values() for n in a.shipper_numbers}
    fedex_base = SandboxControl(served["fedex"][1])
    assert fedex_base.call("expire_tokens") == 0 and fedex_base.call("shipments") == []
    # A refusal carries the carrier's own error shape too, for clients that read it.
    body = requests.post(fedex_base.base + "/sandbox/control/expire_tokens", json={"client_id": 5}, timeout=5).json()
    assert body["ok"] is False and body["errors"][0]["code"] == "BAD.REQUEST.ERROR"


def test_the_old_action_names_answer_as_before_marked_deprecated(served: dict[str, tuple[Any, str]]) -> None:
    for name, old, args, status in (
        ("ups", "account", {"shipper_numbers": ["Z9Y8X7"]}, 201),
        ("ups", "advance", {"seconds": 60}, 200),
        ("ups", "expire-tokens", {}, 200),
        ("fedex", "credentials", {"account_number": "510087020"}, 201),
        ("fedex", "advance", {"seconds": 60}, 200),
        ("fedex", "expire-tokens", {}, 200),
    ):
        answer = requests.post(f"{served[name][1]}/sandbox/control/{old}", json=args, timeout=5)
        assert answer.status_code == status, (name, old)
        assert "ok" not in answer.json()  # the old body, as it was
        assert answer.headers["Deprecation"] == "true" and "successor-version" in answer.headers["Link"]
