"""``UspsShipping``: USPS labels paid from the One Balance (CleanseAddress, GetRates, CreateIndicium,
CancelIndicium, TrackShipment; ReprintIndicium in ``_reprints``, GetShipmentList in ``_listing``).

All the wire spelling lives in :mod:`._mapping`, all the I/O in :mod:`._proxy`; this module applies
the SDK's rules: the plan restriction is checked before anything is bought, the recipient is
cleansed and its CleanseHash passed on, the label is paid for only after the auto-refill policy has
run, and a purchase is made idempotent by an IntegratorTxID derived from the merchant and the
caller's key, so a retried or repeated ``buy`` never prints (or pays for) a second label.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timezone

from onebalance.core import (
    AddressNotFound,
    OneBalanceError,
    OutcomeUnknown,
    ProtocolError,
    ValidationError,
)
from onebalance.core import publish as _publish
from onebalance.funding import Postage
from onebalance.shipments import (
    Address,
    Carrier,
    KeyUse,
    KeyUses,
    Label,
    LabelSpec,
    OneBalancePayment,
    Rate,
    RecentLabels,
    ShipmentPage,
    ShipmentRecord,
    ShipmentRequest,
    Tracking,
    VoidResult,
    bind,
    check_quote,
    maybe_bought,
    with_quote,
)
from onebalance.swsim import Account

from . import _listing, _mapping, _mapping_tracking, _plan
from . import _mapping_international as _international
from ._manifest_models import ScanForm
from ._manifests import scan_form
from ._mapping_returns import returnable
from ._models import CleansedAddress, LabelVoid
from ._once import Order, print_once
from ._pickups import UspsPickups
from ._proxy import UspsProxy
from ._reprints import reprint
from ._voids import void_many, void_one

logger = logging.getLogger("onebalance")

__all__ = ["UspsShipping", "integrator_tx_id"]


def integrator_tx_id(merchant_id: str, idempotency_key: str) -> str:
    """The CreateIndicium IntegratorTxID for one logical purchase: the same inputs, the same id.

    SWSIM recognises a replay by (IntegrationID, IntegratorTxID), so the merchant is part of it:
    two merchants using the same key never collide.
    """
    if not idempotency_key or not idempotency_key.strip():
        raise ValidationError("idempotency_key: is required to buy a label", field="idempotency_key")
    digest = hashlib.sha256(f"usps-label|{merchant_id}|{idempotency_key}".encode()).hexdigest()
    return f"ob-{digest[:40]}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class UspsShipping:
    """USPS rates and labels for one merchant, paid from its One Balance.

    Built on the merchant's :class:`~onebalance.Postage` (its client, merchant id and records)::

        usps = UspsShipping(postage)
        rate = carriers.cheapest(usps.rates(shipment))
        label = usps.buy(rate, shipment, idempotency_key="order-1042")
    """

    #: The carrier of the contract (:class:`~carriers.CarrierClient`).
    carrier = Carrier.USPS

    def __init__(self, postage: Postage) -> None:
        self.proxy = UspsProxy(postage)
        self.postage = postage
        self.client = postage.client
        self.merchant_id = postage.merchant_id
        #: IntegratorTxIDs whose purchase raised OutcomeUnknown here: they may have been bought.
        self._in_doubt: set[str] = set()
        #: The labels bought here lately, by IntegratorTxID (as UPS and FedEx clients keep theirs):
        #: a repeat of one of them is answered without a call; older keys are replayed by the service.
        self._bought = RecentLabels()  # thread-safe on its own
        #: The purchase each recent key named: a key is not reused for another one.
        self._uses = KeyUses()
        #: USPS carrier pickups: check, book, change, cancel, list (:class:`UspsPickups`).
        self.pickups = UspsPickups(self.proxy)

    def __repr__(self) -> str:
        return f"UspsShipping(merchant_id={self.merchant_id!r})"

    # -- addresses and rates -----------------------------------------------------------------------
    def cleanse(self, address: Address) -> CleansedAddress:
        """USPS standardisation of ``address`` (with the CleanseHash a label needs), whatever it says:
        one CleanseAddress. A match is kept for a while, so that a label to that address (as given or
        as corrected) carries its CleanseHash without checking it again."""
        response = self.proxy.call(_mapping.CLEANSE, _mapping.cleanse_request(address))
        result = _mapping.parse_cleanse(response, address)
        self.proxy.known.checked(address, result)
        return result

    def check_address(self, address: Address) -> CleansedAddress:
        """Check a US address with USPS (one CleanseAddress): the corrected address, whether USPS
        matched it, whether it is residential, and the candidates when it could not choose
        (``result.ambiguous``).

        An address outside the US ZIP code system raises :class:`ValidationError` before anything is
        sent; one USPS matched nothing in and suggested nothing for, :class:`AddressNotFound`.
        """
        result = self.cleanse(address)
        if not result.match and not result.candidates:
            where = (
                "the city, state and ZIP agree, but not the street"
                if result.city_state_zip_ok
                else ("not even the city, state and ZIP agree")
            )
            raise AddressNotFound(
                f"{AddressNotFound.default_message}: {address.one_line()} ({where})",
                city_state_zip_ok=result.city_state_zip_ok,
                operation=_mapping.CLEANSE,
            )
        return result

    def rates(self, shipment: ShipmentRequest) -> list[Rate]:
        """Every USPS rate for ``shipment`` (or only ``shipment.service``), cheapest first.

        The rates the merchant's plan forbids (read from the account's capabilities) are marked
        with their ``restriction``: listed, never chosen as the cheapest or the fastest. For a
        return (``shipment.is_return``) only the services USPS sells as return service are listed.
        """
        request = _mapping.rate_request(shipment, version=self.proxy.settings.version)
        response = self.proxy.call(_mapping.RATE, request)
        parsed = returnable(_mapping.parse_rates(response, OneBalancePayment(), shipment.options), shipment)
        rates = bind(parsed, shipment)
        account, _ = self.proxy.known_account()  # the plan as last read: no GetAccountInfo per rate shop
        return _plan.mark_rates(rates, _plan.plan_limits(account.capabilities))

    # -- labels ------------------------------------------------------------------------------------
    def buy(
        self,
        rate: Rate,
        shipment: ShipmentRequest,
        *,
        idempotency_key: str,
        sample: bool = False,
        cost_account: int | str | None = None,
        image_type: str | None = None,
        after_unknown: bool = False,
        label_spec: LabelSpec | None = None,
    ) -> Label:
        """Buy the label for ``rate`` (from :meth:`rates`) and return it with its image.

        ``idempotency_key`` names this purchase: calling again with the same key (after a timeout,
        a crash, or by mistake) returns the same label and pays once. ``sample=True`` prints a
        sample label that costs nothing. Raises :class:`PlanRestriction` (a service the plan does
        not allow) or :class:`PrintLimitExceeded` (a label dearer than the plan's per-print limit)
        before anything is sent or any postage bought for it, :class:`AddressError`
        when USPS refuses the recipient, and :class:`InsufficientFunds` when the balance cannot
        pay even after the auto-refill policy ran.

        A purchase that raised :class:`OutcomeUnknown` may have happened (printed and paid for,
        the answer lost). Such a key (remembered by this object, or ``after_unknown=True`` when
        another process saw the OutcomeUnknown) is resolved first: it is sent again as it is,
        before the plan check, any funds check or refill, which could refuse it (the label's own
        debit may be why the balance is short). The service answers with the first label if there
        was one. If there was none, it prints it now when the balance pays for it, and otherwise
        refuses it for want of postage: :class:`InsufficientFunds` is raised, and the key must
        not be used again (the service keeps refusing it: buy with a new one).

        A key this object bought a label with lately (its latest 1,024 labels) is answered
        with that label at once, without a call: a double click neither reads the balance nor
        refills it for a label already paid for. A rate quoted for another shipment is refused
        (:class:`RateMismatch`), and so is a key used lately for another purchase
        (:class:`IdempotencyKeyReused`), before anything is sent. The label carries the rate's
        amount (``quoted_cost``) beside what was charged.

        ``label_spec`` is the label's format and size (PNG 4x6 by default; PNG, GIF and PDF also on a
        letter sheet, ZPL and EPL2 on 4x6 thermal stock); ``image_type`` (SWSIM's ``"Pdf"``...) is the
        older way to name the format. One USPS does not print raises
        :class:`~onebalance.LabelFormatUnavailable` before anything is sent.
        """
        tx_id = integrator_tx_id(self.merchant_id, idempotency_key)
        if image_type is not None and label_spec is not None:
            raise ValidationError("image_type: give label_spec or image_type, not both", field="image_type")
        spec = label_spec if image_type is None else _mapping.label_spec(image_type)
        # Bad input raises here, before anything is sent: the request itself when all it needs is known,
        # else the request as given.
        order = self._order(rate, shipment, tx_id, sample, spec) if cost_account is None else None
        if order is None:
            _mapping.ship_request(rate, shipment, tx_id, label_spec=spec, version=self.proxy.settings.version)
        check_quote(rate, shipment)
        use = KeyUse(rate, shipment, _now())
        self._uses.claim(idempotency_key, use)
        try:
            label = self._buy(rate, shipment, tx_id, sample, cost_account, spec, after_unknown, order)
        except OneBalanceError as exc:
            if not maybe_bought(exc):
                self._uses.forget(idempotency_key, use)
            raise
        self._uses.bought(idempotency_key, label)
        return label

    def _order(
        self, rate: Rate, shipment: ShipmentRequest, tx_id: str, sample: bool, spec: LabelSpec | None
    ) -> Order | None:
        """The purchase's CreateIndicium when all it needs is known without a call (the account, the
        recipient's check or a recipient abroad; no cost account named); else None."""
        account = self.proxy.known.account()
        if account is None or account.capabilities.must_use_cost_codes:
            return None
        cleansed = None
        if not _international.abroad(shipment.recipient):
            cleansed = self.proxy.known.check(shipment.recipient)
            if cleansed is None:
                return None
        return self._ordered(rate, shipment, tx_id, sample, None, spec, account, cleansed)

    def _ordered(
        self,
        rate: Rate,
        shipment: ShipmentRequest,
        tx_id: str,
        sample: bool,
        cost_code_id: int | None,
        spec: LabelSpec | None,
        account: Account,
        cleansed: CleansedAddress | None,
    ) -> Order:
        """The purchase's CreateIndicium from what it rests on (bad input raises here)."""
        to_cleanse_hash = cleansed.cleanse_hash if cleansed is not None else None
        if cleansed is not None and to_cleanse_hash:
            # The CleanseHash is of the address as USPS wrote it: the label goes there.
            shipment = shipment.readdressed(cleansed.address)
        payload = functools.partial(
            _mapping.ship_request,
            rate,
            shipment,
            to_cleanse_hash=to_cleanse_hash,
            sample=sample,
            cost_code_id=cost_code_id,
            label_spec=spec,
            version=self.proxy.settings.version,
        )
        return Order(account, shipment, cost_code_id, payload, payload(tx_id))

    def _buy(
        self,
        rate: Rate,
        shipment: ShipmentRequest,
        tx_id: str,
        sample: bool,
        cost_account: int | str | None,
        spec: LabelSpec | None,
        after_unknown: bool,
        order: Order | None,
    ) -> Label:
        known = self._bought.get(tx_id)
        if known is not None:
            logger.info("event=usps_label_replayed merchant=%s tx=%s", self.merchant_id, tx_id)
            return known
        in_doubt = after_unknown or tx_id in self._in_doubt
        # The account as last known: its plan, and its balance as the last answer that carried it left it.
        account, fresh = (order.account, False) if order is not None else self.proxy.known_account()
        # A key that may have printed is answered by the service, whatever the plan says now; any other
        # purchase the plan forbids is refused before any postage is bought for it or anything is sent.
        refused = None if in_doubt else _plan.refusal(rate, account.capabilities, transaction_id=tx_id)
        if refused is not None:
            raise refused
        if order is None:
            cost_code_id = None
            if cost_account is not None or account.capabilities.must_use_cost_codes:
                chosen = self.proxy.cost_account(cost_account, account)
                cost_code_id = chosen.id if chosen is not None else None
            # USPS standardises US addresses only: a recipient abroad goes as it is, without a CleanseHash.
            cleansed = None if _international.abroad(shipment.recipient) else self._checked(shipment.recipient)
            order = self._ordered(rate, shipment, tx_id, sample, cost_code_id, spec, account, cleansed)
        shipment, cost_code_id = order.shipment, order.cost_code_id
        if not sample and not in_doubt:
            if not fresh and not self.proxy.pays_without_refill(rate.total.amount, account):
                account = self.proxy.account()  # the known balance may be short or due a refill: read it
            # The account read above spares ensure_funds its first read (a refill re-reads it locked).
            self.proxy.ensure_funds(rate.total.amount, reason=f"a {rate.service_name} label", account=account)
        response, account = print_once(
            self.proxy, order, rate, tx_id, in_doubt=in_doubt or sample, account=account, doubts=self._in_doubt
        )
        image = None if _mapping.image_data(response) else self._fetch(_mapping.label_urls(response), tx_id, "image")
        form_url = _international.form_url(response)
        form = self._fetch([form_url], tx_id, "customs form") if form_url else None
        unreadable: OneBalanceError | None = None
        try:
            documents = _international.customs_form(form, form_url)
            label, balance = _mapping.parse_label(
                response, rate, image=image, label_spec=spec, sample=sample, documents=documents
            )
        except (ProtocolError, ValidationError) as exc:
            unreadable = exc
        if unreadable is not None:
            # Bought and paid: a reading failure is not the caller's bad input (which would free the
            # key in a label journal); the service replays this key, so buying again is safe.
            self._in_doubt.add(tx_id)
            raise OutcomeUnknown(
                f"The label was bought, but the service's answer could not be read ({unreadable.message}): buy "
                "again with the same idempotency key to get the same label (it is not bought twice)",
                idempotency_key=tx_id,
                cause=unreadable,
                operation=_mapping.SHIP,
                transaction_id=tx_id,
            )
        self._in_doubt.discard(tx_id)
        after = _mapping.balance_after(response)
        if after is not None:
            self.proxy.known.balance(*after)  # the next label's funds check needs no GetAccountInfo
        if label.cost.amount > 0:
            self.proxy.debited(label.cost.amount, balance, username=account.username)
        if cost_code_id is not None:
            label = label.model_copy(update={"cost_account_id": cost_code_id})
        label = with_quote(label, rate)
        if shipment.is_return:
            label = label.model_copy(update={"is_return": True})
        self._bought.put(tx_id, label)
        logger.info(
            "event=usps_label merchant=%s service=%s cost=%s sample=%s balance=%s tx=%s",
            self.merchant_id,
            label.service_code,
            label.cost.amount,
            sample,
            balance,
            tx_id,
        )
        return label

    def _checked(self, address: Address) -> CleansedAddress:
        """USPS's check of ``address``: a match made lately (no call), else a CleanseAddress."""
        known = self.proxy.known.check(address)
        return known if known is not None else self.cleanse(address)

    def _fetch(self, urls: list[str], tx_id: str, what: str) -> bytes | None:
        """A page of the label bought as ``tx_id`` from its URL (its image, its customs form): bought and
        paid by then, so a failure is :class:`OutcomeUnknown` (buying again with the key returns it)."""
        lost: OneBalanceError | None = None
        try:
            return self.proxy.fetch_image(urls, tx_id)
        except OneBalanceError as exc:
            lost = exc
        self._in_doubt.add(tx_id)
        # Bought and paid: the caller must not take this for a purchase that did not happen.
        raise OutcomeUnknown(
            f"The label was bought and paid for, but its {what} could not be fetched: buy again with "
            "the same idempotency key to get the same label (it is not bought twice)",
            idempotency_key=tx_id,
            cause=lost,
            operation=_mapping.SHIP,
            transaction_id=tx_id,
        )

    def void(self, label: Label, package: str | None = None) -> VoidResult:
        """Cancel ``label``. USPS refunds later (batched, days): the refund is ``pending``.

        A USPS label carries one package: ``package``, when given, must be its tracking number
        (:class:`ValidationError` otherwise, before anything is sent). A sample label (no tracking,
        no cost) is voided with nothing to refund. Raises :class:`VoidRefused` (too old, already
        used) or :class:`LabelNotFound` from the service.
        """
        if package is not None:
            label.package(package)
        return void_one(self.proxy, label)

    def void_many(self, labels: Sequence[Label]) -> list[LabelVoid]:
        """Cancel several labels; one :class:`LabelVoid` per label, in order, each voided or with its error.

        On SWSIM v135 the labels go in batches (up to 50 per CancelIndicium); on v111 one call per label.
        When the service refuses a batch (one label too old, unknown or already voided), each of its labels
        is sent again alone, so that each gets its own answer. A batch whose outcome is unknown (the
        connection failed after sending) is not sent again: each of its labels carries that error
        (:class:`OutcomeUnknown`); :meth:`void` it again later. A label given twice is sent once.
        """
        return void_many(self.proxy, labels)

    def reprint(self, label: Label | str, label_spec: LabelSpec | None = None) -> Label:
        """The same label printed again (ReprintIndicium), without a new charge: ``label`` (a
        :class:`Label` bought here or kept in a journal, or its tracking number) with a new image in
        ``label_spec``'s format and size (the label's own by default; PNG 4x6 from a tracking number).

        Nothing moves the balance or the postage history. A label known to be voided is refused with
        :class:`ReprintRefused` before anything is sent, and so is a format USPS does not print
        (:class:`LabelFormatUnavailable`); the service refuses a label voided elsewhere or past its ship
        date (:class:`ReprintRefused`) and one it does not know (:class:`LabelNotFound`).
        """
        return reprint(self.proxy, label, label_spec)

    def shipments(
        self,
        start: date | datetime | str,
        end: date | datetime | str | None = None,
        *,
        status: _listing.StatusFilter = None,
        tracking_number: str | None = None,
        page_size: int = 50,
    ) -> Iterator[ShipmentRecord]:
        """Every label printed from ``start`` to ``end`` (inclusive; None: to now), newest first, as
        :class:`ShipmentRecord` objects, fetched a page (``page_size``, 1 to 500) at a time as the
        iteration goes (like stripe's ``auto_paging_iter``).

        ``status`` (one :class:`ShipmentStatus` or several) and ``tracking_number`` keep only the
        records that match. The range, the page size and the statuses are checked here, before
        anything is sent (:class:`ValidationError`: an inverted range names ``end``).
        """
        return _listing.records(self.proxy, _listing.query(start, end, status, tracking_number, page_size))

    def shipment_page(
        self,
        start: date | datetime | str | None = None,
        end: date | datetime | str | None = None,
        *,
        status: _listing.StatusFilter = None,
        tracking_number: str | None = None,
        page_size: int = 50,
        cursor: str | None = None,
    ) -> ShipmentPage:
        """One page of the list :meth:`shipments` walks: the first page of the query, or, given the
        ``cursor`` of a page (:attr:`ShipmentPage.cursor`), the next one (the cursor carries the query).
        The filters apply to each page, so a page may hold fewer than ``page_size`` records, even none,
        while more follow (``has_more``)."""
        if cursor is not None:
            if start is not None or end is not None or status is not None or tracking_number is not None:
                raise ValidationError("cursor: give a cursor or a query, not both", field="cursor")
            return _listing.page(self.proxy, None, cursor)
        return _listing.page(self.proxy, _listing.query(start, end, status, tracking_number, page_size), None)

    # -- the end of the day ------------------------------------------------------------------------
    def scan_form(
        self,
        labels: Sequence[Label | str] | None = None,
        *,
        ship_date: date | None = None,
        from_address: Address | None = None,
    ) -> ScanForm:
        """A SCAN form (CreateManifest) for the day's USPS labels: one barcode the carrier scans for all.

        Without ``labels``, for every label of ``ship_date`` (today by default) not on a form yet; with
        them (labels or tracking numbers), for those. A label named that cannot go on the form (already
        on one, voided, of another ship date) is left out and listed in ``left_out`` with the reason;
        when none can, or the day has no label left, :class:`~onebalance.ScanFormRefused` (its
        ``details`` name each label refused). ``from_address`` is where the packages are handed over
        (the account's address by default). Bad input (a label of another carrier, a malformed
        tracking number) is a :class:`ValidationError` before anything is sent. The form's PDF is on
        ``pdf``. A label on a form can be voided until USPS accepts it (the form then no longer stands
        for that parcel: hand it over to be scanned on its own, or leave it out of the pickup).
        """
        day = ship_date if ship_date is not None else date.today()
        return scan_form(self.proxy, labels, ship_date=day, from_address=from_address)

    def track(self, tracking_number: str) -> Tracking:
        """The parcel's USPS tracking, newest event first."""
        response = self.proxy.call(_mapping_tracking.TRACK, _mapping_tracking.track_request(tracking_number))
        return _mapping_tracking.parse_tracking(response, tracking_number)


_publish(globals(), "onebalance", ("CleansedAddress", "LabelVoid", "UspsShipping"))  # re-exported by onebalance
