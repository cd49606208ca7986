"""Telling people about refills and low balances: a plain callback, or email over SMTP.

A notifier never undoes or blocks money that already moved: its failures are logged and
swallowed.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from onebalance.core import OldName, Renamed
from onebalance.swsim import Receipt

logger = logging.getLogger("onebalance")


class RefillProposal(Renamed):
    """What an auto-refill is about to buy; the prompt hook approves (True) or declines (False) it."""

    model_config = ConfigDict(frozen=True)
    __old_names__: ClassVar[tuple[OldName, ...]] = (OldName("total_charged", "total"),)

    merchant_id: str
    amount: Decimal
    fee: Decimal
    total: Decimal
    """The amount plus the fee: what the payment method is charged."""
    balance: Decimal
    needed: Decimal
    threshold: Decimal
    cost_account: str | None = None


class RefillEvent(BaseModel):
    """An automatic refill happened."""

    model_config = ConfigDict(frozen=True)

    kind: str = "refill"
    merchant_id: str
    receipt: Receipt
    reason: str
    notify_email: str | None = None

    def subject(self) -> str:
        return f"Postage refilled: ${self.receipt.amount:,.2f} added to {self.receipt.username}"

    def body(self) -> str:
        return f"{self.reason}\n\n{self.receipt.text()}"


class RefillFailedEvent(BaseModel):
    """An automatic refill was tried and failed; the label it came before went ahead on the balance.

    ``error`` is the error's class name (``PermissionDenied``, ``MonthlyLimitExceeded``,
    ``PurchaseRejected``...), ``detail`` its message; ``retry_after`` is when the next label
    may try to refill again (the back-off).
    """

    model_config = ConfigDict(frozen=True)

    kind: str = "refill_failed"
    merchant_id: str
    username: str
    amount: Decimal | None = None
    balance: Decimal
    needed: Decimal
    threshold: Decimal
    error: str
    detail: str
    code: str | None = None
    retry_after: datetime
    notify_email: str | None = None

    def subject(self) -> str:
        return f"Postage refill failed for {self.username}: {self.error}"

    def body(self) -> str:
        tried = f"add ${self.amount:,.2f} of postage" if self.amount is not None else "add postage"
        return (
            f"The automatic refill tried to {tried} to {self.username} and failed: {self.detail}\n\n"
            f"The label of ${self.needed:,.2f} goes ahead: the balance of ${self.balance:,.2f} pays for it, "
            f"but leaves less than the refill threshold of ${self.threshold:,.2f}. The next refill is tried "
            f"with a label after {self.retry_after:%Y-%m-%d %H:%M} UTC; add postage before then if the "
            "balance runs short.\n"
        )


class LowBalanceEvent(BaseModel):
    """The balance is below the merchant's low-balance warning threshold."""

    model_config = ConfigDict(frozen=True)

    kind: str = "low_balance"
    merchant_id: str
    username: str
    balance: Decimal
    threshold: Decimal

    def subject(self) -> str:
        return f"Low postage balance: ${self.balance:,.2f} left in {self.username}"

    def body(self) -> str:
        return (
            f"The One Balance postage balance of {self.username} is ${self.balance:,.2f}, below the "
            f"warning threshold of ${self.threshold:,.2f}. Add postage before printing more USPS labels.\n"
        )


Event = RefillEvent | RefillFailedEvent | LowBalanceEvent


class Notifier(Protocol):
    def notify(self, event: Event) -> None: ...


class CallbackNotifier:
    """Calls ``fn(event)`` for every event."""

    def __init__(self, fn: Callable[[Event], None]) -> None:
        self.fn = fn

    def notify(self, event: Event) -> None:
        self.fn(event)


class EmailNotifier:
    """Sends each event as an email through an SMTP server (STARTTLS and login when configured).

    ``recipients`` is fixed here; otherwise ``recipients_for(merchant_id)``; otherwise the address in
    the merchant's auto-refill settings (``notify_email``), which refill events carry.
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        recipients: Sequence[str] = (),
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        recipients_for: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.recipients = tuple(recipients)
        self.starttls, self.username, self._password, self.timeout = starttls, username, password, timeout
        self.recipients_for = recipients_for

    def __repr__(self) -> str:
        return f"EmailNotifier(host={self.host!r}, port={self.port}, sender={self.sender!r})"

    def notify(self, event: Event) -> None:
        to = list(self.recipients) or list(self.recipients_for(event.merchant_id) if self.recipients_for else [])
        if not to and isinstance(event, (RefillEvent, RefillFailedEvent)) and event.notify_email:
            to = [event.notify_email]  # the merchant's own address from its auto-refill settings
        if not to:
            return
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = event.subject()
        message.set_content(event.body())
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username and self._password:
                smtp.login(self.username, self._password)
            smtp.send_message(message)


def deliver(notifiers: Sequence[Notifier], event: Event) -> None:
    for notifier in notifiers:
        try:
            notifier.notify(event)
        except Exception as exc:  # a notice must never undo a refill
            logger.warning(
                "event=notify_failed notifier=%s kind=%s error=%s",
                type(notifier).__name__,
                event.kind,
                type(exc).__name__,
            )
