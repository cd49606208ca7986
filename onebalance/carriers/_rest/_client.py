"""The carrier-neutral face of a REST carrier: rates, buy, void, track.

A carrier's client is a subclass naming its proxy and its two mapping modules; every operation
is the same three steps: the mapping builds the request (bad input is refused here, before
anything is sent, with ``source`` None), the proxy sends it, the mapping reads the answer (the
carrier's refusals carry it as ``source``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

import requests

from onebalance.core import ClientClosed, ConfigurationError, OneBalanceError, RetryPolicy, Timeout, ValidationError
from onebalance.shipments import (
    Carrier,
    KeyUse,
    Label,
    LabelSpec,
    OncePerKey,
    Rate,
    ShipmentRequest,
    Tracking,
    VoidResult,
    bind,
    check_idempotency_key,
    check_quote,
    read_sold_label,
    with_quote,
)
from onebalance.shipments import tracking_number as clean_tracking_number

from ._proxy import RestProxy, refused_by
from ._request import RestMapping, TrackingMapping
from ._settings import RestSettings

__all__ = ["RestClient"]

S = TypeVar("S", bound=RestSettings)
P = TypeVar("P", bound=RestProxy[Any])
C = TypeVar("C", bound="RestClient[Any, Any]")


class RestClient(Generic[S, P]):
    """Labels billed to the merchant's own account with the carrier (``settings.account_number``).

    Safe to share between threads; use as a context manager. ``buy`` with an idempotency key this
    client used for one of its latest labels (:data:`~onebalance.shipments._recent.RECENT_LABELS`)
    returns the first label without a second shipment; the key also travels to the carrier as the
    transaction id. For a key to hold for longer, across clients and processes, buy through
    :class:`~onebalance.Shipping`, whose label journal keeps every key.

    ``retry`` is the :class:`~onebalance.RetryPolicy` (default: ``RetryPolicy()``). A purchase whose
    outcome stays unknown raises :class:`~onebalance.OutcomeUnknown` carrying the idempotency key;
    it is never sent again on the client's own (the carrier does not promise to recognise the key).
    ``clock`` (seconds since the epoch) dates the labels and times the token; tests pass a sandbox's.
    """

    proxy_type: type[P]
    mapping: RestMapping
    tracking: TrackingMapping

    def __init__(
        self,
        settings: S,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        *,
        clock: Callable[[], float] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        self.settings = settings
        self._clock = clock or time.time
        self.proxy: P = self.proxy_type(settings, timeout, session, clock=clock or time.monotonic, retry=retry)
        self._purchases = OncePerKey()
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, account={self.settings.masked_account})"

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Forget the token and the labels; later calls raise :class:`~onebalance.ClientClosed`. The
        shared HTTP session stays open for other clients."""
        self._closed = True
        self.proxy.forget_token()
        self._purchases.clear()

    @property
    def carrier(self) -> Carrier:
        """The carrier this client ships with (``Carrier.UPS``, ``Carrier.FEDEX``)."""
        return self.settings.carrier

    @property
    def account_number(self) -> str:
        return self.settings.account_number

    @property
    def tokens_fetched(self) -> int:
        """How many OAuth tokens this client has fetched (for monitoring the token cache)."""
        return self.proxy.tokens_fetched

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), timezone.utc)

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed()

    # -- the contract ------------------------------------------------------------------------------
    def rates(self, shipment: ShipmentRequest) -> list[Rate]:
        """Every service's price (or ``shipment.service``'s), each paid by the merchant's account."""
        self._check_open()
        body = self.proxy.send(self.mapping.rate_request(shipment, self.settings))
        with self.proxy.answering():
            return bind(self.mapping.parse_rates(body, self.settings, shipment), shipment)

    def buy(
        self,
        rate: Rate,
        shipment: ShipmentRequest,
        idempotency_key: str | None = None,
        *,
        label_spec: LabelSpec | None = None,
    ) -> Label:
        """Buy ``rate``'s label, billed to the merchant's own account, in ``label_spec``'s format and
        size (None: the carrier's default; one it does not print: :class:`~onebalance.LabelFormatUnavailable`,
        nothing sent).

        The key defaults to ``shipment.idempotency_key``, then to a fresh one. A rate quoted for
        another shipment is refused (:class:`~onebalance.RateMismatch`), and so is a key this
        client used lately for another purchase (:class:`~onebalance.IdempotencyKeyReused`), before
        anything is sent. The label carries the rate's amount (``quoted_cost``) beside the charge.
        """
        if self._closed:
            raise ClientClosed()
        key = idempotency_key or shipment.idempotency_key or uuid.uuid4().hex
        if not isinstance(key, str):
            raise ValidationError("idempotency_key: must be a string", field="idempotency_key")
        check_idempotency_key(key)
        check_quote(rate, shipment)
        settings, proxy, parse, clock = self.settings, self.proxy, self.mapping.parse_label, self._clock
        request = self.mapping.ship_request(rate, shipment, settings, key, label_spec)
        use = KeyUse(rate, shipment, datetime.fromtimestamp(clock(), timezone.utc))

        def purchase() -> Label:
            body = proxy.send(request, idempotency_key=key)
            now = datetime.fromtimestamp(clock(), timezone.utc)
            try:
                label = read_sold_label(proxy.label, key, parse, body, rate, settings, now, label_spec)
            except OneBalanceError as exc:  # what proxy.answering() does, without a context manager
                refused_by(exc, proxy.service)
                raise
            if shipment.is_return:
                label = label.model_copy(update={"is_return": True})
            return with_quote(label, rate)

        return self._purchases.buy(key, purchase, use)

    def void(self, label: Label, package: str | None = None) -> VoidResult:
        """Void the whole shipment, or with ``package`` (the tracking number of one of its packages)
        that package only; the other packages stay live. Nothing is billed for a voided package."""
        self._check_open()
        body = self.proxy.send(self.mapping.void_request(label, self.settings, package))
        with self.proxy.answering():
            return self.mapping.parse_void(body, label, package)

    def track(self, tracking_number: str) -> Tracking:
        """Where the parcel is, newest scan first (any package's tracking number of a shipment)."""
        self._check_open()
        number = clean_tracking_number(tracking_number)
        if not isinstance(number, str):
            raise ValidationError("tracking_number: is required", field="tracking_number")
        body = self.proxy.send(self.tracking.track_request(number))
        with self.proxy.answering():
            return self.tracking.parse_tracking(body, number)
