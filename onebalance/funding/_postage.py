"""``Postage``: fund a merchant's One Balance: quotes, purchases, presets, receipts, auto-refill, history.

Every rule is checked before anything is bought (the $10 minimum, the account's maximum balance,
the monthly purchase limit, admin rights, cost accounts); the purchase then carries the
ControlTotal last seen and an IntegratorTxID fixed by the quote, so confirming twice never buys
twice and a stale ControlTotal is reported with the refreshed balance instead of buying again.

``Postage`` composes the concerns kept apart: ``_quotes`` (the rules and the price), ``_purchase``
(the journalled purchase), ``_refill_settle`` (purchases cut off mid-way), ``_autorefill`` (what
the SDK's auto-refill buys, its back-off and lock), ``_history`` (the history joined with the
receipts and labels) and ``_notify`` (the notices).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Literal

from onebalance.core import (
    ConfigurationError,
    CostAccountRequired,
    InsufficientFunds,
    InvalidAutoBuySettings,
    OneBalanceError,
    RefillLockTimeout,
    StaleControlTotal,
    UnknownCostAccount,
    ValidationError,
    old_keywords,
)
from onebalance.stores import (
    MINIMUM_PURCHASE,
    AutoRefillSettings,
    FundingSettings,
    LabelJournal,
    PostageRecords,
    RefillEntry,
    RefillJournal,
    Store,
    journal_for,
)
from onebalance.swsim import AUTO_BUY_OLD_NAMES, Account, AutoBuySettings, CostAccount, OneBalance, Receipt, RefillKind

from ._autorefill import (
    REFILL_ATTEMPTS,
    RefillPlan,
    backoff_for,
    plan_refill,
    process_refill_lock,
    proposal,
    refill_due,
    report_failure,
    shortfall_error,
)
from ._history import History, HistoryType, cost_account_name, join_history, usps_prints
from ._notify import LowBalanceEvent, Notifier, RefillEvent, RefillProposal, deliver
from ._purchase import purchase
from ._quotes import (
    Balance,
    Quote,
    balance_of,
    check_monthly_limit,
    check_purchase,
    check_room,
    money,
    new_quote,
)
from ._refill_settle import SETTLE_AFTER, RefillSettlement, settle

__all__ = ["Postage"]

logger = logging.getLogger("onebalance")


class Postage:
    """One merchant's postage funding. Get it from :meth:`Accounts.postage` or build it on a client."""

    def __init__(
        self,
        merchant_id: str,
        client: OneBalance,
        records: PostageRecords | None = None,
        *,
        store: Store | None = None,
        prompt: Callable[[RefillProposal], bool] | None = None,
        notifiers: Sequence[Notifier] = (),
        now: Callable[[], datetime] | None = None,
        refills: RefillJournal | None = None,
    ) -> None:
        """``records`` keep the receipts and settings; a ``store`` gives them (unless ``records`` is
        given too) and the auto-refill lock shared by every process that uses the store.

        ``refills`` is the refill journal every purchase is written down in before it is sent: by
        default the store's (``store.refills``), else a table of the records' SQLite file, else in
        memory."""
        if records is None:
            if store is None:
                raise ConfigurationError("Postage needs records (a PostageRecords) or a store (a Store)")
            records = store.records
        self.merchant_id = merchant_id
        self.client = client
        self.store = store
        self.records = records
        if refills is None:
            refills = store.refills if store is not None else journal_for(records)
        self.refills = refills
        self.prompt = prompt
        self.notifiers = list(notifiers)
        self._now = now or (lambda: datetime.now(timezone.utc))

    # -- reading ---------------------------------------------------------------------------------
    @property
    def settings(self) -> FundingSettings:
        return self.records.settings(self.merchant_id)

    def update_settings(self, **changes: object) -> FundingSettings:
        """Change some of the merchant's funding settings (validated) and keep them."""
        current = self.settings.model_dump()
        current.update(changes)
        settings = FundingSettings(**current)
        self.records.put_settings(self.merchant_id, settings)
        return settings

    def balance(self) -> Balance:
        account = self.client.account()
        return self._balance(account)

    def _balance(self, account: Account) -> Balance:
        return balance_of(account, self.settings.low_balance_threshold)

    def cost_accounts(self) -> list[CostAccount]:
        return self.client.cost_accounts()

    def find_cost_account(self, wanted: int | str) -> CostAccount:
        """The account's cost account with this id or name (:class:`UnknownCostAccount` if none)."""
        for cost_account in self.cost_accounts():
            if wanted in (cost_account.id, cost_account.name) or str(wanted) == str(cost_account.id):
                return cost_account
        raise UnknownCostAccount(f"No cost account {wanted!r} on this account", field="cost_account")

    def cost_account(self, wanted: int | str | None, account: Account) -> CostAccount | None:
        """The cost account a charge goes to: ``wanted`` (an id or name, :class:`UnknownCostAccount` if
        the account has none such), or none when ``wanted`` is None, unless ``account`` (as just read)
        must use cost codes: then :class:`CostAccountRequired`."""
        if wanted is None:
            if account.capabilities.must_use_cost_codes:
                raise CostAccountRequired(field="cost_account")
            return None
        return self.find_cost_account(wanted)

    # -- quoting and buying ----------------------------------------------------------------------
    def quote(
        self,
        amount: Decimal | int | str | None = None,
        *,
        preset: Literal["last", "default"] | None = None,
        cost_account: int | str | None = None,
    ) -> Quote:
        """Check a purchase against every rule and price it; nothing is bought.

        Give ``amount`` ("other amount"), or ``preset="last"`` (the last refill's amount) or
        ``preset="default"`` (the merchant's default refill amount).
        """
        if (amount is None) == (preset is None):
            raise ValidationError("give an amount or a preset ('last' or 'default')", field="amount")
        kind: RefillKind = "manual"
        if preset == "last":
            last = self.records.last_refill(self.merchant_id)
            if last is None:
                raise ValidationError("there is no earlier refill to repeat", field="preset")
            amount, kind = last.amount, "last"
        elif preset == "default":
            amount, kind = self.settings.default_refill_amount, "default"
        elif preset is not None:
            raise ValidationError("preset must be 'last' or 'default'", field="preset")
        assert amount is not None
        return self._quote(money(amount), kind=kind, cost_account=cost_account, account=self.client.account())

    def _quote(self, amount: Decimal, *, kind: RefillKind, cost_account: int | str | None, account: Account) -> Quote:
        check_purchase(amount, account)
        chosen = self.cost_account(cost_account, account)
        check_room(amount, account, self._balance(account))
        limit = Decimal(account.monthly_postage_purchase_limit)
        if limit > 0:
            check_monthly_limit(amount, self.month_to_date(), limit)
        return new_quote(
            self.merchant_id,
            account,
            amount,
            kind=kind,
            cost_account=chosen,
            methods=self.client.payment_methods(),
            has_mailstation=self.settings.has_mailstation,
            now=self._now(),
        )

    def month_to_date(self) -> Decimal:
        """Postage bought this calendar month (UTC), from the service's history."""
        today = self._now().date()
        purchases = self.client.balance_history(today.replace(day=1), today, ("Purchase",))
        return sum((t.credit for t in purchases), Decimal("0.00"))

    def buy(self, quote: Quote) -> Receipt:
        """Confirm a quote: buy it exactly once. Confirming the same quote again returns its receipt."""
        if quote.merchant_id != self.merchant_id:
            raise ValidationError("this quote is for another merchant", field="quote")
        done = self.records.receipt_for(quote.integrator_tx_id)
        if done is not None and done.status == "Success":
            return done
        receipt = purchase(self.client, self.records, self.refills, quote, self._now)
        if receipt.status == "Success":
            self._warn_if_low(receipt.balance_after, quote.username)
        return receipt

    def add(self, amount: Decimal | int | str, *, cost_account: int | str | None = None) -> Receipt:
        """Quote and buy in one step."""
        return self.buy(self.quote(amount, cost_account=cost_account))

    # -- purchases cut off mid-way ---------------------------------------------------------------
    def pending(self, *, started_before: datetime | None = None) -> list[RefillEntry]:
        """The merchant's purchases (manual and automatic refills) whose outcome is unknown, oldest
        first: sent, or about to be, when their process died or their answer was lost. Each is
        resolved by :meth:`settle`. ``started_before``: only those sent before that (aware) time."""
        return self.refills.pending(self.merchant_id, started_before=started_before)

    def settle(
        self, integrator_tx_id: str | None = None, *, older_than: timedelta = SETTLE_AFTER
    ) -> list[RefillSettlement]:
        """Resolve the merchant's pending purchases (or the one with ``integrator_tx_id``) against the
        service, and never buy anything.

        Each is asked about by its IntegratorTxID, which the service answers with the first call's
        result if it had the purchase: then its receipt is made (``outcome="bought"``); else the
        service refuses the question as a new purchase and it is marked ``not_bought`` (buying the
        postage then is a new purchase, for the user to ask for). A purchase the service is still
        processing, or sent less than ``older_than`` ago (its worker may still be waiting for the
        answer), stays ``pending``. Run it when a worker starts, or from ``onebalance postage settle``.
        """
        return settle(
            self.client,
            self.records,
            self.refills,
            self.merchant_id,
            integrator_tx_id,
            older_than=older_than,
            now=self._now(),
        )

    def debited(self, amount: Decimal, balance: Decimal, *, username: str | None = None) -> None:
        """Note that ``amount`` was just taken from the balance (a label printed), leaving ``balance``.

        When that took the balance under the low-balance threshold, the warning is given: once per
        crossing, by the operation that crossed it (the next label, still under it, says nothing).
        :class:`UspsShipping` calls it after every label it buys. It never raises: the money has moved.
        """
        try:
            threshold = self.settings.low_balance_threshold
        except OneBalanceError as exc:  # the records cannot be read: the label stands all the same
            logger.warning("event=low_balance_unchecked merchant=%s error=%s", self.merchant_id, type(exc).__name__)
            return
        if threshold is not None and balance < threshold <= balance + amount:
            self._warn_if_low(balance, username or self.client.username)

    def _warn_if_low(self, balance: Decimal, username: str) -> None:
        threshold = self.settings.low_balance_threshold
        if threshold is not None and balance < threshold:
            logger.warning(
                "event=low_balance merchant=%s balance=%s threshold=%s", self.merchant_id, balance, threshold
            )
            deliver(
                self.notifiers,
                LowBalanceEvent(merchant_id=self.merchant_id, username=username, balance=balance, threshold=threshold),
            )

    # -- the service's auto-buy ------------------------------------------------------------------
    @old_keywords(*AUTO_BUY_OLD_NAMES)
    def set_auto_buy(
        self,
        enabled: bool,
        *,
        amount: Decimal | int | str | None = None,
        threshold: Decimal | int | str | None = None,
    ) -> AutoBuySettings:
        """Set the service's own auto-refill: buy ``amount`` whenever the balance falls below
        ``threshold``; checked as the service would, then read back."""
        purchase = money(amount, "amount") if amount is not None else None
        trigger = money(threshold, "threshold") if threshold is not None else None
        if enabled:
            if purchase is None or trigger is None:
                raise ValidationError(
                    "an enabled auto-refill needs amount and threshold",
                    field="amount" if purchase is None else "threshold",
                )
            if purchase < MINIMUM_PURCHASE:
                raise InvalidAutoBuySettings(
                    f"The auto-refill amount must be at least ${MINIMUM_PURCHASE}",
                    code="0045018e",
                    field="amount",
                )
            account = self.client.account()
            if purchase + trigger > account.max_postage_balance:
                raise InvalidAutoBuySettings(
                    f"Threshold plus amount (${trigger + purchase:,.2f}) must not exceed the maximum balance of "
                    f"${account.max_postage_balance:,.2f}",
                    code="0045018f",
                    field="amount",
                )
        self.client.set_auto_buy(enabled, purchase, trigger)
        settings = self.client.account().auto_buy
        return settings or AutoBuySettings(enabled=False)

    # -- the SDK's auto-refill -------------------------------------------------------------------
    def ensure_funds(
        self, needed: Decimal | int | str, *, reason: str = "a label", account: Account | None = None
    ) -> Receipt | None:
        """Make sure ``needed`` can be paid, refilling first when the auto-refill policy says so.

        Run it before a label purchase. When the balance after paying would fall below the policy's
        threshold, it buys the policy's amount (never past the maximum balance, nothing when less
        than $10.00 of room is left), after asking the prompt hook if the merchant wants to be
        asked, and notifies afterwards. When that amount would not pay for the label, it buys what
        would only if the policy allows it (``cover_shortfall``; the prompt hook, when set, sees the
        exact amount first), and otherwise raises :class:`InsufficientFunds` with that purchase as
        its ``proposal``.

        A refill that fails (the user may not buy postage, the purchase is rejected, the monthly
        limit is reached...) never stops a label the balance pays for: the failure is logged at
        WARNING (``event=auto_refill_failed``) and sent to the notifiers as a
        :class:`RefillFailedEvent`, ``None`` is returned, and the next refill waits for the
        back-off (5 minutes, doubled after each failure in a row, at most an hour). When the
        balance does not pay for the label, the refill's error is raised.

        Racing callers on one merchant refill once: the refill is decided and bought holding the
        merchant's refill lock (the store's, shared by every process using it), with the balance
        read again once the lock is held. A refill refused for a stale ControlTotal (labels
        printed elsewhere meanwhile; nothing was bought) is decided again on the fresh balance, up
        to three times. Raises :class:`InsufficientFunds` when ``needed`` still cannot be paid, and
        :class:`RefillLockTimeout` (nothing bought) when the lock is not had within the store's
        ``lock_timeout`` and the balance does not pay for the label.

        ``account``: the account as the caller has just read it (:meth:`OneBalance.account`), to
        spare the first, unlocked read; a refill is still decided on a fresh read under the lock.
        """
        cost = money(needed, "needed")
        if account is None:
            account = self.client.account()
        policy = self.settings.auto_refill
        if policy is None or not refill_due(policy, account, cost):
            if cost > account.available_postage:
                raise InsufficientFunds(needed=cost, available=account.available_postage, operation="ensure_funds")
            return None
        backoff = backoff_for(self.client)
        waiting = backoff.waiting(self._now())
        if waiting is not None and cost <= account.available_postage:
            logger.info("event=auto_refill_backoff merchant=%s until=%s", self.merchant_id, waiting.isoformat())
            return None
        receipt = None
        try:
            with self._refill_guard():
                for attempt in range(1, REFILL_ATTEMPTS + 1):
                    # Read again under the lock: a worker that waited here while another refilled sees
                    # the refill, and does not buy a second one.
                    account = self.client.account()
                    fresh = self.settings.auto_refill
                    if fresh is None or not refill_due(fresh, account, cost):
                        break
                    policy = fresh
                    try:
                        receipt = self._auto_refill(policy, account, cost, reason)
                        break
                    except StaleControlTotal:
                        # Labels printed elsewhere meanwhile; the service bought nothing. Decide again
                        # on the fresh balance (still holding the lock).
                        if attempt == REFILL_ATTEMPTS:
                            raise
                        logger.info("event=auto_refill_stale merchant=%s attempt=%s", self.merchant_id, attempt)
        except InsufficientFunds:
            raise
        except OneBalanceError as exc:
            if cost > account.available_postage:
                raise
            self._refill_failed(exc, policy, account, cost)
            return None
        if receipt is not None:
            backoff.succeeded()
        available = receipt.balance_after if receipt else account.available_postage
        if cost > available:
            raise InsufficientFunds(needed=cost, available=available, operation="ensure_funds")
        return receipt

    def _refill_guard(self) -> AbstractContextManager[object]:
        """The merchant's refill lock: the store's (every process) or, without one, this process's."""
        if self.store is not None:
            return self.store.refill_lock(self.merchant_id)
        return process_refill_lock(f"{self.client.endpoint}|{self.client.username}")

    def _auto_refill(
        self, policy: AutoRefillSettings, account: Account, needed: Decimal, reason: str
    ) -> Receipt | None:
        plan = plan_refill(policy.amount, account.available_postage, account.max_postage_balance, needed)
        if plan.enough and plan.amount is not None:
            amount = plan.amount
        elif plan.covering is None:
            # No refill the maximum balance allows would pay for the label: no money moves for nothing.
            logger.info(
                "event=auto_refill_skipped merchant=%s reason=no_room room=%s needed=%s",
                self.merchant_id,
                account.max_postage_balance - account.available_postage,
                needed,
            )
            return None
        elif not policy.cover_shortfall:
            raise self._shortfall(policy, account, needed, plan)
        else:
            amount = plan.covering
        quote = self._quote(amount, kind="auto_refill", cost_account=policy.cost_account_id, account=account)
        # More than the merchant configured is shown to the prompt hook, when there is one, first.
        ask = policy.prompt_before_refill or (not plan.enough and self.prompt is not None)
        if ask and (self.prompt is None or not self.prompt(proposal(quote, account, needed, policy))):
            logger.info("event=auto_refill_declined merchant=%s amount=%s", self.merchant_id, amount)
            return None
        receipt = self.buy(quote)
        deliver(
            self.notifiers,
            RefillEvent(
                merchant_id=self.merchant_id,
                receipt=receipt,
                notify_email=policy.notify_email,
                reason=(
                    f"The balance of ${account.available_postage:,.2f} would have fallen below "
                    f"${policy.threshold:,.2f} after {reason} costing ${needed:,.2f}."
                ),
            ),
        )
        return receipt

    def _shortfall(
        self, policy: AutoRefillSettings, account: Account, needed: Decimal, plan: RefillPlan
    ) -> InsufficientFunds:
        """The policy's amount would not pay for the label: the error proposes what would."""
        assert plan.covering is not None
        proposed = None
        try:
            quote = self._quote(plan.covering, kind="auto_refill", cost_account=policy.cost_account_id, account=account)
            proposed = proposal(quote, account, needed, policy)
        except OneBalanceError as exc:  # that purchase would be refused too: the error proposes nothing
            logger.info("event=auto_refill_proposal_refused merchant=%s error=%s", self.merchant_id, type(exc).__name__)
        return shortfall_error(self.merchant_id, account.available_postage, needed, plan, proposed)

    def _refill_failed(
        self, error: OneBalanceError, policy: AutoRefillSettings, account: Account, needed: Decimal
    ) -> None:
        """Report a refill that failed before a label the balance pays for, and start the back-off."""
        if isinstance(error, RefillLockTimeout):
            # Another worker holds the lock (refilling, most likely): nothing failed, nothing to report.
            logger.warning("event=auto_refill_skipped merchant=%s reason=lock_timeout", self.merchant_id)
            return
        retry_after = backoff_for(self.client).failed(self._now())
        report_failure(self.notifiers, self.merchant_id, error, policy, account, needed, retry_after)

    # -- history ---------------------------------------------------------------------------------
    #: The label journal (set by :meth:`Accounts.postage`): it links each USPS print to its cost account.
    labels: LabelJournal | None = None

    def history(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        types: Sequence[HistoryType] | None = None,
        cost_account: int | str | None = None,
    ) -> History:
        """The balance history (service) joined with the SDK's records: each purchase with its receipt
        (receipt id, cost account) and each label print with the cost account it was charged to.

        The service's history names neither, so purchases are matched to receipts, and prints to the
        labels in :attr:`labels` (the journal), by amount and time (within 10 minutes); cost account
        names come from EnumCostCodes. A print the SDK did not buy shows no cost account.
        """
        today = self._now().date()
        since = since or today - timedelta(days=30)
        lines = self.client.balance_history(since, until, tuple(types) if types else ("All",))
        receipts = list(self.records.receipts(self.merchant_id))
        prints = usps_prints(self.labels, self.merchant_id)
        names: dict[int, str] = {}
        if cost_account is not None or any(p.cost_account_id is not None for ps in prints.values() for p in ps):
            names = {c.id: c.name for c in self.cost_accounts()}
        wanted = cost_account_name(cost_account, names) if cost_account is not None else None
        entries = join_history(lines, receipts, prints, names, wanted)
        return History(merchant_id=self.merchant_id, since=since, until=until, entries=entries)
