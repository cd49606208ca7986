"""FedEx: the client (settings, pure mapping, proxy) against the FedEx sandbox, mounted in-process
(``responses``) and as a real HTTP server.

Every request the client sends and every response the sandbox returns is validated against the
real FedEx OpenAPI specs in ../shared/specs/fedex (the operation's request/response schema, $refs
resolved in the spec); the check is skipped, with the reason, when the specs are absent.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from carriers import (
    Address,
    Carrier,
    CarrierAccountPayment,
    LabelSpec,
    Parcel,
    ShipmentRequest,
    TrackingStatus,
    Weight,
    cheapest,
    fastest,
)
from carriers.fedex import FedexClient, FedexSettings
from onebalance import (
    AuthenticationFailed,
    ConfigurationError,
    LabelFormatUnavailable,
    OneBalanceError,
    ProtocolError,
    RetryPolicy,
    Service,
    UnknownFault,
    ValidationError,
)
from onebalance.sandbox.fedex import FedexSandbox, FedexSandboxCredentials
from onebalance.shipments import _recent as recent

from ._images import check_image

SPECS = Path(__file__).resolve().parent.parent.parent / "shared" / "specs" / "fedex"
SPECS_MISSING = f"the FedEx OpenAPI specs are not at {SPECS} (../shared/specs/fedex beside the repository)"
#: operation → (spec file, path in the spec, method)
OPERATIONS = {
    "POST /rate/v1/rates/quotes": ("rate-api.json", "/rate/v1/rates/quotes", "post"),
    "POST /ship/v1/shipments": ("ship-api.json", "/ship/v1/shipments", "post"),
    "PUT /ship/v1/shipments/cancel": ("ship-api.json", "/ship/v1/shipments/cancel", "put"),
    "POST /track/v1/trackingnumbers": ("track-api.json", "/track/v1/trackingnumbers", "post"),
    "POST /track/v1/trackingdocuments": ("track-api.json", "/track/v1/trackingdocuments", "post"),
}


# -- conformance against the real specs ---------------------------------------------------------------
class FedexSpecs:
    """The three FedEx OpenAPI documents in one ``referencing`` registry, validating by operation."""

    def __init__(self, folder: Path) -> None:
        from jsonschema import Draft4Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.registry: Any = Registry()
        self.docs: dict[str, Any] = {}
        for name in ("rate-api.json", "ship-api.json", "track-api.json"):
            doc = json.loads((folder / name).read_text())
            self.docs[name] = doc
            resource = Resource.from_contents(doc, default_specification=DRAFT4)
            self.registry = self.registry.with_resource(f"urn:fedex:{name}", resource)
        self._validator = Draft4Validator
        self._cache: dict[str, Any] = {}

    def _validator_for(self, spec: str, pointer: str) -> Any:
        key = f"urn:fedex:{spec}#{pointer}"
        if key not in self._cache:
            self._cache[key] = self._validator({"$ref": key}, registry=self.registry)
        return self._cache[key]

    @staticmethod
    def _escape(path: str) -> str:
        return path.replace("~", "~0").replace("/", "~1")

    def errors(self, operation: str, status: int | None, body: Any) -> list[str]:
        spec, path, method = OPERATIONS[operation]
        op = self.docs[spec]["paths"][path][method]
        base = f"/paths/{self._escape(path)}/{method}"
        if status is None:
            pointer = f"{base}/requestBody/content/application~1json/schema"
        else:
            if str(status) not in op["responses"]:
                return [f"status {status} is not a documented response"]
            pointer = f"{base}/responses/{status}/content/application~1json/schema"
        return self._check(spec, pointer, body)

    def _check(self, spec: str, pointer: str, body: Any) -> list[str]:
        """Errors against the schema at ``pointer``. A top-level ``oneOf`` of overlapping sample payloads
        (the Rate spec lists its full schema beside examples that are subsets of it, so every
        request matches several) is read as ``anyOf``: valid under one alternative is valid."""
        node: Any = self.docs[spec]
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if isinstance(node, dict) and list(node) == ["$ref"] and node["$ref"].startswith("#/"):
            return self._check(spec, node["$ref"].lstrip("#"), body)
        alternatives = node.get("oneOf") if isinstance(node, dict) else None
        if alternatives and len(alternatives) > 1 and all("$ref" in a for a in alternatives):
            results = [self._check(spec, a["$ref"].lstrip("#"), body) for a in alternatives]
            return min(results, key=len)
        validator = self._validator_for(spec, pointer)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(body)]


_specs_cache: list[FedexSpecs | None] = []


def load_specs() -> FedexSpecs | None:
    if not _specs_cache:
        _specs_cache.append(FedexSpecs(SPECS) if (SPECS / "ship-api.json").exists() else None)
    return _specs_cache[0]


@dataclass
class Exchanges:
    """What the sandbox saw: (direction, operation, status, body)."""

    log: list[tuple[str, str, int | None, Any]] = field(default_factory=list)
    #: Requests a test breaks on purpose are not checked (their error responses still are).
    deliberate: bool = False

    def __call__(self, direction: str, operation: str, status: int | None, body: Any) -> None:
        if direction == "request" and self.deliberate:
            direction = "deliberate request"
        self.log.append((direction, operation, status, body))

    def statuses(self, operation: str) -> list[int]:
        return [s for d, op, s, _ in self.log if d == "response" and op == operation and s is not None]


@pytest.fixture
def exchanges() -> Iterator[Exchanges]:
    seen = Exchanges()
    yield seen
    specs = load_specs()
    if specs is None:
        return
    problems = []
    for direction, operation, status, body in seen.log:
        if operation in OPERATIONS and direction in ("request", "response"):
            for error in specs.errors(operation, status, body):
                problems.append(f"{direction} {operation} {status or ''}: {error}")
    assert not problems, "exchanges that break the FedEx OpenAPI specs:\n" + "\n".join(problems[:20])


# -- fixtures -----------------------------------------------------------------------------------------
@dataclass
class Fedex:
    sandbox: FedexSandbox
    creds: FedexSandboxCredentials
    url: str
    client: FedexClient
    seen: Exchanges

    def client_for(self, **changes: Any) -> FedexClient:
        data = {
            "client_id": self.creds.client_id,
            "client_secret": self.creds.client_secret,
            "account_number": self.creds.account_number,
            "base_url": self.url,
            **changes,
        }
        return FedexClient(FedexSettings(**data))


@pytest.fixture(params=["mock", "serve"])
def fedex(request: pytest.FixtureRequest, exchanges: Exchanges) -> Iterator[Fedex]:
    sandbox = FedexSandbox(observers=[exchanges])
    creds = sandbox.create_account(account_number="740561073")
    if request.param == "mock":
        with sandbox.mock() as url, FedexClient(creds.settings(url)) as client:
            yield Fedex(sandbox, creds, url, client, exchanges)
    else:
        with sandbox.serve() as server, FedexClient(creds.settings(server.url)) as client:
            yield Fedex(sandbox, creds, server.url, client, exchanges)


def shipment(**changes: Any) -> ShipmentRequest:
    data: dict[str, Any] = {
        "shipper": Address(name="Acme Shipping", street_lines=["1 Main St"], city="Springfield", state="IL",
                           postal_code="62701", phone="217-555-0100"),
        "recipient": Address(name="Jane Doe", street_lines="9 Elm St", city="Austin", state="TX",
                             postal_code="78701", phone="512 555 0199"),
        "parcels": [Parcel(weight=Weight("2.5", "lb"))],
        "ship_date": date.today(),
    }  # fmt: skip
    data.update(changes)
    return ShipmentRequest(**data)


SERVICES = {"FEDEX_GROUND", "FEDEX_2_DAY", "STANDARD_OVERNIGHT", "PRIORITY_OVERNIGHT"}


# -- settings -----------------------------------------------------------------------------------------
def test_settings_refuse_bad_values_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError, match="9 digits"):
        FedexSettings(client_id="id", client_secret="s3cr3t-value", account_number="12345")
    with pytest.raises(ConfigurationError, match="https"):
        FedexSettings(client_id="id", client_secret="s", account_number="740561073", base_url="http://fedex.com")
    with pytest.raises(ConfigurationError) as caught:
        FedexSettings(client_id="id", client_secret="", account_number="740561073")
    assert "s3cr3t" not in repr(caught.value)
    settings = FedexSettings(client_id="id", client_secret="s3cr3t-value", account_number="7405-6107-3")
    assert settings.account_number == "740561073"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings)
    assert "740561073" not in repr(settings)


# -- OAuth --------------------------------------------------------------------------------------------
def test_token_is_fetched_once_and_cached(fedex: Fedex) -> None:
    for _ in range(3):
        fedex.client.rates(shipment())
    assert fedex.client.tokens_fetched == 1
    assert fedex.sandbox.tokens_issued == 1


def test_token_is_refreshed_before_it_expires(fedex: Fedex) -> None:
    now = [1000.0]
    client = FedexClient(fedex.creds.settings(fedex.url), clock=lambda: now[0])
    client.rates(shipment())
    now[0] += 3600 - 600  # well inside the token's life: cached
    client.rates(shipment())
    assert client.tokens_fetched == 1
    now[0] += 400  # within five minutes of expiry: fetched again before FedEx would refuse it
    client.rates(shipment())
    assert client.tokens_fetched == 2
    assert 401 not in fedex.seen.statuses("POST /rate/v1/rates/quotes")


def test_expired_token_is_replaced_and_the_call_retried_once(fedex: Fedex) -> None:
    fedex.client.rates(shipment())
    fedex.sandbox.advance_clock(timedelta(hours=2))  # the sandbox's tokens are now expired
    rates = fedex.client.rates(shipment())
    assert rates
    assert fedex.client.tokens_fetched == 2
    assert fedex.seen.statuses("POST /rate/v1/rates/quotes") == [200, 401, 200]
    assert fedex.sandbox.expire_tokens() == 1
    fedex.client.track(fedex.client.buy(rates[0], shipment(), "retry-1").tracking_number or "")
    assert fedex.client.tokens_fetched == 3


def test_a_second_401_is_not_retried_again() -> None:
    settings = FedexSettings(client_id="id", client_secret="secret-xyz", account_number="740561073",
                             base_url="https://fedex.example.test")  # fmt: skip
    unauthorized = {
        "transactionId": "t-1",
        "errors": [{"code": "NOT.AUTHORIZED.ERROR", "message": "Access token expired."}],
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        token = mock.post(
            "https://fedex.example.test/oauth/token", json={"access_token": "tok-abc", "expires_in": 3600}
        )
        rate = mock.post("https://fedex.example.test/rate/v1/rates/quotes", status=401, json=unauthorized)
        with pytest.raises(AuthenticationFailed) as caught:
            FedexClient(settings).rates(shipment())
    assert token.call_count == 2 and rate.call_count == 2
    assert caught.value.code == "NOT.AUTHORIZED.ERROR" and caught.value.http_status == 401
    assert caught.value.transaction_id == "t-1"
    sent = token.calls[0].request.body
    assert "grant_type=client_credentials" in sent and "client_secret=secret-xyz" in sent


def test_wrong_credentials_are_refused(fedex: Fedex) -> None:
    client = fedex.client_for(client_secret="not-the-secret")
    with pytest.raises(AuthenticationFailed) as caught:
        client.rates(shipment())
    assert caught.value.code == "NOT.AUTHORIZED.ERROR" and caught.value.operation == "oauth"
    assert caught.value.source is Service.FEDEX  # FedEx refused them, not the One Balance
    assert "not-the-secret" not in repr(caught.value) + str(caught.value)


# -- rates --------------------------------------------------------------------------------------------
def test_rates_for_every_service_billed_to_the_account(fedex: Fedex) -> None:
    rates = fedex.client.rates(shipment())
    assert {r.service_code for r in rates} == SERVICES
    for rate in rates:
        assert rate.carrier is Carrier.FEDEX
        assert rate.payment == CarrierAccountPayment(Carrier.FEDEX, "740561073")
        assert rate.total.currency == "USD" and rate.total.amount > 0
        assert rate.base is not None and rate.base < rate.total
        assert rate.data["service_type"] == rate.service_code
    assert cheapest(rates).service_code == "FEDEX_GROUND"
    assert fastest(rates).delivery_days == 1
    assert {r.service_code: r.delivery_days for r in rates}["FEDEX_2_DAY"] == 2


def test_rates_are_deterministic_by_weight_and_distance(fedex: Fedex) -> None:
    def ground(request: ShipmentRequest) -> Any:
        return fedex.client.rates(request)[0].total

    light = ground(shipment(service="FEDEX_GROUND"))
    assert ground(shipment(service="FEDEX_GROUND")) == light
    heavy = ground(shipment(service="FEDEX_GROUND", parcels=[Parcel(weight=Weight(20, "lb"))]))
    near = Address(name="Next Door", street_lines="2 Main St", city="Chicago", state="IL", postal_code="60601")
    closer = ground(shipment(service="FEDEX_GROUND", recipient=near))
    assert heavy > light > closer
    assert [r.service_code for r in fedex.client.rates(shipment(service="FEDEX_2_DAY"))] == ["FEDEX_2_DAY"]


def test_an_account_that_is_not_the_credentials_is_refused(fedex: Fedex) -> None:
    stranger = fedex.client_for(account_number="123456789")
    with pytest.raises(ValidationError) as caught:
        stranger.rates(shipment())
    assert caught.value.code == "SHIPMENT.ACCOUNTNUMBER.UNAUTHORIZED"
    assert caught.value.http_status == 403 and caught.value.field == "account_number"
    rate = fedex.client.rates(shipment())[0]
    assert caught.value.source is Service.FEDEX
    with pytest.raises(ValidationError, match="another FedEx account") as refused:
        stranger.buy(rate, shipment(), "stranger-1")
    assert refused.value.source is None  # the SDK's own refusal: nothing was sent
    foreign = rate.model_copy(update={"payment": CarrierAccountPayment(Carrier.FEDEX, "123456789")})
    with pytest.raises(ValidationError) as caught:
        stranger.buy(foreign, shipment(), "stranger-2")
    assert caught.value.code == "SHIPMENT.ACCOUNTNUMBER.UNAUTHORIZED"
    assert fedex.sandbox.shipments() == []


# -- buy ----------------------------------------------------------------------------------------------
def test_buy_bills_the_senders_account_and_decodes_the_label(fedex: Fedex) -> None:
    rate = next(r for r in fedex.client.rates(shipment()) if r.service_code == "FEDEX_2_DAY")
    label = fedex.client.buy(rate, shipment(), "order-1042")
    assert label.carrier is Carrier.FEDEX and label.service_code == "FEDEX_2_DAY"
    assert label.paid_by == CarrierAccountPayment(Carrier.FEDEX, "740561073")
    assert label.cost == rate.total
    assert label.label_format == "PNG" and label.label_image.startswith(b"\x89PNG")
    assert label.tracking_number and label.carrier_reference == label.tracking_number
    sent = next(b for d, op, _, b in fedex.seen.log if d == "request" and op == "POST /ship/v1/shipments")
    payment = sent["requestedShipment"]["shippingChargesPayment"]
    assert payment == {
        "paymentType": "SENDER",
        "payor": {"responsibleParty": {"accountNumber": {"value": "740561073"}}},
    }
    assert sent["accountNumber"] == {"value": "740561073"} and sent["labelResponseOptions"] == "LABEL"
    [made] = fedex.sandbox.shipments()
    assert made.customer_transaction_id == "order-1042" and made.account_number == "740561073"
    no_phone = Address(name="Jane Doe", street_lines="9 Elm St", city="Austin", state="TX", postal_code="78701")
    unreachable = shipment(recipient=no_phone)
    with pytest.raises(ValidationError) as caught:
        fedex.client.buy(fedex.client.rates(unreachable)[0], unreachable, "no-phone")
    assert caught.value.field == "recipient.phone"


@pytest.mark.parametrize(
    ("spec", "image_type", "stock_type"),
    [
        (None, "PNG", "PAPER_4X6"),
        (LabelSpec(format="PDF"), "PDF", "PAPER_4X6"),
        (LabelSpec(format="pdf", size="letter"), "PDF", "PAPER_LETTER"),
        (LabelSpec(format="ZPL", size="4x6"), "ZPLII", "STOCK_4X6"),
        (LabelSpec(format="EPL"), "EPL2", "STOCK_4X6"),
    ],
)
def test_every_label_image_is_the_format_the_sandbox_claims(
    fedex: Fedex, spec: LabelSpec | None, image_type: str, stock_type: str
) -> None:
    """The sandbox's "PNG" used to be the PNG magic followed by text: no viewer could open it; an EPL2
    label used to be called PNG, and ZPL was asked on paper stock."""
    rate = next(r for r in fedex.client.rates(shipment()) if r.service_code == "FEDEX_GROUND")
    label = fedex.client.buy(rate, shipment(), f"image-{image_type}", label_spec=spec)
    sent = next(b for d, op, _, b in fedex.seen.log if d == "request" and op == "POST /ship/v1/shipments")
    assert sent["requestedShipment"]["labelSpecification"] == {"imageType": image_type, "labelStockType": stock_type}
    answer = next(b for d, op, _, b in fedex.seen.log if d == "response" and op == "POST /ship/v1/shipments")
    [document] = answer["output"]["transactionShipments"][0]["pieceResponses"][0]["packageDocuments"]
    assert document["docType"] == image_type
    assert base64.b64decode(document["encodedLabel"]) == label.label_image
    assert label.label_size == (spec.size if spec and spec.size else "4x6")
    check_image(label.label_format, label.label_image)
    check_image(image_type, label.label_image)
    if stock_type == "PAPER_LETTER":
        assert b"/MediaBox [0 0 612 792]" in label.label_image


@pytest.mark.parametrize(("spec", "field"), [(LabelSpec(format="GIF"), "label_format"),
                         (LabelSpec(format="PNG", size="letter"), "label_size"),
                         (LabelSpec(format="ZPL", size="letter"), "label_size")])  # fmt: skip
def test_a_format_or_size_fedex_does_not_print_is_refused_before_anything_is_sent(
    fedex: Fedex, spec: LabelSpec, field: str
) -> None:
    rate = fedex.client.rates(shipment())[0]
    with pytest.raises(LabelFormatUnavailable) as refused:
        fedex.client.buy(rate, shipment(), "k", label_spec=spec)
    assert refused.value.field == field and refused.value.carrier is Carrier.FEDEX
    assert LabelSpec(format="PDF", size="letter") in refused.value.offered
    assert fedex.seen.statuses("POST /ship/v1/shipments") == [] and fedex.sandbox.shipments() == []


@pytest.mark.parametrize(("image_type", "stock_type"), [("ZPLII", "PAPER_4X6"), ("PDF", "STOCK_4X6"),
                         ("GIF", "PAPER_4X6")])  # fmt: skip
def test_the_sandbox_refuses_a_label_fedex_refuses(fedex: Fedex, image_type: str, stock_type: str) -> None:
    rate = fedex.client.rates(shipment())[0]
    fedex.client.buy(rate, shipment(), "label-1")
    sent = next(b for d, op, _, b in fedex.seen.log if d == "request" and op == "POST /ship/v1/shipments")
    payload = copy.deepcopy(sent)
    payload["requestedShipment"]["labelSpecification"] = {"imageType": image_type, "labelStockType": stock_type}
    fedex.seen.deliberate = True  # GIF is not an imageType of the spec
    with pytest.raises(ValidationError) as caught:
        fedex.client.proxy.call("ship", "POST", "/ship/v1/shipments", payload, idempotency_key="label-2")
    assert caught.value.code in ("LABEL.STOCKTYPE.INVALID", "LABEL.IMAGETYPE.INVALID")
    assert caught.value.source is Service.FEDEX and len(fedex.sandbox.shipments()) == 1


def test_a_payor_other_than_the_shipper_is_refused_by_the_sandbox(fedex: Fedex) -> None:
    rate = fedex.client.rates(shipment())[0]
    fedex.client.buy(rate, shipment(), "payor-1")
    sent = next(b for d, op, _, b in fedex.seen.log if d == "request" and op == "POST /ship/v1/shipments")
    payload = copy.deepcopy(sent)
    payload["requestedShipment"]["shippingChargesPayment"]["payor"]["responsibleParty"]["accountNumber"]["value"] = (
        "999999999"
    )
    token = fedex.client.proxy.token().access_token
    fedex.seen.deliberate = True
    with pytest.raises(ValidationError) as caught:  # through the proxy: FedEx's refusal as the SDK's error
        fedex.client.proxy.call("ship", "POST", "/ship/v1/shipments", payload, idempotency_key="payor-2")
    assert caught.value.code == "ACCOUNT.NUMBER.MISMATCH" and caught.value.field == "account_number"
    assert caught.value.source is Service.FEDEX
    payload["requestedShipment"]["shippingChargesPayment"] = {"paymentType": "RECIPIENT"}
    reply = fedex.sandbox.handle(
        "POST", "/ship/v1/shipments", {"Authorization": f"Bearer {token}"}, json.dumps(payload).encode()
    )
    assert reply.status == 400 and reply.json()["errors"][0]["code"] == "PAYMENTTYPE.NOT.SUPPORTED"
    del payload["requestedShipment"]["shippingChargesPayment"]
    reply = fedex.sandbox.handle("POST", "/ship/v1/shipments", {"Authorization": f"Bearer {token}"},
                                 json.dumps(payload).encode())  # fmt: skip
    assert reply.status == 400 and "shippingChargesPayment" in reply.json()["errors"][0]["message"]
    assert len(fedex.sandbox.shipments()) == 1  # the first label only


def test_buy_is_idempotent_in_the_client_and_in_the_sandbox(fedex: Fedex) -> None:
    rate = fedex.client.rates(shipment())[0]
    first = fedex.client.buy(rate, shipment(), "order-7")
    assert fedex.client.buy(rate, shipment(), "order-7") is first
    assert fedex.seen.statuses("POST /ship/v1/shipments") == [200]
    # a new client (a restarted process) with the same key: FedEx-side dedupe by transaction id
    again = fedex.client_for().buy(rate, shipment(), "order-7")
    assert again.tracking_number == first.tracking_number and again.label_image == first.label_image
    assert len(fedex.sandbox.shipments()) == 1
    other = fedex.client.buy(rate, shipment(idempotency_key="order-8"), None)
    assert other.tracking_number != first.tracking_number
    assert len(fedex.sandbox.shipments()) == 2


def test_the_labels_a_client_keeps_stay_bounded(fedex: Fedex, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long-lived client keeps only its latest labels; a key within them is still bought once."""
    assert recent.RECENT_LABELS == 1024 and fedex.client._purchases.labels.size == 1024  # the default
    monkeypatch.setattr(recent, "RECENT_LABELS", 3)
    client = fedex.client_for()
    rate = client.rates(shipment())[0]
    first = {key: client.buy(rate, shipment(), key) for key in (f"order-{n}" for n in range(8))}
    assert len(client._purchases.labels) == 3 and not client._purchases._locks  # no pile-up
    assert len(fedex.seen.statuses("POST /ship/v1/shipments")) == 8
    for key in ("order-7", "order-5", "order-7"):  # within the latest three: no second request
        assert client.buy(rate, shipment(), key) is first[key]
    assert len(fedex.seen.statuses("POST /ship/v1/shipments")) == 8
    again = client.buy(rate, shipment(), "order-0")  # forgotten here: sent again (the sandbox dedupes it)
    assert len(fedex.seen.statuses("POST /ship/v1/shipments")) == 9
    assert again.tracking_number == first["order-0"].tracking_number
    assert len(client._purchases.labels) == 3


# -- cancel -------------------------------------------------------------------------------------------
def test_cancel_voids_once_and_not_after_pickup(fedex: Fedex) -> None:
    rate = fedex.client.rates(shipment())[0]
    label = fedex.client.buy(rate, shipment(), "to-cancel")
    result = fedex.client.void(label)
    assert result.voided and result.refund is None and result.tracking_number == label.tracking_number
    assert not fedex.client.void(label).voided
    assert fedex.client.track(label.tracking_number or "").status is TrackingStatus.VOIDED
    picked_up = fedex.client.buy(rate, shipment(), "picked-up")
    fedex.sandbox.advance_clock(timedelta(hours=3))
    assert not fedex.client.void(picked_up).voided
    unknown = picked_up.model_copy(update={"tracking_number": "794699999999", "carrier_reference": "794699999999"})
    with pytest.raises(UnknownFault) as caught:
        fedex.client.void(unknown)
    assert caught.value.http_status == 404 and caught.value.code == "TRACKINGNUMBER.NOTFOUND"


# -- tracking -----------------------------------------------------------------------------------------
def test_tracking_moves_with_the_sandbox_clock(fedex: Fedex) -> None:
    rate = next(r for r in fedex.client.rates(shipment()) if r.service_code == "FEDEX_2_DAY")
    label = fedex.client.buy(rate, shipment(), "track-me")
    number = label.tracking_number or ""
    tracking = fedex.client.track(number)
    assert tracking.status is TrackingStatus.PRE_TRANSIT and len(tracking.events) == 1
    assert tracking.estimated_delivery is not None
    fedex.sandbox.advance_clock(timedelta(hours=7))
    tracking = fedex.client.track(number)
    assert tracking.status is TrackingStatus.IN_TRANSIT
    assert tracking.latest is not None and tracking.latest.city == "Springfield"
    fedex.sandbox.advance_clock(timedelta(days=2))
    tracking = fedex.client.track(number)
    assert tracking.status is TrackingStatus.DELIVERED and tracking.delivered_at is not None
    assert [e.status for e in tracking.events][:2] == [TrackingStatus.DELIVERED, TrackingStatus.OUT_FOR_DELIVERY]
    assert tracking.events[0].city == "Austin" and tracking.events[0].occurred_at.tzinfo is not None


def test_tracking_a_cancelled_shipment_says_it_was_voided(fedex: Fedex) -> None:
    rate = next(r for r in fedex.client.rates(shipment()) if r.service_code == "FEDEX_2_DAY")
    label = fedex.client.buy(rate, shipment(), "track-void")
    assert fedex.client.void(label).voided
    tracking = fedex.client.track(label.tracking_number or "")
    assert tracking.status is TrackingStatus.VOIDED and tracking.status.is_final
    assert tracking.events[0].description == "Shipment cancelled by sender"
    assert tracking.estimated_delivery is None  # a cancelled shipment is expected nowhere


def test_unknown_tracking_number_is_a_typed_error(fedex: Fedex) -> None:
    with pytest.raises(UnknownFault) as caught:
        fedex.client.track("794600000999")
    assert caught.value.code == "TRACKING.TRACKINGNUMBER.NOTFOUND" and caught.value.http_status == 200


# -- the sandbox's own checks -------------------------------------------------------------------------
def test_sandbox_refuses_requests_as_fedex_does(fedex: Fedex) -> None:
    fedex.seen.deliberate = True
    reply = fedex.sandbox.handle("POST", "/rate/v1/rates/quotes", {"x-customer-transaction-id": "c-1"}, b"{}")
    body = reply.json()
    assert reply.status == 401 and body["errors"][0]["code"] == "NOT.AUTHORIZED.ERROR"
    assert body["customerTransactionId"] == "c-1" and body["transactionId"]
    token = fedex.client.proxy.token().access_token
    auth = {"Authorization": f"Bearer {token}"}
    reply = fedex.sandbox.handle("POST", "/rate/v1/rates/quotes", auth, b'{"accountNumber": {"value": "12"}}')
    assert reply.status == 400 and reply.json()["errors"][0]["code"] == "ACCOUNTNUMBER.REGISTRATION.REQUIRED"
    reply = fedex.sandbox.handle("POST", "/track/v1/trackingnumbers", auth, b'{"includeDetailedScans": true}')
    assert reply.status == 400 and reply.json()["errors"][0]["code"] == "TRACKING.TRACKINGNUMBER.EMPTY"
    reply = fedex.sandbox.handle("POST", "/nope", auth, b"{}")
    assert reply.status == 404 and reply.json()["errors"][0]["code"] == "NOT.FOUND.ERROR"


def test_control_api_over_http(fedex: Fedex) -> None:
    import requests

    made = requests.post(f"{fedex.url}/sandbox/control/credentials", json={"account_number": "510087020"}, timeout=5)
    assert made.status_code == 201
    data = made.json()
    client = fedex.client_for(client_id=data["client_id"], client_secret=data["client_secret"],
                              account_number="510087020")  # fmt: skip
    assert client.rates(shipment())[0].payment == CarrierAccountPayment(Carrier.FEDEX, "510087020")
    expired = requests.post(f"{fedex.url}/sandbox/control/expire-tokens", json={}, timeout=5)
    assert expired.json() == {"expired": 1}
    moved = requests.post(f"{fedex.url}/sandbox/control/advance", json={"seconds": 60}, timeout=5)
    assert moved.status_code == 200


# -- errors and secrets -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "ACCOUNT.NUMBER.MISMATCH", ValidationError),
        (400, "SHIPPER.POSTALCODE.INVALID", ValidationError),
        (401, "NOT.AUTHORIZED.ERROR", AuthenticationFailed),
        (403, "FORBIDDEN.ERROR", AuthenticationFailed),
        (404, "NOT.FOUND.ERROR", UnknownFault),
        (500, "INTERNAL.SERVER.ERROR", UnknownFault),
        (503, "SERVICE.UNAVAILABLE.ERROR", UnknownFault),
    ],
)
def test_fedex_errors_map_to_the_sdks(status: int, code: str, expected: type[Exception]) -> None:
    settings = FedexSettings(client_id="id", client_secret="s", account_number="740561073",
                             base_url="https://fedex.example.test")  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.post("https://fedex.example.test/oauth/token", json={"access_token": "tok-abc", "expires_in": 3600})
        answer = {"transactionId": "tx", "errors": [{"code": code, "message": "m"}]}
        mock.post("https://fedex.example.test/rate/v1/rates/quotes", status=status, json=answer)
        with pytest.raises(expected) as caught:
            FedexClient(settings, retry=RetryPolicy.none()).rates(shipment())
    error = caught.value
    assert type(error) is expected and isinstance(error, OneBalanceError)
    assert error.code == code and error.http_status == status and error.transaction_id == "tx"
    assert error.source is Service.FEDEX and error.operation == "rate"


def test_a_body_that_is_not_json_is_a_protocol_error() -> None:
    settings = FedexSettings(client_id="id", client_secret="s", account_number="740561073",
                             base_url="https://fedex.example.test")  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.post("https://fedex.example.test/oauth/token", body="<html>busy</html>", status=503)
        with pytest.raises(ProtocolError) as caught:
            FedexClient(settings, retry=RetryPolicy.none()).rates(shipment())  # retries: tests/test_retry.py
    assert caught.value.source is None  # no answer FedEx refused with: the SDK's own, as for the One Balance


def test_secret_and_token_never_in_logs_or_reprs(fedex: Fedex, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rate = fedex.client.rates(shipment())[0]
    label = fedex.client.buy(rate, shipment(), "secret-check")
    fedex.client.track(label.tracking_number or "")
    fedex.client.void(label)
    fedex.sandbox.expire_tokens()
    fedex.client.rates(shipment())
    tokens = list(fedex.sandbox.state.tokens)
    assert len(tokens) == 2
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "operation=ship" in text  # the log is there, just not the secrets
    assert "fedex operation=ship request={" in text  # bodies are logged at DEBUG, redacted
    encoded_label = base64.b64encode(label.label_image).decode()
    for secret in [fedex.creds.client_secret, *tokens, encoded_label]:
        assert secret not in text
    shown = " ".join(
        repr(x) for x in (fedex.client, fedex.client.settings, fedex.client.proxy, fedex.creds, label, rate)
    )
    for secret in [fedex.creds.client_secret, *tokens]:
        assert secret not in shown
    assert "<" in repr(label) and "bytes>" in repr(label)


def test_spec_validator_catches_a_bad_request() -> None:
    specs = load_specs()
    if specs is None:
        pytest.skip(SPECS_MISSING)
    assert specs.errors("POST /ship/v1/shipments", None, {"requestedShipment": {}})
    assert specs.errors("POST /track/v1/trackingnumbers", None, {"trackingInfo": "x"})
    asked = {"includeDetailedScans": True, "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": "7946000001"}}]}
    assert not specs.errors("POST /track/v1/trackingnumbers", None, asked)
    assert specs.errors("POST /rate/v1/rates/quotes", 200, {"output": {"rateReplyDetails": "none"}})
    assert specs.errors("PUT /ship/v1/shipments/cancel", 401, {"errors": "expired"})
    assert specs.errors("POST /ship/v1/shipments", 418, {})


def test_closed_client_refuses_calls(fedex: Fedex) -> None:
    from onebalance import ClientClosed

    client: Callable[..., Any] = fedex.client_for
    closed = client()
    closed.close()
    with pytest.raises(ClientClosed):
        closed.rates(shipment())


def test_a_charge_above_the_rate_is_on_the_label_and_a_rate_is_bought_only_for_its_shipment(fedex: Fedex) -> None:
    """FedEx bills the shipment it is sent, not the rate: a 2.5 lb rate is refused for 40 lb before
    anything is sent, and a surcharge billed above the rate (set through the sandbox's control API
    over HTTP or in Python) shows on the label beside the quote."""
    import requests

    from carriers import Money
    from onebalance import RateMismatch
    from onebalance.sandbox.fedex import CONTROL_PREFIX

    rate = cheapest(fedex.client.rates(shipment()))
    heavier = shipment(parcels=[Parcel(weight=Weight("40", "lb"))])
    with pytest.raises(RateMismatch) as caught:
        fedex.client.buy(rate, heavier, "surcharged-1")
    assert caught.value.differences == ("parcels.0.weight",) and fedex.sandbox.shipments() == []
    if fedex.url.startswith("http://"):  # served: the control API over HTTP
        answer = requests.post(fedex.url + CONTROL_PREFIX + "set_surcharge", json={"amount": "3.10"}, timeout=5)
        assert answer.status_code == 200 and answer.json() == {"ok": True, "result": None}
        refused = requests.post(fedex.url + CONTROL_PREFIX + "set_surcharge", json={"amount": "-1"}, timeout=5)
        assert refused.status_code == 400 and fedex.sandbox.state.surcharge == Money("3.10").amount
    else:
        fedex.sandbox.set_surcharge("3.10")
    label = fedex.client.buy(rate, shipment(), "surcharged-1")
    assert label.quoted_cost == rate.total and label.cost == rate.total + Money("3.10")
    assert label.above_quote == Money("3.10")
    [made] = fedex.sandbox.shipments()
    assert made.total == label.cost.amount
