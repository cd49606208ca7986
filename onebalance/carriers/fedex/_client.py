"""The FedEx client: rates, labels billed to the merchant's own account, cancel, tracking."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests

from onebalance.core._config import Timeout
from onebalance.core._errors import ClientClosed, ConfigurationError, ValidationError
from onebalance.core._retry import RetryPolicy
from onebalance.shipments import Carrier, Label, Rate, ShipmentRequest, Tracking, VoidResult
from onebalance.shipments._label import tracking_number as clean_tracking_number
from onebalance.shipments._quote import bind, check_quote, with_quote
from onebalance.shipments._recent import KeyUse, OncePerKey, read_sold_label

from . import _mapping
from ._proxy import FedexProxy
from ._settings import FedexSettings

__all__ = ["FedexClient"]

RATE_PATH = "/rate/v1/rates/quotes"
SHIP_PATH = "/ship/v1/shipments"
CANCEL_PATH = "/ship/v1/shipments/cancel"
TRACK_PATH = "/track/v1/trackingnumbers"


class FedexClient:
    """One merchant's FedEx account. Safe to share between threads; use as a context manager.

    ``buy`` with an idempotency key it used for one of its latest labels
    (:data:`~onebalance.shipments._recent.RECENT_LABELS`) returns the first label again without a second
    shipment; the key is also sent to FedEx as ``x-customer-transaction-id``. For a key to hold
    for longer, across clients and processes, buy through :class:`~onebalance.Shipping`, whose
    label journal keeps every key.

    ``retry`` is the :class:`~onebalance.RetryPolicy` (default: ``RetryPolicy()``). A ship whose
    outcome stays unknown raises :class:`~onebalance.OutcomeUnknown` carrying the idempotency
    key; it is never sent again on the client's own (FedEx does not promise to recognise the key).
    """

    carrier = Carrier.FEDEX

    def __init__(
        self,
        settings: FedexSettings,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        *,
        clock: Callable[[], float] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.settings = settings
        self._proxy = FedexProxy(settings, timeout, session, retry=retry, **extra)
        self._purchases = OncePerKey()
        self._closed = False

    def __repr__(self) -> str:
        return f"FedexClient(account=****{self.settings.account_number[-4:]}, base_url={self.settings.base_url!r})"

    @property
    def account_number(self) -> str:
        return self.settings.account_number

    @property
    def tokens_fetched(self) -> int:
        """How many OAuth tokens this client has fetched (for monitoring the token cache)."""
        return self._proxy.tokens_fetched

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed()

    # -- operations ----------------------------------------------------------------------------
    def rates(self, shipment: ShipmentRequest) -> list[Rate]:
        """Every service's price (or ``shipment.service``'s), billed to the settings' account."""
        self._check_open()
        payload = _mapping.rate_request(shipment, self.account_number)
        body = self._proxy.call("rate", "POST", RATE_PATH, payload)
        return bind(_mapping.parse_rate_response(body, self.account_number), shipment)

    def buy(self, rate: Rate, shipment: ShipmentRequest, idempotency_key: str | None = None) -> Label:
        """Buy the label for ``rate`` (paymentType SENDER, payor = the settings' account).

        ``idempotency_key`` defaults to ``shipment.idempotency_key``, else a new one (no dedupe). A
        rate quoted for another shipment is refused (:class:`~onebalance.RateMismatch`), and so is a
        key this client used lately for another purchase (:class:`~onebalance.IdempotencyKeyReused`),
        before anything is sent. The label carries the rate's amount (``quoted_cost``) beside the charge.
        """
        self._check_open()
        key = idempotency_key or shipment.idempotency_key or uuid.uuid4().hex
        if not isinstance(key, str) or not 1 <= len(key) <= 64:
            raise ValidationError("idempotency_key: must be 1 to 64 characters", field="idempotency_key")
        check_quote(rate, shipment)
        payload = _mapping.ship_request(rate, shipment, self.account_number)
        use = KeyUse(rate, shipment, datetime.now(timezone.utc))

        def purchase() -> Label:
            body = self._proxy.call("ship", "POST", SHIP_PATH, payload, transaction_id=key)
            now = datetime.now(timezone.utc)
            label = read_sold_label(
                "FedEx", key, lambda: _mapping.parse_ship_response(body, self.account_number, created_at=now)
            )
            return with_quote(label, rate)

        return self._purchases.buy(key, purchase, use)

    def void(self, label: Label, package: str | None = None) -> VoidResult:
        """Cancel the shipment, or with ``package`` (the tracking number of one of its packages) that
        package only; FedEx bills the account only for packages that are used."""
        self._check_open()
        payload = _mapping.cancel_request(label, self.account_number, package)
        body = self._proxy.call("cancel", "PUT", CANCEL_PATH, payload, repeat_refused=_already_cancelled)
        return _mapping.parse_cancel_response(body, label, package)

    def track(self, tracking_number: str) -> Tracking:
        """Where the parcel is, with every scan, newest first (any package's tracking number of a shipment)."""
        self._check_open()
        number = clean_tracking_number(tracking_number)
        if not isinstance(number, str):
            raise ValidationError("tracking_number: is required", field="tracking_number")
        body = self._proxy.call("track", "POST", TRACK_PATH, _mapping.track_request(number))
        return _mapping.parse_track_response(body, number)

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        """Forget the token; later calls raise :class:`ClientClosed`. The shared session stays open."""
        self._closed = True
        self._proxy.forget_token()

    def __enter__(self) -> FedexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _already_cancelled(body: dict[str, Any]) -> bool:
    """FedEx's answer to cancelling a shipment that is already cancelled."""
    output = body.get("output")
    return (
        isinstance(output, dict) and output.get("cancelledShipment") is False and output.get("cancelledHistory") is True
    )
