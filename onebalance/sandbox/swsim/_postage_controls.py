"""The control API's postage and labels: the ledger (print, refund, adjust, credit, check), the
payment and purchase knobs, auto-buy, cost codes and limits, and the labels CreateIndicium printed."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import ValidationError as PydanticValidationError

from .._shared._vocabulary import money
from . import _labels, _ledger, _payments, _postage
from ._account_controls import AccountControls
from ._account_models import (
    AutoBuy,
    BillingMethod,
    Charge,
    CostCode,
    Label,
    LedgerEntry,
    PaymentMethod,
    PurchaseOutcome,
    ScanFormRecord,
)

#: ``add_funding_account`` kinds and the BillingMethod they pay with.
FUNDING_ACCOUNTS: dict[str, BillingMethod] = {"reserve_account": "EnterprisePaymentAccount", "purchase_power": "OMAS"}
_COST_CODE_NAME_MAX = 30


class PostageControls(AccountControls):
    """The control methods of postage and labels (a part of :class:`Sandbox`)."""

    # -- postage ---------------------------------------------------------------------------------
    def print_postage(self, username: str, amount: Decimal | str | int, memo: str = "") -> list[LedgerEntry]:
        """Another application prints a label: a Print entry debits ``amount`` and raises the
        control total (so a client's ControlTotal is stale), then the service-side auto-buy runs.

        Returns copies of the entries added (the Print, and the auto-buy's Purchase if one was
        made). ValueError if the balance is short (insufficient postage) or the amount is not
        a positive number of cents. Holds do not stop it: the printing happened elsewhere.
        """
        with self.state.lock:
            account = self._get(username)
            entries = _ledger.debit_for_print(self.state, account, money(amount), memo)
            self.state.flush()
            return [e.model_copy() for e in entries]

    def refund(self, username: str, amount: Decimal | str | int, memo: str = "") -> LedgerEntry:
        """A printed label was refunded: a Refund entry credits ``amount`` and lowers the control total.

        Nothing is clamped: ValueError if the amount is not positive, is more than the postage
        consumed (the control total), or would take the balance above its maximum.
        """
        with self.state.lock:
            account = self._get(username)
            value = money(amount)
            if value <= 0:
                raise ValueError(f"a refund is a positive amount, not {value}")
            if value > account.control_total:
                raise ValueError(f"cannot refund {value}: only {account.control_total} of postage was consumed")
            if account.available_postage + value > account.max_postage_balance:
                raise ValueError(
                    f"a refund of {value} would take the balance above its maximum of {account.max_postage_balance}"
                )
            entry = _ledger.post(self.state, account, "Refund", credit=value, memo=memo)
            self.state.flush()
            return entry.model_copy()

    def adjust(self, username: str, amount: Decimal | str | int, memo: str = "") -> LedgerEntry:
        """The provider corrects the balance: an Adjustment of ``amount`` (positive credits, negative
        debits). The control total does not move. ValueError if the balance would leave [0, maximum]."""
        return self._credit_or_adjust(username, "Adjustment", amount, memo)

    def credit(self, username: str, amount: Decimal | str | int, memo: str = "") -> LedgerEntry:
        """The provider credits postage (a promotion, a goodwill credit): a Credit entry of a positive
        ``amount``. ValueError if the balance would exceed its maximum."""
        if money(amount) <= 0:
            raise ValueError(f"a credit is a positive amount, not {amount}")
        return self._credit_or_adjust(username, "Credit", amount, memo)

    def _credit_or_adjust(
        self, username: str, kind: Literal["Credit", "Adjustment"], amount: Decimal | str | int, memo: str
    ) -> LedgerEntry:
        with self.state.lock:
            account = self._get(username)
            value = money(amount)
            if not value:
                raise ValueError("an adjustment of 0.00 changes nothing")
            if not 0 <= account.available_postage + value <= account.max_postage_balance:
                raise ValueError(
                    f"{kind.lower()} of {value} would take the balance {account.available_postage} "
                    f"outside [0, {account.max_postage_balance}]"
                )
            entry = _ledger.post(
                self.state,
                account,
                kind,
                credit=value if value > 0 else _ledger.ZERO,
                cost=-value if value < 0 else _ledger.ZERO,
                memo=memo,
            )
            self.state.flush()
            return entry.model_copy()

    def ledger(self, username: str) -> list[LedgerEntry]:
        """Copies of the account's ledger entries, oldest first."""
        with self.state.lock:
            return [e.model_copy() for e in self._get(username).ledger]

    def charges(self, username: str) -> list[Charge]:
        """Copies of what the account's purchases charged to its payment methods, oldest first."""
        with self.state.lock:
            return [c.model_copy() for c in self._get(username).charges]

    def check_ledger(self, username: str) -> None:
        """Check the ledger invariants (see ``_ledger``); AssertionError listing every problem."""
        with self.state.lock:
            found = _ledger.problems(self._get(username))
        if found:
            raise AssertionError(f"the ledger of sandbox account {username!r} is inconsistent:\n" + "\n".join(found))

    def set_mailstation(self, username: str, value: bool) -> None:
        """Give the account a Mailstation device (or take it away): credit-card purchases then pay a 3.5% fee."""
        self._update(username, lambda a: setattr(a, "has_mailstation", bool(value)))

    def add_funding_account(self, username: str, kind: str) -> PaymentMethod:
        """Add a Reserve Account (``"reserve_account"``, BillingMethod EnterprisePaymentAccount) or
        Purchase Power (``"purchase_power"``, BillingMethod OMAS) and make it the default (which
        lifts a payment hold). Neither pays an administrative fee. Returns a copy of it."""
        if kind not in FUNDING_ACCOUNTS:
            raise ValueError(f"kind must be one of {sorted(FUNDING_ACCOUNTS)}, not {kind!r}")
        with self.state.lock:
            account = self._get(username)
            method_id = str(self.state.next_id("payment_method", 700000))
            method = PaymentMethod(
                id=method_id,
                billing_method=FUNDING_ACCOUNTS[kind],
                last4=method_id[-4:],
            )
            _payments.store(self.state, account, method, default=True)
            self.state.touch(account)
            self.state.flush()
            return method.model_copy()

    def set_next_purchase_outcome(self, username: str, status: str, rejection_code: str | None = None) -> None:
        """Make the account's next PurchasePostage (not an auto-buy) answer ``status`` once its checks pass.

        ``"Rejected"`` answers Rejected with ``rejection_code`` (CustomerActionRequired,
        SystemFailure or RejectedDueToFraud; CustomerActionRequired if omitted): nothing is
        bought, no hold is placed. ``"Pending"`` or ``"Processing"`` answer that status: the
        purchase completes on the account's next GetAccountInfo. ``"Success"`` clears the knob.
        """
        if status == "Success":
            outcome = None
        else:
            try:
                outcome = PurchaseOutcome.model_validate({"status": status, "rejection_code": rejection_code})
            except PydanticValidationError as exc:
                raise ValueError(str(exc)) from None
            if status != "Rejected" and rejection_code is not None:
                raise ValueError("a rejection code goes only with the status Rejected")
        self._update(username, lambda a: setattr(a, "next_purchase_outcome", outcome))

    def set_cost_codes(self, username: str, names: list[str]) -> list[CostCode]:
        """Replace the account's cost codes (EnumCostCodes). A name kept keeps its id; new names get
        new ids. ValueError for an empty, duplicate or over-30-character name, or more than the
        account's CostCodeLimit. Returns copies of them."""
        with self.state.lock:
            account = self._get(username)
            if len({n.casefold() for n in names}) != len(names):
                raise ValueError("cost code names must be unique")
            if len(names) > account.cost_code_limit:
                raise ValueError(f"the account may have at most {account.cost_code_limit} cost codes")
            for name in names:
                if not name.strip() or len(name) > _COST_CODE_NAME_MAX:
                    raise ValueError(f"a cost code name has 1 to {_COST_CODE_NAME_MAX} characters: {name!r}")
            ids = {c.name: c.id for c in account.cost_codes}
            next_id = max([c.id for c in account.cost_codes], default=0)
            codes = []
            for name in names:
                if name not in ids:
                    next_id += 1
                    ids[name] = next_id
                codes.append(CostCode(id=ids[name], name=name))
            account.cost_codes = codes
            self.state.touch(account)
            self.state.flush()
            return [c.model_copy() for c in codes]

    def set_monthly_limit(self, username: str, amount: int | str) -> None:
        """Set MonthlyPostagePurchaseLimit (whole dollars; purchases and auto-buys of the calendar month count)."""
        value = money(amount, "the monthly limit")
        if value != value.to_integral_value() or value < 0:
            raise ValueError(f"the monthly limit is a whole, non-negative number of dollars, not {amount!r}")
        self._update(username, lambda a: setattr(a, "monthly_postage_purchase_limit", int(value)))

    def set_auto_buy(
        self,
        username: str,
        enabled: bool,
        purchase_amount: Decimal | str | int = "0.00",
        trigger_amount: Decimal | str | int = "0.00",
    ) -> None:
        """Set the auto-buy settings as SetAutoBuy would, without its hold and permission checks.

        ValueError for settings SetAutoBuy refuses (trigger <= 0, purchase < $10.00, their sum
        above the maximum balance).
        """
        auto = AutoBuy(
            enabled=bool(enabled),
            purchase_amount=money(purchase_amount, "purchase_amount"),
            trigger_amount=money(trigger_amount, "trigger_amount"),
        )
        with self.state.lock:
            account = self._get(username)
            problem = _postage.auto_buy_problem(auto, account.max_postage_balance)
            if problem is not None:
                raise ValueError(f"{problem[1]} [{problem[0]}]")
            account.auto_buy = auto
            self.state.touch(account)
            self.state.flush()

    # -- labels ----------------------------------------------------------------------------------
    def set_label_surcharge(self, username: str, amount: Decimal | str | int) -> None:
        """Every label CreateIndicium prints for the account from now on costs ``amount`` more than
        its rate (a re-rating at print time: the Amount answered and debited includes it); "0.00"
        stops it. Sample labels stay free. ``ValueError`` for a negative amount."""
        value = money(amount, "the label surcharge")
        if value < 0:
            raise ValueError(f"the label surcharge cannot be negative, not {amount!r}")
        self._update(username, lambda a: setattr(a, "label_surcharge", value))

    def approve_refunds(self, username: str) -> list[Label]:
        """USPS approves every pending refund of the account's voided labels: each is credited
        (a Refund entry; the control total goes down). Returns copies of the labels refunded. A
        refund that would take the balance above its maximum stays pending."""
        with self.state.lock:
            account = self._get(username)
            approved = _labels.approve_refunds(self.state, account)
            self.state.flush()
            return [label.model_copy() for label in approved]

    def labels(self, username: str) -> list[Label]:
        """Copies of the labels CreateIndicium printed for the account, oldest first."""
        with self.state.lock:
            return [label.model_copy() for label in self._get(username).labels]

    def scan_forms(self, username: str) -> list[ScanFormRecord]:
        """Copies of the SCAN forms CreateManifest made for the account, oldest first (each with its labels)."""
        with self.state.lock:
            return [form.model_copy(deep=True) for form in self._get(username).scan_forms]

    def label(self, username: str, stamps_tx_id: str) -> Label:
        """A copy of one label by its StampsTxID; KeyError if the account has none such."""
        with self.state.lock:
            for label in self._get(username).labels:
                if label.stamps_tx_id == stamps_tx_id.lower():
                    return label.model_copy()
        raise KeyError(f"no label {stamps_tx_id!r} for {username!r}")
