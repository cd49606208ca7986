"""The carrier-neutral face of UPS: rates, buy, void, track."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import requests

from onebalance.core._config import Timeout
from onebalance.core._errors import ConfigurationError, ValidationError
from onebalance.core._retry import RetryPolicy
from onebalance.shipments._carrier import Carrier
from onebalance.shipments._label import Label, VoidResult
from onebalance.shipments._quote import bind, check_quote, with_quote
from onebalance.shipments._rate import Rate
from onebalance.shipments._recent import KeyUse, OncePerKey, read_sold_label
from onebalance.shipments._shipment import ShipmentRequest, check_idempotency_key
from onebalance.shipments._tracking import Tracking

from . import mapping
from ._proxy import UpsProxy
from ._settings import UpsSettings

__all__ = ["UpsClient"]


class UpsClient:
    """UPS labels billed to the merchant's own account (``settings.account_number``).

    Safe to share between threads. ``buy`` with an idempotency key this client used for one of its
    latest labels (:data:`~onebalance.shipments._recent.RECENT_LABELS`) returns the first label without a second
    shipment; the key also travels to UPS as the transaction reference (``CustomerContext``) and
    ``transId``. For a key to hold for longer, across clients and processes, buy through
    :class:`~onebalance.Shipping`, whose label journal keeps every key.

    ``retry`` is the :class:`~onebalance.RetryPolicy` (default: ``RetryPolicy()``). A ship whose
    outcome stays unknown raises :class:`~onebalance.OutcomeUnknown` carrying the idempotency
    key; it is never sent again on the client's own (UPS does not promise to recognise the key).
    """

    carrier = Carrier.UPS

    def __init__(
        self,
        settings: UpsSettings,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        *,
        clock: Callable[[], float] = time.time,
        retry: RetryPolicy | None = None,
    ) -> None:
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        self.settings = settings
        self._clock = clock
        self.proxy = UpsProxy(settings, timeout=timeout, session=session, clock=clock, retry=retry)
        self._purchases = OncePerKey()

    def __repr__(self) -> str:
        return f"UpsClient(base_url={self.settings.base_url!r}, account=****{self.settings.account_number[-4:]})"

    def __enter__(self) -> UpsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Forget the cached token and labels (the shared HTTP session stays open for other clients)."""
        self._purchases.clear()

    def rates(self, shipment: ShipmentRequest) -> list[Rate]:
        """Every UPS service's price (a Shop request), each paid by the merchant's UPS account."""
        body = self.proxy.call(
            "POST", mapping.rate_path(), operation="rate", body=mapping.rate_request(shipment, self.settings)
        )
        return bind(mapping.parse_rate_response(body, self.settings, shipment), shipment)

    def buy(self, rate: Rate, shipment: ShipmentRequest, idempotency_key: str | None = None) -> Label:
        """Buy ``rate``'s label, billed to the shipper's own account (BillShipper).

        The key defaults to ``shipment.idempotency_key``, then to a fresh one. A rate quoted for
        another shipment is refused (:class:`~onebalance.RateMismatch`), and so is a key this
        client used lately for another purchase (:class:`~onebalance.IdempotencyKeyReused`), before
        anything is sent. The label carries the rate's amount (``quoted_cost``) beside the charge.
        """
        key = idempotency_key or shipment.idempotency_key or uuid.uuid4().hex
        if isinstance(idempotency_key, str):
            check_idempotency_key(key)  # the model's own check, without validating the whole shipment again
        elif idempotency_key is not None:
            ShipmentRequest.model_validate(
                {**{n: getattr(shipment, n) for n in type(shipment).model_fields}, "idempotency_key": key}
            )
        check_quote(rate, shipment)
        use = KeyUse(rate, shipment, datetime.fromtimestamp(self._clock(), timezone.utc))

        def purchase() -> Label:
            request = mapping.ship_request(rate, shipment, self.settings, context=key)
            body = self.proxy.call(
                "POST",
                mapping.ship_path(),
                operation="ship",
                body=request,
                trans_id=mapping.trans_id(key),
                idempotency_key=key,
            )
            now = datetime.fromtimestamp(self._clock(), timezone.utc)
            label = read_sold_label("UPS", key, lambda: mapping.parse_ship_response(body, rate, self.settings, now))
            return with_quote(label, rate)

        return self._purchases.buy(key, purchase, use)

    def void(self, label: Label, package: str | None = None) -> VoidResult:
        """Void a UPS label: the whole shipment, or with ``package`` (the tracking number of one of its
        packages) that package only (UPS's ``trackingnumber``); the other packages stay live."""
        path = mapping.void_path(label, package)
        body = self.proxy.call("DELETE", path, operation="void")
        return mapping.parse_void_response(body, label, package)

    def track(self, tracking_number: str) -> Tracking:
        """Where the parcel is, newest scan first (any package's tracking number of a shipment)."""
        number = "".join(tracking_number.split()) if isinstance(tracking_number, str) else ""
        if not number.isalnum():
            raise ValidationError("tracking_number: must be letters and digits", field="tracking_number")
        body = self.proxy.call("GET", mapping.track_path(number) + "?locale=en_US", operation="track")
        return mapping.parse_track_response(body, number)
