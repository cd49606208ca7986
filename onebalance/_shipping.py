"""``Shipping``: one merchant's carriers behind one object.

USPS labels are paid from the merchant's One Balance; UPS and FedEx labels are billed to the
merchant's own UPS or FedEx account. ``rates`` asks every carrier at once (in parallel) and
picks out the cheapest and the fastest; ``buy`` routes a rate to its carrier. The payment
invariant is enforced on every label: a USPS label is paid by the One Balance, a UPS or FedEx
label by that carrier's account, and every label records who paid.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from carriers import (
    Carrier,
    CarrierAccountPayment,
    Label,
    OneBalancePayment,
    Rate,
    ShipmentRequest,
    Tracking,
    VoidResult,
    cheapest,
    fastest,
)

from ._errors import ConfigurationError, OneBalanceError, ValidationError


class CarrierClient(Protocol):
    def rates(self, shipment: ShipmentRequest) -> list[Rate]: ...

    def void(self, label: Label) -> VoidResult: ...

    def track(self, tracking_number: str) -> Tracking: ...


class RateShop(BaseModel):
    """Every carrier's rates for one shipment; carriers that failed are listed in ``errors``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    rates: tuple[Rate, ...]
    errors: dict[Carrier, str]

    @property
    def cheapest(self) -> Rate | None:
        return cheapest(list(self.rates)) if self.rates else None

    @property
    def fastest(self) -> Rate | None:
        return fastest(list(self.rates)) if self.rates else None


class Shipping:
    """A merchant's carriers. Give any of ``usps`` (an :class:`UspsShipping`), ``ups`` and ``fedex``."""

    def __init__(
        self, *, usps: CarrierClient | None = None, ups: CarrierClient | None = None, fedex: CarrierClient | None = None
    ) -> None:
        self._clients: dict[Carrier, CarrierClient] = {
            carrier: client
            for carrier, client in ((Carrier.USPS, usps), (Carrier.UPS, ups), (Carrier.FEDEX, fedex))
            if client is not None
        }
        if not self._clients:
            raise ConfigurationError("Shipping needs at least one carrier")

    @property
    def carriers(self) -> tuple[Carrier, ...]:
        return tuple(self._clients)

    def rates(self, shipment: ShipmentRequest) -> RateShop:
        """Ask every carrier at once; a carrier that fails does not hide the others' rates."""

        def ask(carrier: Carrier) -> tuple[Carrier, list[Rate] | OneBalanceError]:
            try:
                return carrier, self._clients[carrier].rates(shipment)
            except OneBalanceError as exc:
                return carrier, exc

        with ThreadPoolExecutor(max_workers=len(self._clients)) as pool:
            answers = list(pool.map(ask, self._clients))
        rates: list[Rate] = []
        errors: dict[Carrier, str] = {}
        for carrier, answer in answers:
            if isinstance(answer, OneBalanceError):
                errors[carrier] = f"{type(answer).__name__}: {answer}"
            else:
                rates.extend(answer)
        return RateShop(rates=tuple(sorted(rates, key=lambda r: r.total.amount)), errors=errors)

    def buy(self, rate: Rate, shipment: ShipmentRequest, *, idempotency_key: str) -> Label:
        """Buy ``rate`` from its carrier. The same ``idempotency_key`` never buys a second label."""
        client = self._client(rate.carrier)
        _check_payment(rate.carrier, rate.payment)
        buy: Callable[..., Label] = client.buy  # type: ignore[attr-defined]
        label = buy(rate, shipment, idempotency_key=idempotency_key)
        _check_payment(label.carrier, label.paid_by)
        return label

    def void(self, label: Label) -> VoidResult:
        return self._client(label.carrier).void(label)

    def track(self, carrier: Carrier, tracking_number: str) -> Tracking:
        return self._client(carrier).track(tracking_number)

    def _client(self, carrier: Carrier) -> CarrierClient:
        try:
            return self._clients[carrier]
        except KeyError:
            raise ValidationError(
                f"this merchant has no {carrier.value.upper()} account connected", field="carrier"
            ) from None


def _check_payment(carrier: Carrier, payment: object) -> None:
    """A USPS label is paid by the One Balance; a UPS or FedEx label by that carrier's account."""
    if carrier is Carrier.USPS:
        ok = isinstance(payment, OneBalancePayment)
    else:
        ok = isinstance(payment, CarrierAccountPayment) and payment.carrier is carrier
    if not ok:
        raise ValidationError(
            f"a {carrier.value.upper()} label must be paid "
            + (
                "from the One Balance"
                if carrier is Carrier.USPS
                else f"by the merchant's {carrier.value.upper()} account"
            ),
            field="payment",
        )
