"""UPS: the client against the UPS sandbox, in-process (``responses``) and over real HTTP.

Every request the client sends and every answer the sandbox gives is checked against UPS's own
OpenAPI specs in ../shared/specs/ups (skipped with a reason when they are absent).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from carriers import (
    Address,
    Carrier,
    CarrierAccountPayment,
    Dimensions,
    LabelSpec,
    Parcel,
    ShipmentRequest,
    TrackingStatus,
    Weight,
    cheapest,
    fastest,
)
from carriers.ups import UpsClient, UpsSettings
from onebalance import (
    AuthenticationFailed,
    ConfigurationError,
    LabelFormatUnavailable,
    LabelNotFound,
    OneBalance,
    PaymentMethodRefused,
    PermissionDenied,
    Service,
    ServiceError,
    ValidationError,
    VoidRefused,
)
from onebalance.sandbox.ups import UpsReply, UpsSandbox
from onebalance.shipments import _recent as recent

from ._images import check_image
from ._specs import SPECS

UPS_SPECS = SPECS / "ups"
CLIENT_ID = "app-client-id-123"
SECRET = "s3cr3t-Do-Not-Leak-9f8e7d"
SHIPPER = "A1B2C3"
GIF_MAGIC = b"GIF89a"


# -- conformance against the real specs ------------------------------------------------------------


@cache
def _spec(name: str) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # Shipping.yaml and Tracking.yaml carry stray tab characters after some values, which YAML forbids.
    text = (UPS_SPECS / name).read_text(encoding="utf-8").replace("\t", "    ")
    return yaml.load(text, Loader=loader)


@cache
def _validator(spec: str, pointer: str) -> Any:
    import jsonschema

    document = _spec(spec)
    return jsonschema.Draft7Validator({**document, "$ref": pointer})


def _schema_errors(spec: str, pointer: str, instance: Any) -> list[str]:
    errors = _validator(spec, pointer).iter_errors(instance)
    return [f"{spec} {pointer} at {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def _operation(method: str, path: str) -> tuple[str, str, str, str] | None:
    """(spec file, request schema, 200 schema, error schema) for an exchange, as UPS's specs name them."""
    parts = [p for p in path.split("/") if p]
    oauth = "OAuthClientCredentials.yaml"
    if method == "POST" and parts == ["security", "v1", "oauth", "token"]:
        return (oauth, "", "#/components/schemas/tokenSuccessResponse", "#/components/schemas/tokenErrorResponse")
    if method == "POST" and parts[:2] == ["api", "rating"]:
        s = "#/components/schemas/"
        return ("Rating.yaml", s + "RATERequestWrapper", s + "RATEResponseWrapper", s + "ErrorResponse")
    if method == "POST" and parts[:2] == ["api", "shipments"] and parts[-1] == "ship":
        s = "#/components/schemas/"
        return ("Shipping.yaml", s + "SHIPRequestWrapper", s + "SHIPResponseWrapper", s + "ErrorResponse")
    if method == "DELETE" and parts[:2] == ["api", "shipments"]:
        s = "#/components/schemas/"
        return ("Shipping.yaml", "", s + "VOIDSHIPMENTResponseWrapper", s + "ErrorResponse")
    if method == "GET" and parts[:4] == ["api", "track", "v1", "details"]:
        s = "#/components/schemas/"
        return ("Tracking.yaml", "", s + "TrackApiResponse", s + "Response")
    return None


def conformance_problems(exchange: Exchange) -> list[str]:
    path = urlsplit(exchange.target).path
    operation = _operation(exchange.method, path)
    if operation is None:
        return [f"{exchange.method} {path}: no such UPS operation in the specs"]
    spec, request_schema, ok_schema, error_schema = operation
    problems: list[str] = []
    if spec == "OAuthClientCredentials.yaml":
        body = _spec(spec)["paths"]["/security/v1/oauth/token"]["post"]["requestBody"]["content"]
        form = {k: v[0] for k, v in parse_qs(exchange.body.decode()).items()}
        import jsonschema

        for error in jsonschema.Draft7Validator(body["application/x-www-form-urlencoded"]["schema"]).iter_errors(form):
            problems.append(f"token form: {error.message}")
    elif request_schema:
        problems += _schema_errors(spec, request_schema, json.loads(exchange.body))
    if spec == "Tracking.yaml":
        headers = {k.lower() for k in exchange.headers}
        problems += [f"track: missing required header {h}" for h in ("transid", "transactionsrc") if h not in headers]
    answer = exchange.reply.json()
    problems += _schema_errors(spec, ok_schema if exchange.reply.status == 200 else error_schema, answer)
    if exchange.reply.status != 200:
        errors = answer.get("response", {}).get("errors")
        if not (isinstance(errors, list) and errors and {"code", "message"} <= set(errors[0])):
            problems.append(f"{path}: error answer not in UPS's shape")
    return problems


# -- fixtures --------------------------------------------------------------------------------------


@dataclass
class Exchange:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    reply: UpsReply


@dataclass
class Ups:
    sandbox: UpsSandbox
    url: str
    exchanges: list[Exchange]

    def settings(self, account: str = SHIPPER, secret: str = SECRET) -> UpsSettings:
        return UpsSettings(client_id=CLIENT_ID, client_secret=secret, account_number=account, base_url=self.url)

    def client(self, account: str = SHIPPER) -> UpsClient:
        return UpsClient(self.settings(account), clock=lambda: self.sandbox.clock.now().timestamp())

    def paths(self) -> list[tuple[str, str, int]]:
        return [(e.method, urlsplit(e.target).path, e.reply.status) for e in self.exchanges]


@pytest.fixture(params=["in_process", "server"])
def ups(request: pytest.FixtureRequest) -> Iterator[Ups]:
    sandbox = UpsSandbox()
    sandbox.create_account(CLIENT_ID, SECRET, [SHIPPER])
    exchanges: list[Exchange] = []
    original = sandbox.handle

    def recording(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> UpsReply:
        reply = original(method, target, headers, body)
        exchanges.append(Exchange(method, target, dict(headers), body, reply))
        return reply

    sandbox.handle = recording  # type: ignore[method-assign]
    if request.param == "in_process":
        with sandbox.mock() as url:
            yield Ups(sandbox, url, exchanges)
    else:
        with sandbox.serve() as server:
            yield Ups(sandbox, server.url, exchanges)
    if UPS_SPECS.is_dir():
        problems = [p for exchange in exchanges for p in conformance_problems(exchange)]
        assert not problems, "exchanges that break UPS's OpenAPI specs:\n" + "\n".join(problems[:20])


@pytest.fixture
def shipment() -> ShipmentRequest:
    return ShipmentRequest(
        shipper=Address(
            name="Ann Shipper",
            company="Acme",
            street_lines=["1 Main St"],
            city="Springfield",
            state="IL",
            postal_code="62701",
            phone="2175550100",
        ),
        recipient=Address(
            name="Jane Doe",
            street_lines="9 Elm St",
            city="Austin",
            state="TX",
            postal_code="78701-1234",
            residential=True,
        ),
        parcels=[Parcel(weight=Weight("2.5", "lb"), dimensions=Dimensions(10, 8, 4))],
        ship_date=date(2026, 11, 23),
    )


# -- tests -----------------------------------------------------------------------------------------


def test_conformance_specs_present() -> None:
    if not UPS_SPECS.is_dir():
        pytest.skip(f"UPS's OpenAPI specs are not at {UPS_SPECS}: conformance is not checked")
    assert _operation("POST", "/api/rating/v2409/Shop") is not None
    # the checker itself catches a request that breaks the spec
    assert _schema_errors("Rating.yaml", "#/components/schemas/RATERequestWrapper", {"RateRequest": {}})


def test_token_is_fetched_once_cached_and_refreshed_before_expiry(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    client.rates(shipment)
    client.rates(shipment)
    assert client.tokens_fetched == 1
    token_calls = [p for p in ups.paths() if p[1] == "/security/v1/oauth/token"]
    assert token_calls == [("POST", "/security/v1/oauth/token", 200)]
    ups.sandbox.advance_clock(14399 - 30)  # inside the 60 s margin: refreshed before UPS would refuse it
    client.rates(shipment)
    assert client.tokens_fetched == 2
    assert all(status != 401 for _, _, status in ups.paths())


def test_one_retry_with_a_fresh_token_on_401(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    client.rates(shipment)
    assert ups.sandbox.expire_tokens() == 1
    assert len(client.rates(shipment)) == 4
    assert ups.paths()[-3:] == [
        ("POST", "/api/rating/v2409/Shop", 401),
        ("POST", "/security/v1/oauth/token", 200),
        ("POST", "/api/rating/v2409/Shop", 200),
    ]


def test_wrong_secret_is_authentication_failed(ups: Ups, shipment: ShipmentRequest) -> None:
    client = UpsClient(ups.settings(secret="wrong"))
    with pytest.raises(AuthenticationFailed) as caught:
        client.rates(shipment)
    assert caught.value.http_status == 401 and caught.value.operation == "token"
    assert caught.value.source is Service.UPS


def test_a_ups_401_is_told_apart_from_a_one_balance_wrong_password(ups: Ups, shipment: ShipmentRequest) -> None:
    """Both are AuthenticationFailed; ``source`` says which service refused (issue 15, item 6)."""
    from onebalance.sandbox import DEMO_INTEGRATION_ID, DEMO_USERNAME, Sandbox

    with pytest.raises(AuthenticationFailed) as from_ups:
        UpsClient(ups.settings(secret="wrong")).rates(shipment)
    sandbox = Sandbox()
    with sandbox.mock() as url, pytest.raises(AuthenticationFailed) as from_onebalance:
        OneBalance(integration_id=DEMO_INTEGRATION_ID, username=DEMO_USERNAME, password="Wrong-Passw0rd",
                   endpoint=url).authenticate()  # fmt: skip
    assert from_ups.value.source is Service.UPS
    assert from_onebalance.value.source is Service.ONEBALANCE
    # the proxy's own token call (what Accounts.connect_ups verifies with) says so too
    with pytest.raises(AuthenticationFailed) as token_refused:
        UpsClient(ups.settings(secret="wrong")).proxy.token()
    assert token_refused.value.source is Service.UPS


def test_rate_shopping(ups: Ups, shipment: ShipmentRequest) -> None:
    rates = ups.client().rates(shipment)
    assert {r.service_code for r in rates} == {"01", "02", "03", "12"}
    assert all(r.payment == CarrierAccountPayment(Carrier.UPS, SHIPPER) for r in rates)
    ground = cheapest(rates)
    assert ground.service_code == "03" and ground.service_name == "UPS Ground"
    # 2.5 lb but 10x8x4 in is 2.3 lb dimensional -> 3 lb; zone 2+|6-7| = 3: 9.00 + 2*1.10 + 0.85 = 12.05, fuel 1.51
    assert ground.total.amount == Decimal("13.56") and ground.base is not None
    assert ground.base.amount == Decimal("12.05")
    assert [(c.name, c.amount.amount) for c in ground.surcharges] == [("Fuel surcharge", Decimal("1.51"))]
    assert fastest(rates).service_code == "01" and fastest(rates).delivery_days == 1


def test_rate_for_one_service(ups: Ups, shipment: ShipmentRequest) -> None:
    rates = ups.client().rates(shipment.model_copy(update={"service": "02"}))
    assert [r.service_code for r in rates] == ["02"]


def test_buy_is_billed_to_the_shippers_own_account(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    rate = cheapest(client.rates(shipment))
    label = client.buy(rate, shipment, idempotency_key="order-1")
    assert label.paid_by == CarrierAccountPayment(Carrier.UPS, SHIPPER)
    assert label.cost == rate.total
    assert label.label_image.startswith(GIF_MAGIC) and label.label_format == "GIF"
    assert label.tracking_number is not None and label.tracking_number.startswith("1Z" + SHIPPER + "03")
    ship = next(e for e in ups.exchanges if e.target.endswith("/ship"))
    wire = json.loads(ship.body)["ShipmentRequest"]["Shipment"]
    assert wire["PaymentInformation"]["ShipmentCharge"] == [{"Type": "01", "BillShipper": {"AccountNumber": SHIPPER}}]
    assert wire["Shipper"]["ShipperNumber"] == SHIPPER
    assert [s.shipper_number for s in ups.sandbox.shipments()] == [SHIPPER]


@pytest.mark.parametrize("label_format", ["GIF", "ZPL", "EPL"])
def test_every_label_image_is_the_format_the_sandbox_claims(
    ups: Ups, shipment: ShipmentRequest, label_format: str
) -> None:
    """An EPL label used to be ZPL commands (a printer set for EPL2 would have printed garbage), and
    the SDK used to call an EPL label GIF."""
    client = ups.client()
    rate = cheapest(client.rates(shipment))
    label = client.buy(
        rate, shipment, idempotency_key=f"image-{label_format}", label_spec=LabelSpec(format=label_format)
    )
    ship = next(e for e in ups.exchanges if e.target.endswith("/ship"))
    sent = json.loads(ship.body)["ShipmentRequest"]["LabelSpecification"]
    assert sent["LabelImageFormat"] == {"Code": label_format}
    assert sent["LabelStockSize"] == {"Height": "6", "Width": "4"}
    package = ship.reply.json()["ShipmentResponse"]["ShipmentResults"]["PackageResults"]
    shipping_label = (package[0] if isinstance(package, list) else package)["ShippingLabel"]
    assert shipping_label["ImageFormat"]["Code"] == label_format
    check_image(label_format, base64.b64decode(shipping_label["GraphicImage"]))
    assert label.label_format == label_format and label.label_size == "4x6"
    check_image(label.label_format, label.label_image)


@pytest.mark.parametrize(("label_format", "label_size", "field"), [("PDF", None, "label_format"),
                         ("PNG", None, "label_format"), ("GIF", "letter", "label_size")])  # fmt: skip
def test_a_format_or_size_ups_does_not_print_is_refused_before_anything_is_sent(
    ups: Ups, shipment: ShipmentRequest, label_format: str, label_size: str | None, field: str
) -> None:
    client = ups.client()
    rate = cheapest(client.rates(shipment))
    with pytest.raises(LabelFormatUnavailable) as refused:
        client.buy(rate, shipment, idempotency_key="k", label_spec=LabelSpec(format=label_format, size=label_size))
    assert refused.value.field == field and refused.value.carrier is Carrier.UPS
    assert {(o.format, o.size) for o in refused.value.offered} == {("GIF", "4x6"), ("ZPL", "4x6"), ("EPL", "4x6")}
    assert not any(e.target.endswith("/ship") for e in ups.exchanges) and not ups.sandbox.shipments()


@pytest.mark.parametrize(
    ("code", "stock"), [("ZPL", {"Height": "5", "Width": "4"}), ("PDF", {"Height": "6", "Width": "4"}), ("EPL", None)]
)
def test_the_sandbox_refuses_a_label_format_or_stock_ups_refuses(
    ups: Ups, shipment: ShipmentRequest, code: str, stock: dict[str, str] | None
) -> None:
    client = ups.client()
    client.buy(cheapest(client.rates(shipment)), shipment, "k0")
    ship = next(e for e in ups.exchanges if e.target.endswith("/ship"))
    request = copy.deepcopy(json.loads(ship.body))
    specification = request["ShipmentRequest"]["LabelSpecification"]
    specification["LabelImageFormat"]["Code"] = code
    if stock is None:
        del specification["LabelStockSize"]
    else:
        specification["LabelStockSize"] = stock
    request["ShipmentRequest"]["Request"]["TransactionReference"]["CustomerContext"] = "k1"
    with pytest.raises(ServiceError) as caught:
        client.proxy.call("ship", "POST", urlsplit(ship.target).path, request, idempotency_key="k1")
    if stock is None:
        ups.exchanges.pop()  # this request breaks the spec on purpose: LabelStockSize is required
    assert caught.value.http_status == 400 and caught.value.source is Service.UPS
    assert len(ups.sandbox.shipments()) == 1


def test_mismatched_bill_shipper_account_is_refused(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    client.buy(cheapest(client.rates(shipment)), shipment, "k0")
    ship = next(e for e in ups.exchanges if e.target.endswith("/ship"))
    request = copy.deepcopy(json.loads(ship.body))
    request["ShipmentRequest"]["Shipment"]["PaymentInformation"]["ShipmentCharge"][0]["BillShipper"][
        "AccountNumber"
    ] = "Z9Z9Z9"
    request["ShipmentRequest"]["Request"]["TransactionReference"]["CustomerContext"] = "k1"
    with pytest.raises(PaymentMethodRefused) as caught:
        client.proxy.call("ship", "POST", urlsplit(ship.target).path, request, idempotency_key="k1")
    assert caught.value.code == "111580" and caught.value.http_status == 400
    assert caught.value.source is Service.UPS
    assert len(ups.sandbox.shipments()) == 1  # the first label only


def test_shipper_number_of_another_account_is_refused(ups: Ups, shipment: ShipmentRequest) -> None:
    ups.sandbox.state.accounts[CLIENT_ID].shipper_numbers.add("Q7Q7Q7")  # the app bills a second number
    rate = cheapest(ups.client().rates(shipment))
    with pytest.raises(PermissionDenied) as caught:
        ups.client("X0X0X0").rates(shipment)
    assert caught.value.code == "120100"
    with pytest.raises(ValidationError):  # a rate billed to another account cannot be bought here
        ups.client("Q7Q7Q7").buy(rate, shipment, "k")


def test_buy_is_idempotent(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    rate = cheapest(client.rates(shipment))
    first = client.buy(rate, shipment, idempotency_key="order-42")
    again = client.buy(rate, shipment, idempotency_key="order-42")
    assert again == first
    assert sum(1 for e in ups.exchanges if e.target.endswith("/ship")) == 1
    # a new client (a restarted process) with the same key: the sandbox dedupes on the transaction reference
    other = ups.client().buy(rate, shipment, idempotency_key="order-42")
    assert other.tracking_number == first.tracking_number
    assert len(ups.sandbox.shipments()) == 1
    ship = [e for e in ups.exchanges if e.target.endswith("/ship")]
    assert {e.headers.get("transId") for e in ship} == {hashlib.sha256(b"order-42").hexdigest()[:32]}
    assert json.loads(ship[0].body)["ShipmentRequest"]["Request"]["TransactionReference"] == {
        "CustomerContext": "order-42"
    }
    assert client.buy(rate, shipment, idempotency_key="order-43").tracking_number != first.tracking_number


@pytest.mark.parametrize(
    ("options", "dcis", "saturday"),
    [
        ([], None, False),
        (["signature"], "2", False),
        (["adult_signature"], "3", False),
        (["signature", "adult_signature", "saturday_delivery"], "3", True),
        (["saturday_delivery"], None, True),
    ],
)
def test_options_become_ups_service_options(
    ups: Ups, shipment: ShipmentRequest, options: list[str], dcis: str | None, saturday: bool
) -> None:
    wanted = shipment.model_copy(update={"options": options})
    client = ups.client()
    client.buy(cheapest(client.rates(wanted)), wanted, "options-1")
    sent = {urlsplit(e.target).path.split("/")[2]: json.loads(e.body) for e in ups.exchanges if "/api/" in e.target}
    ship = sent["shipments"]["ShipmentRequest"]["Shipment"]
    package = ship["Package"][0]
    assert package.get("PackageServiceOptions") == ({"DeliveryConfirmation": {"DCISType": dcis}} if dcis else None)
    rated = sent["rating"]["RateRequest"]["Shipment"]
    for body in (ship, rated):
        assert body.get("ShipmentServiceOptions") == ({"SaturdayDeliveryIndicator": ""} if saturday else None)


@pytest.mark.parametrize(
    ("value", "unit", "sent"),
    [("2", "lb", "2.0"), ("0.01", "lb", "0.1"), ("1E+2", "lb", "100.0"), ("30.05", "kg", "30.1"), ("3", "oz", "3.0")],
)
def test_weights_are_sent_as_plain_decimals_rounded_up_to_a_tenth(
    ups: Ups, shipment: ShipmentRequest, value: str, unit: str, sent: str
) -> None:
    ups.client().rates(shipment.model_copy(update={"parcels": [Parcel(weight=Weight(value, unit))]}))
    rated = next(json.loads(e.body) for e in ups.exchanges if "/rating/" in e.target)
    weight = rated["RateRequest"]["Shipment"]["Package"][0]["PackageWeight"]
    assert weight["Weight"] == sent and "E" not in weight["Weight"]


def test_options_ups_does_not_offer_are_refused(shipment: ShipmentRequest) -> None:
    settings = UpsSettings(client_id=CLIENT_ID, client_secret=SECRET, account_number=SHIPPER)
    wanted = shipment.model_copy(update={"options": ["certified_mail", "signature", "hold_for_pickup"]})
    with pytest.raises(ValidationError, match="do not offer certified_mail, hold_for_pickup") as caught:
        UpsClient(settings).rates(wanted)  # refused before anything is sent (no host answers here)
    assert caught.value.field == "options" and caught.value.source is None


def test_the_labels_a_client_keeps_stay_bounded(
    ups: Ups, shipment: ShipmentRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived client keeps only its latest labels; a key within them is still bought once."""
    assert recent.RECENT_LABELS == 1024 and ups.client()._purchases.labels.size == 1024  # the default
    monkeypatch.setattr(recent, "RECENT_LABELS", 4)
    client = ups.client()
    rate = cheapest(client.rates(shipment))

    def ships() -> int:
        return sum(1 for e in ups.exchanges if e.target.endswith("/ship"))

    first = {key: client.buy(rate, shipment, key) for key in (f"order-{n}" for n in range(10))}
    assert len(client._purchases.labels) == 4 and not client._purchases._locks  # no pile-up
    assert ships() == 10
    for key in ("order-9", "order-6", "order-9"):  # within the latest four: no second request
        assert client.buy(rate, shipment, key) is first[key]
    assert ships() == 10
    client.buy(rate, shipment, "order-10")  # order-7 is now the least recently used: forgotten
    assert client.buy(rate, shipment, "order-6") is first["order-6"]  # asked for just before: kept
    assert ships() == 11
    again = client.buy(rate, shipment, "order-0")  # long forgotten here: sent again (the sandbox, like
    assert ships() == 12 and again.tracking_number == first["order-0"].tracking_number  # UPS, dedupes it)
    assert len(client._purchases.labels) == 4


def test_void(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    label = client.buy(cheapest(client.rates(shipment)), shipment, "v-1")
    result = client.void(label)
    assert result.voided and result.carrier is Carrier.UPS and result.tracking_number == label.tracking_number
    assert [s.voided for s in ups.sandbox.shipments()] == [True]
    unknown = label.model_copy(update={"carrier_reference": "1Z" + SHIPPER + "0399999999"})
    with pytest.raises(VoidRefused) as caught:
        client.void(unknown)
    assert caught.value.code == "190102"


def test_tracking_moves_with_the_clock(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    label = client.buy(cheapest(client.rates(shipment)), shipment, "t-1")
    assert label.tracking_number is not None
    tracking = client.track(label.tracking_number)
    assert tracking.status is TrackingStatus.PRE_TRANSIT and len(tracking.events) == 1
    ups.sandbox.advance_clock(timedelta(hours=13))
    assert client.track(label.tracking_number).status is TrackingStatus.IN_TRANSIT
    ups.sandbox.advance_clock(timedelta(days=6))
    done = client.track(label.tracking_number)
    assert done.status is TrackingStatus.DELIVERED and done.delivered_at is not None
    assert len(done.events) == 5 and done.events[-1].status is TrackingStatus.PRE_TRANSIT
    assert done.latest is not None and done.latest.city == "Austin"
    with pytest.raises(LabelNotFound):
        client.track("1Z" + SHIPPER + "0300000999")
    with pytest.raises(ValidationError) as caught:
        client.track("12345")
    assert caught.value.code == "TV1002"


def test_tracking_a_voided_label_says_it_was_voided(ups: Ups, shipment: ShipmentRequest) -> None:
    client = ups.client()
    label = client.buy(cheapest(client.rates(shipment)), shipment, "t-void")
    assert label.tracking_number is not None
    ups.sandbox.advance_clock(timedelta(minutes=30))
    assert client.void(label).voided
    tracking = client.track(label.tracking_number)  # UPS keeps the number: its status type is MV
    assert tracking.status is TrackingStatus.VOIDED and tracking.status.is_final
    assert [e.status for e in tracking.events] == [TrackingStatus.VOIDED, TrackingStatus.PRE_TRANSIT]
    assert tracking.events[0].description == "Billing Information Voided"
    assert tracking.estimated_delivery is None
    ups.sandbox.advance_clock(timedelta(days=6))  # it never moves again
    assert client.track(label.tracking_number).status is TrackingStatus.VOIDED


def test_secret_and_token_never_logged_or_shown(
    ups: Ups, shipment: ShipmentRequest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = ups.client()
    label = client.buy(cheapest(client.rates(shipment)), shipment, "s-1")
    ups.sandbox.expire_tokens()
    client.void(label)
    tokens = [e.reply.json()["access_token"] for e in ups.exchanges if e.target.startswith("/security")]
    assert len(tokens) == 2
    assert "ups operation=ship" in caplog.text  # the log is there, just clean
    logged = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("ups operation=ship request="))
    sent = json.loads(logged.split(" request=", 1)[1])  # the request body, the shipper number masked
    ship = next(e for e in ups.exchanges if e.target.endswith("/ship"))
    assert sent == json.loads(ship.body.decode().replace(SHIPPER, "****" + SHIPPER[-4:]))
    answer = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("ups operation=ship status="))
    assert '"GraphicImage":"<redacted>"' in answer  # no label image in the log
    shown = [caplog.text, repr(client.settings), str(client.settings), repr(client), repr(client.proxy)]
    shown += [repr(client.proxy.token()), repr(ups.sandbox.state.accounts[CLIENT_ID])]
    for text in shown:
        assert SECRET not in text
        assert all(token not in text for token in tokens)
    with pytest.raises(AuthenticationFailed) as caught:
        UpsClient(ups.settings(secret="wrong-" + SECRET)).rates(shipment)
    assert SECRET not in str(caught.value) + repr(caught.value)


def test_each_call_is_logged_at_info_in_one_line(
    ups: Ups, shipment: ShipmentRequest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="onebalance")
    client = ups.client()
    client.buy(cheapest(client.rates(shipment)), shipment, "logged-1")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ups operation=")]
    assert [line.split(" duration_ms=")[0] for line in lines] == [
        "ups operation=token method=POST path=/security/v1/oauth/token status=200",
        "ups operation=rate method=POST path=/api/rating/v2409/Shop status=200",
        "ups operation=ship method=POST path=/api/shipments/v2409/ship status=200",
    ]
    assert all(re.fullmatch(r"ups operation=\w+ .* duration_ms=\d+ attempt=1", line) for line in lines)
    assert not any(r.levelno < logging.INFO for r in caplog.records)  # no DEBUG body without DEBUG on


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        UpsSettings(client_id="a", client_secret="b", account_number="12345")
    with pytest.raises(ConfigurationError):
        UpsSettings(client_id="a", client_secret="b", account_number="A1B2C3", base_url="http://ups.example.com")
    settings = UpsSettings(client_id="a", client_secret="b", account_number="a1-b2c3")
    assert settings.account_number == "A1B2C3" and settings.base_url == "https://wwwcie.ups.com"


def test_unsupported_packaging_is_refused_before_sending(shipment: ShipmentRequest) -> None:
    settings = UpsSettings(client_id="a", client_secret="b", account_number=SHIPPER)
    flat = shipment.model_copy(update={"parcels": (Parcel(weight=Weight(1), package_type="small_flat_rate_box"),)})
    with pytest.raises(ValidationError) as caught:
        UpsClient(settings).rates(flat)
    assert caught.value.field == "parcels.0.package_type"


def test_the_old_names_still_work_for_a_release_with_a_warning(ups: Ups, shipment: ShipmentRequest) -> None:
    """``carriers.ups.mapping`` and ``UpsProxy.token_fetches`` are deprecated aliases (CHANGELOG.md)."""
    import carriers.ups
    import onebalance.carriers.ups

    for package in (carriers.ups, onebalance.carriers.ups):  # as in a fresh process: not imported yet
        sys.modules.pop(f"{package.__name__}.mapping", None)
        vars(package).pop("mapping", None)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        old = importlib.import_module("carriers.ups.mapping")
    assert carriers.ups.mapping is old is onebalance.carriers.ups.mapping
    assert old.ship_path() == "/api/shipments/v2409/ship" and old.trans_id("k") == hashlib.sha256(b"k").hexdigest()[:32]
    settings = ups.settings()
    body = old.rate_request(shipment, settings)
    assert body["RateRequest"]["Shipment"]["Shipper"]["ShipperNumber"] == SHIPPER
    client = ups.client()
    rates = client.rates(shipment)
    answer = next(e.reply.json() for e in ups.exchanges if "/rating/" in e.target)
    parsed = old.parse_rate_response(answer, settings, shipment)
    assert [r.service_code for r in parsed] == [r.service_code for r in rates]
    with pytest.warns(DeprecationWarning, match="tokens_fetched"):
        assert client.proxy.token_fetches == client.tokens_fetched == 1


def test_spec_files_are_not_copied_into_the_package() -> None:
    root = Path(__file__).resolve().parent.parent
    assert not list((root / "carriers" / "ups").glob("*.yaml"))
    assert not list((root / "onebalance" / "sandbox" / "ups").glob("*.yaml"))


def test_control_api_over_http_drives_a_served_sandbox(shipment: ShipmentRequest) -> None:
    """A harness in any language: make an app, buy through it, list shipments, move the clock, expire tokens."""
    import requests

    from onebalance.sandbox.ups import CONTROL_PREFIX

    sandbox = UpsSandbox()
    with sandbox.serve() as server:
        control = f"{server.url}{CONTROL_PREFIX}"

        def post(action: str, body: Any = None, **kwargs: Any) -> requests.Response:
            return requests.post(control + action, json=body if body is not None else {}, timeout=5, **kwargs)

        made = post("account", {"shipper_numbers": ["Z9Y8X7"]})
        assert made.status_code == 201
        app = made.json()
        assert app["shipper_numbers"] == ["Z9Y8X7"] and app["client_id"] and app["client_secret"]
        client = UpsClient(UpsSettings(client_id=app["client_id"], client_secret=app["client_secret"],
                                       account_number="Z9Y8X7", base_url=server.url))  # fmt: skip
        label = client.buy(cheapest(client.rates(shipment)), shipment, "ctl-1")
        listed = post("shipments", {"shipper_number": "Z9Y8X7"}).json()["shipments"]
        assert [s["tracking_numbers"] for s in listed] == [[label.tracking_number]]
        assert Decimal(listed[0]["total"]) == label.cost.amount and listed[0]["voided"] is False
        assert post("shipments", {"shipper_number": "A0A0A0"}).json()["shipments"] == []
        assert label.tracking_number is not None
        assert client.track(label.tracking_number).status is TrackingStatus.PRE_TRANSIT
        moved = post("advance", {"seconds": 7 * 86400})
        assert moved.status_code == 200 and moved.json()["now"] > label.created_at.isoformat()
        assert client.track(label.tracking_number).status is TrackingStatus.DELIVERED
        token_path = "/security/v1/oauth/token"
        fetched = sum(p == token_path for _, p in post("requests").json()["requests"])
        assert post("expire-tokens", {"client_id": app["client_id"]}).json()["expired"] >= 1
        client.rates(shipment)  # a new token, fetched on the 401
        seen = post("requests").json()["requests"]
        assert sum(p == token_path for _, p in seen) == fetched + 1
        assert not [p for _, p in seen if p.startswith(CONTROL_PREFIX)]  # control calls are not listed
        # Refusals, in UPS's own error shape; nothing changes.
        for action, body, status in (
            ("account", {"shipper_numbers": ["short"]}, 400),
            ("account", {"client_id": app["client_id"]}, 400),
            ("advance", {"seconds": -1}, 400),
            ("advance", {"seconds": "soon"}, 400),
            ("expire-tokens", {"client_id": 5}, 400),
            ("set_surcharge", {"amount": "-1.00"}, 400),
            ("set_surcharge", {"amount": "lots"}, 400),
            ("nothing", {}, 404),
        ):
            refused = post(action, body)
            assert refused.status_code == status, (action, body)
            assert refused.json()["response"]["errors"][0]["message"]
        not_json = requests.post(control + "advance", data=b"{", timeout=5)
        assert not_json.status_code == 400
        assert requests.get(control + "shipments", timeout=5).status_code == 405  # as on every control API
        assert len(sandbox.shipments()) == 1 and len(sandbox.state.accounts) == 1
        # A surcharge billed above the rate from now on (an additional handling charge).
        assert post("set_surcharge", {"amount": "4.20"}).json() == {"ok": True, "result": None}
        rate = cheapest(client.rates(shipment))
        surcharged = client.buy(rate, shipment, "ctl-2")
        assert surcharged.cost.amount == rate.total.amount + Decimal("4.20") and surcharged.quoted_cost == rate.total


def test_a_charge_above_the_rate_is_on_the_label_and_a_rate_is_bought_only_for_its_shipment(
    ups: Ups, shipment: ShipmentRequest
) -> None:
    """UPS bills the shipment it is sent, not the rate: a rate for 2.5 lb is refused for 40 lb before
    anything is sent, and a surcharge billed above the rate (an additional handling charge, set
    in the sandbox) shows on the label beside the quote."""
    from carriers import Money
    from onebalance import RateMismatch

    client = ups.client()
    rate = cheapest(client.rates(shipment))
    heavier = shipment.model_copy(update={"parcels": [shipment.parcels[0].model_copy(update={"weight": Weight(40)})]})
    with pytest.raises(RateMismatch) as caught:
        client.buy(rate, heavier, "surcharged-1")
    assert caught.value.differences == ("parcels.0.weight",)
    assert not [p for p in ups.paths() if p[1].endswith("/ship")]
    ups.sandbox.set_surcharge("4.20")  # over HTTP: test_control_api_over_http_drives_a_served_sandbox
    label = client.buy(rate, shipment, "surcharged-1")
    assert label.quoted_cost == rate.total and label.cost == rate.total + Money("4.20")
    assert label.above_quote == Money("4.20")
    # The mapping sets the quote (no copy); a label without it gets it from with_quote, the same label.
    from onebalance.shipments import with_quote

    plain = label.model_copy(update={"quoted_cost": None})
    assert plain.quoted_cost is None and with_quote(plain, rate) == label == with_quote(label, rate)
    assert with_quote(label, rate) is label
    [made] = ups.sandbox.shipments()
    assert made.total == label.cost.amount
    with pytest.raises(ValueError, match="negative"):
        ups.sandbox.set_surcharge("-1")


def test_a_rest_request_is_a_frozen_value_made_by_its_own_init() -> None:
    """``Request.__init__`` (one write instead of a frozen dataclass's one per field) takes the
    fields in their order; the request stays a frozen, comparable value whose repr hides the secrets."""
    import dataclasses
    import inspect

    from onebalance.carriers._rest._request import Request

    assert list(inspect.signature(Request).parameters) == [f.name for f in dataclasses.fields(Request)]
    token = Request("token", "POST", "/t", form={"grant_type": "x"}, headers={"h": "v"}, auth=("id", "secret"))
    assert (token.operation, token.method, token.path, token.payload) == ("token", "POST", "/t", None)
    assert token.form == {"grant_type": "x"} and token.headers == {"h": "v"} and token.auth == ("id", "secret")
    assert "secret" not in repr(token) and "grant_type" not in repr(token)
    ship = Request("ship", "POST", "/s", {"a": 1}, repeat_refused=bool)
    assert dict(ship.headers) == {} and ship.repeat_refused is bool and ship.form is None and ship.auth is None
    assert ship == Request("ship", "POST", "/s", {"a": 1}) and dataclasses.replace(ship, path="/v").path == "/v"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ship.path = "/elsewhere"  # type: ignore[misc]
