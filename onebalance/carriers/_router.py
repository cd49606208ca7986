"""``Shipping``: one merchant's carriers behind one object.

USPS labels are paid from the merchant's One Balance; UPS and FedEx labels are billed to the
merchant's own UPS or FedEx account. ``rates`` asks every carrier at once (in parallel) and
picks out the cheapest and the fastest; ``buy`` routes a rate to its carrier. The payment
invariant is enforced on every label: a USPS label is paid by the One Balance, a UPS or FedEx
label by that carrier's account, and every label records who paid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from onebalance.core import (
    AccountSuspended,
    AuthenticationError,
    ConfigurationError,
    ConversationError,
    LabelNotFound,
    OneBalanceError,
    PurchaseInProgress,
    UnknownFault,
    ValidationError,
)
from onebalance.core import publish as _publish
from onebalance.shipments import (
    Address,
    Carrier,
    CarrierAccountPayment,
    CarrierClient,
    ChargeAboveQuote,
    IdempotencyKeyReused,
    KeyUse,
    KeyUses,
    Label,
    LabelSpec,
    OneBalancePayment,
    Rate,
    ShipmentRequest,
    Tracking,
    TrackingStatus,
    VoidResult,
    check_idempotency_key,
    check_quote,
    label_spec,
    maybe_bought,
    purchase_fingerprint,
)
from onebalance.stores import JournalEntry, LabelJournal

from ._rateshop import RateShop, checked_shipment
from .usps._client import UspsShipping
from .usps._mapping import SHIP as USPS_SHIP
from .usps._models import CleansedAddress

logger = logging.getLogger("onebalance")

__all__ = ["RateShop", "Shipping"]


class Shipping:
    """A merchant's carriers. Give any of ``usps`` (an :class:`UspsShipping`), ``ups`` and ``fedex`` (a
    :class:`~carriers.ups.UpsClient` and a :class:`~carriers.fedex.FedexClient`); each is a
    :class:`~carriers.CarrierClient`, the contract the router rates, buys, voids and tracks through.

    With a ``journal`` (:class:`~onebalance.LabelJournal`) and the ``merchant_id``, every purchase
    is written down before it is sent, so an idempotency key holds across processes and restarts
    (:meth:`Accounts.shipping` passes the platform's journal: its store's ``labels``, which with a
    :class:`~onebalance.PostgresStore` holds across machines too); without one, each carrier client
    remembers its own keys for as long as it lives, and the router the purchase each of its latest
    keys named (so that a key is not reused with another carrier).

    ``charge_tolerance`` (an amount, e.g. ``Decimal("1.00")``; None: no limit) is the most a label
    may cost above its rate: a carrier that charges more (a surcharge, a re-rating) gets the label
    voided at once and :class:`~onebalance.ChargeAboveQuote` raised (see :meth:`buy`).

    ``label_format`` (``"PDF"``, ``"PNG"``, ``"ZPL"``, ``"GIF"``, ``"EPL"``, or a whole
    :class:`~carriers.LabelSpec`) and ``label_size`` (``"4x6"``, ``"letter"``) are how the labels
    are printed unless a purchase says otherwise (None: each carrier's default, PNG or GIF on 4x6);
    see docs/shipping.md for what each carrier prints.
    """

    def __init__(
        self,
        *,
        usps: UspsShipping | None = None,
        ups: CarrierClient | None = None,
        fedex: CarrierClient | None = None,
        journal: LabelJournal | None = None,
        merchant_id: str | None = None,
        now: Callable[[], datetime] | None = None,
        charge_tolerance: Decimal | int | str | None = None,
        label_format: LabelSpec | str | None = None,
        label_size: str | None = None,
    ) -> None:
        self._usps = usps  # USPS takes more than the contract: a cost account, a key in doubt
        self._clients: dict[Carrier, CarrierClient] = {
            carrier: client
            for carrier, client in ((Carrier.USPS, usps), (Carrier.UPS, ups), (Carrier.FEDEX, fedex))
            if client is not None
        }
        if not self._clients:
            raise ConfigurationError("Shipping needs at least one carrier")
        if journal is not None and not merchant_id:
            raise ConfigurationError("Shipping with a label journal needs the merchant_id")
        self.journal = journal
        self.merchant_id = merchant_id
        self.charge_tolerance = _tolerance(charge_tolerance)
        #: How labels are printed unless a purchase says otherwise (None: each carrier's default).
        self.label_spec = label_spec(label_format, label_size)
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._uses = KeyUses()  # without a journal: the purchase each recent key named

    def __repr__(self) -> str:
        names = ", ".join(c.display_name for c in self._clients)
        return f"Shipping(merchant_id={self.merchant_id!r}, carriers=[{names}])"

    def client(self, carrier: Carrier | str) -> CarrierClient:
        """The client of one carrier (``ValidationError`` if the merchant has not connected it)."""
        return self._client(_carrier(carrier))

    @property
    def carriers(self) -> tuple[Carrier, ...]:
        return tuple(self._clients)

    @property
    def usps(self) -> UspsShipping:
        """The USPS client, for what only USPS offers beside the contract (address checks, the end of
        the day); :class:`ValidationError` if the merchant has no USPS (One Balance) connected."""
        if self._usps is None:
            raise ValidationError("this merchant has no USPS account connected", field="carrier")
        return self._usps

    def check_address(self, address: Address) -> CleansedAddress:
        """Check a US address with USPS (one CleanseAddress, through the One Balance): see
        :meth:`UspsShipping.check_address`. A label to it later carries the check's CleanseHash
        without checking again."""
        return self.usps.check_address(address)

    def rates(self, shipment: ShipmentRequest, *, check_address: bool = False) -> RateShop:
        """Ask every carrier at once; a carrier that fails does not hide the others' rates.

        ``check_address=True`` checks the recipient with USPS first (one CleanseAddress, before any
        rate is asked; a recipient abroad is not checked): when USPS matched it, every carrier rates
        the corrected address, the rates are quoted for that shipment (``shop.shipment``: buy with
        it), and a USPS label for it carries the check's CleanseHash without a second check. The
        check is in ``shop.address_check`` (ambiguous: its candidates, the shipment as given).
        Raises :class:`AddressNotFound` when USPS knows no such address (nothing rated), and
        :class:`ValidationError` when the merchant has no USPS connected.
        """
        check = None
        if check_address:
            shipment, check = checked_shipment(self.usps, shipment)

        def ask(carrier: Carrier) -> tuple[Carrier, list[Rate] | OneBalanceError]:
            try:
                return carrier, self._clients[carrier].rates(shipment)
            except OneBalanceError as exc:
                return carrier, exc

        with ThreadPoolExecutor(max_workers=len(self._clients)) as pool:
            answers = list(pool.map(ask, self._clients))
        rates: list[Rate] = []
        errors: dict[Carrier, OneBalanceError] = {}
        for carrier, answer in answers:
            if isinstance(answer, OneBalanceError):
                errors[carrier] = answer
            else:
                rates.extend(answer)
        return RateShop(
            rates=tuple(sorted(rates, key=lambda r: r.total.amount)),
            errors=errors,
            shipment=shipment,
            address_check=check,
        )

    def buy(
        self,
        rate: Rate,
        shipment: ShipmentRequest,
        *,
        idempotency_key: str,
        cost_account: int | str | None = None,
        label_format: LabelSpec | str | None = None,
        label_size: str | None = None,
    ) -> Label:
        """Buy ``rate`` from its carrier. The same ``idempotency_key`` never buys a second label.

        The key names one purchase (carrier, service, shipment, amount) whatever the carrier: the
        same key with the same purchase returns the label it bought; with another purchase it is
        refused with :class:`IdempotencyKeyReused` (naming the first purchase) before anything is
        sent, across processes through the journal. ``rate`` must have been quoted for
        ``shipment`` (:class:`RateMismatch` otherwise, before anything is sent).

        ``cost_account`` (id or name) charges a USPS print to one of the One Balance's cost
        accounts; it means nothing to UPS or FedEx and is refused for them. With a journal, a UPS
        or FedEx purchase whose outcome is unknown raises :class:`PurchaseInProgress` rather than
        risk a second label.

        The label carries the rate's amount (``quoted_cost``) beside what the carrier charged
        (``cost``); a charge above the quote is logged at WARNING. Above ``charge_tolerance`` the
        label (already bought: the charge is only known then) is voided at once, the void noted in
        the journal, and :class:`ChargeAboveQuote` raised with the label and what the void did;
        the same key raises it again.

        ``label_format`` and ``label_size`` print this label otherwise than the router's defaults
        (each field not given is the router's, then the carrier's default). A format or size the
        carrier does not print raises :class:`~onebalance.LabelFormatUnavailable` before anything is
        sent. A key bought before returns its label as it was printed.
        """
        client = self._client(rate.carrier)
        spec = label_spec(label_format, label_size)
        spec = spec.over(self.label_spec) if spec is not None else self.label_spec
        _check_payment(rate.carrier, rate.payment)
        if not isinstance(idempotency_key, str) or not idempotency_key.strip():
            raise ValidationError("idempotency_key: is required to buy a label", field="idempotency_key")
        # The key's format, checked before anything is written down or sent (the error the shipment's
        # ``idempotency_key`` field gives: the shipment itself was validated when it was made).
        check_idempotency_key(idempotency_key)
        check_quote(rate, shipment)
        if cost_account is not None and rate.carrier is not Carrier.USPS:
            raise ValidationError(
                "cost_account: cost accounts belong to the One Balance, so only USPS labels use them",
                field="cost_account",
            )
        if self.journal is None or self.merchant_id is None:
            use = KeyUse(rate, shipment, self._now())
            self._uses.claim(idempotency_key, use)
            try:
                label = self._send(client, rate, shipment, idempotency_key, cost_account, spec, after_unknown=False)
            except OneBalanceError as exc:
                if not maybe_bought(exc):
                    self._uses.forget(idempotency_key, use)
                raise
            self._uses.bought(idempotency_key, label)
            _check_payment(label.carrier, label.paid_by)
            return self._within_tolerance(label, None)
        fingerprint = purchase_fingerprint(rate, shipment)
        entry, fresh = self.journal.start(
            self.merchant_id, rate.carrier, idempotency_key, rate.service_code, self._now(), fingerprint=fingerprint
        )
        if not fresh:
            _same_purchase(entry, rate, fingerprint)
        if entry.label is not None:
            logger.info(
                "event=label_replayed merchant=%s carrier=%s key=%s", self.merchant_id, rate.carrier, idempotency_key
            )
            return self._within_tolerance(entry.label, entry)
        if not fresh and rate.carrier is not Carrier.USPS:
            # USPS recognises a replayed purchase by its IntegratorTxID; UPS and FedEx do not promise to.
            raise PurchaseInProgress(
                f"A {rate.carrier.display_name} label purchase with this idempotency key started at "
                f"{entry.started_at:%Y-%m-%d %H:%M:%S} UTC and its outcome is unknown (still running, or cut off). "
                f"Nothing was sent again: check the merchant's {rate.carrier.display_name} account for the shipment "
                "before buying with a new key",
                operation="buy",
            )
        try:
            # not fresh (USPS): an earlier attempt's outcome is unknown; the service replays it if it happened
            label = self._send(client, rate, shipment, idempotency_key, cost_account, spec, after_unknown=not fresh)
        except OneBalanceError as exc:
            # A first attempt refused before sending, by the carrier, or with no connection at all bought
            # nothing. A repeat of one in doubt is known not bought only when the service refused the
            # key itself; anything else (a refill refused, the service out of reach) leaves the doubt.
            if not maybe_bought(exc) and (fresh or _refused(exc)):
                self.journal.abandon(self.merchant_id, rate.carrier, idempotency_key)
            raise  # else the carrier may have bought it: the entry stays pending
        _check_payment(label.carrier, label.paid_by)
        self.journal.finish(self.merchant_id, rate.carrier, idempotency_key, label)
        return self._within_tolerance(label, None)

    def _send(
        self,
        client: CarrierClient,
        rate: Rate,
        shipment: ShipmentRequest,
        key: str,
        cost_account: int | str | None,
        spec: LabelSpec | None,
        *,
        after_unknown: bool,
    ) -> Label:
        """The carrier's ``buy``: through the contract, or with USPS's own arguments when they say something."""
        if self._usps is not None and client is self._usps and (cost_account is not None or after_unknown):
            return self._usps.buy(
                rate,
                shipment,
                idempotency_key=key,
                cost_account=cost_account,
                after_unknown=after_unknown,
                label_spec=spec,
            )
        return client.buy(rate, shipment, idempotency_key=key, label_spec=spec)

    def _within_tolerance(self, label: Label, entry: JournalEntry | None) -> Label:
        """``label``, unless it cost more above its quote than the tolerance: then void it and raise."""
        tolerance, above = self.charge_tolerance, label.above_quote
        if tolerance is None or above is None or above.amount <= tolerance:
            return label
        quoted = label.quoted_cost
        assert quoted is not None  # above_quote is None without a quote
        if entry is not None and entry.voided_at is not None:  # refused (and voided) when first bought
            raise ChargeAboveQuote(label=label, quoted=quoted, tolerance=tolerance, voided_at=entry.voided_at)
        logger.warning(
            "event=label_refused_above_tolerance merchant=%s carrier=%s tracking=%s quoted=%s charged=%s tolerance=%s",
            self.merchant_id,
            label.carrier.value,
            label.tracking_number or label.carrier_reference,
            quoted.amount,
            label.cost.amount,
            tolerance,
        )
        result: VoidResult | None = None
        failure: OneBalanceError | None = None
        try:
            result = self.void(label)
        except OneBalanceError as exc:
            failure = exc
        raise ChargeAboveQuote(label=label, quoted=quoted, tolerance=tolerance, void_result=result, void_error=failure)

    def void(self, label: Label, *, package: str | None = None) -> VoidResult:
        """Void ``label`` with its carrier: the whole shipment, or with ``package`` (the tracking
        number of one of its packages) that package only, the others staying live. The journal
        notes it when the label is there: the purchase's ``voided_at`` once the whole shipment is
        voided (at once, or package by package), and ``packages[i].voided`` for a package voided on
        its own."""
        client = self._client(label.carrier)
        one = package is not None and len(label.packages) > 1
        if package is not None:
            label.package(package)  # a number that is not one of the label's packages: refused, nothing sent
        result = client.void(label, package) if one else client.void(label)
        if not result.voided or self.journal is None or self.merchant_id is None:
            return result
        number = label.tracking_number or label.carrier_reference
        entry = self.journal.find(self.merchant_id, label.carrier, number) if number else None
        if entry is not None and one and package is not None:
            self.journal.mark_package_voided(
                self.merchant_id, label.carrier, entry.idempotency_key, package, self._now()
            )
        elif entry is not None:
            self.journal.mark_voided(self.merchant_id, label.carrier, entry.idempotency_key, self._now())
        return result

    def labels(self, carrier: Carrier | str | None = None) -> list[Label]:
        """The labels bought through this router's journal (oldest first); empty without a journal."""
        if self.journal is None or self.merchant_id is None:
            return []
        wanted = None if carrier is None else _carrier(carrier)
        return [label for e in self.journal.entries(self.merchant_id, wanted) if (label := _kept(e)) is not None]

    def find_label(self, carrier: Carrier | str, number: str) -> Label | None:
        """A label from the journal by its tracking number or carrier reference (label id)."""
        if self.journal is None or self.merchant_id is None:
            return None
        entry = self.journal.find(self.merchant_id, _carrier(carrier), number)
        return _kept(entry) if entry is not None else None

    def track(self, carrier: Carrier | str, tracking_number: str) -> Tracking:
        """Where the parcel is: any package's tracking number (a shipment's first or another). A voided
        label or package is ``TrackingStatus.VOIDED``: as its carrier reports it, or, should the carrier
        no longer know the number (:class:`LabelNotFound`), as the journal recorded the void (then
        with no scans)."""
        chosen = _carrier(carrier)
        try:
            return self._client(chosen).track(tracking_number)
        except LabelNotFound:
            entry = None
            if self.journal is not None and self.merchant_id is not None:
                entry = self.journal.find(self.merchant_id, chosen, tracking_number)
            if entry is None or entry.label is None:
                raise
            number = "".join(tracking_number.split())
            package = next((p for p in entry.label.packages if p.tracking_number == number), None)
            if entry.voided_at is None and (package is None or not package.voided):
                raise
            return Tracking(
                carrier=chosen,
                tracking_number=(package.tracking_number if package else None)
                or entry.label.tracking_number
                or tracking_number,
                status=TrackingStatus.VOIDED,
            )

    def track_shipment(self, label: Label) -> tuple[Tracking, ...]:
        """Where every package of ``label``'s shipment is, in the label's package order (a voided
        package is ``TrackingStatus.VOIDED``, as :meth:`track` says)."""
        if not label.tracking_numbers:
            raise ValidationError("label: has no tracking number to track", field="label")
        return tuple(self.track(label.carrier, number) for number in label.tracking_numbers)

    def _client(self, carrier: Carrier) -> CarrierClient:
        try:
            return self._clients[carrier]
        except KeyError:
            raise ValidationError(
                f"this merchant has no {carrier.value.upper()} account connected", field="carrier"
            ) from None


def _kept(entry: JournalEntry) -> Label | None:
    """The label of a journal entry as it stands: ``voided`` once the whole purchase was voided."""
    if entry.label is None or entry.voided_at is None or entry.label.voided:
        return entry.label
    return entry.label.model_copy(update={"voided": True})


def _carrier(value: Carrier | str) -> Carrier:
    try:
        return Carrier(value)
    except ValueError:
        raise ValidationError("carrier: must be usps, ups or fedex", field="carrier") from None


#: Faults that answer for the account or the session, not for the purchase: a key in doubt stays so.
_NOT_ABOUT_THE_PURCHASE = (AuthenticationError, ConversationError, AccountSuspended, PurchaseInProgress, UnknownFault)


def _refused(error: OneBalanceError) -> bool:
    """Whether the service answered a USPS label purchase (CreateIndicium) by refusing it: printed nothing.

    The service replays a key it printed, so its refusal of the key means no label; a fault about
    the account or the session, or an error the SDK raised itself, says nothing about the key.
    """
    return error.operation == USPS_SHIP and error.code is not None and not isinstance(error, _NOT_ABOUT_THE_PURCHASE)


def _tolerance(value: Decimal | int | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, (Decimal, bool, float)) else value
    except InvalidOperation:
        amount = None
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise ConfigurationError("charge_tolerance: must be an amount of 0 or more (a Decimal, an int or a string)")
    return amount


def _same_purchase(entry: JournalEntry, rate: Rate, fingerprint: str) -> None:
    """Refuse the key if its entry names another purchase (entries without a fingerprint: another
    carrier or service)."""
    if entry.fingerprint is not None:
        same = entry.fingerprint == fingerprint
    else:
        same = entry.carrier is rate.carrier and entry.service_code == rate.service_code
    if not same:
        label = entry.label
        raise IdempotencyKeyReused(
            idempotency_key=entry.idempotency_key,
            carrier=entry.carrier,
            service_code=entry.service_code,
            started_at=entry.started_at,
            tracking_number=(label.tracking_number or label.carrier_reference) if label is not None else None,
        )


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


_publish(globals(), "onebalance", ("Shipping",))  # re-exported by onebalance
