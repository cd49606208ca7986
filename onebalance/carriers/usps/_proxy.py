"""``UspsProxy``: all of USPS's I/O, through the merchant's One Balance.

The SWSIM calls go through the merchant's One Balance client (its conversation, timeouts and retry
policy); the label image, when CreateIndicium answers with a URL instead of the image, is fetched
with that client's session; the postage (cost accounts, the refill before a label, the balance
after it) goes through the merchant's :class:`~onebalance.Postage`. Nothing here decides anything.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onebalance.core import Safety, Transient, TransportError, run, send
from onebalance.funding import Postage, refill_due
from onebalance.swsim import Account, CostAccount, Reads

from . import _mapping
from ._known import Known, known_for
from ._settings import UspsSettings

__all__ = ["UspsProxy"]


class UspsProxy:
    """USPS's calls for one merchant, through its :class:`~onebalance.Postage` and One Balance client."""

    def __init__(self, postage: Postage) -> None:
        self.postage = postage
        self.client = postage.client
        self.settings = UspsSettings(merchant_id=postage.merchant_id, version=postage.client.api_version)
        #: What the client's last answers said (the account, address checks), shared by its threads.
        self.known: Known = known_for(postage.client)

    # -- SWSIM ---------------------------------------------------------------------------------------
    def call(
        self, operation: str, payload: dict[str, Any], *, transaction_id: str | None = None, reads: Reads | None = None
    ) -> dict[str, Any]:
        """One SWSIM operation (``_mapping.RATE``...) with the mapping's ``payload``; its answer as a dict
        (``reads``: only the fields the mapping reads of it, such as ``_mapping.LABEL_READS``)."""
        return self.client.call(operation, payload, transaction_id=transaction_id, reads=reads)

    def account(self) -> Account:
        """The account as it is now (GetAccountInfo): its balance and the capabilities the plan grants."""
        return self.known.read(self.client.account())

    def known_account(self) -> tuple[Account, bool]:
        """The account as last known (no call), else as it is now; and whether it was just read."""
        known = self.known.account()
        return (known, False) if known is not None else (self.account(), True)

    def fetch_image(self, urls: list[str], tx_id: str) -> bytes | None:
        """The first page of the label from its URL, with the client's session, timeouts and retry policy.

        The label is paid for by then: a failure here is retried as a read, and if it persists the
        error says so (buying again with the same key returns the same label, not a second one).
        """
        if not urls:
            return None
        try:
            return self.fetch(urls[0], operation=_mapping.SHIP, what="the label image", transaction_id=tx_id)
        except TransportError as exc:
            raise TransportError(
                f"The label was bought but its image could not be fetched ({exc.message}); buy again with the "
                "same idempotency_key to get it",
                operation=_mapping.SHIP,
                http_status=exc.http_status,
                transaction_id=tx_id,
            ) from None

    def fetch(self, url: str, *, operation: str, what: str, transaction_id: str | None = None) -> bytes:
        """A document the service made (a label image, a SCAN form) from its URL, with the client's
        session, timeouts and retry policy, retried as a read; :class:`TransportError` if it fails."""
        transport = self.client.transport

        def fetch(attempt: int) -> bytes:
            reply = send(
                transport.session,
                "GET",
                url,
                service="the label server",
                operation=operation,
                timeout=transport.timeout,
            )
            if reply.status == 200 and reply.body:
                return reply.body
            error = TransportError(
                f"Could not fetch {what} (HTTP {reply.status})",
                operation=operation,
                http_status=reply.status,
                transaction_id=transaction_id,
            )
            if reply.status == 429 or reply.status >= 500:
                raise Transient(error, f"http_{reply.status}", sent=True)
            raise error

        return run(self.client.retry, f"{operation}.document", fetch, safety=Safety.READ)

    # -- postage -------------------------------------------------------------------------------------
    def cost_account(self, wanted: int | str | None, account: Account) -> CostAccount | None:
        """The cost account a print is charged to: ``wanted`` (id or name), or None when the plan lets
        prints go without one (:class:`CostAccountRequired` when it does not)."""
        return self.postage.cost_account(wanted, account)

    def pays_without_refill(self, amount: Decimal, account: Account) -> bool:
        """Whether ``account``'s balance pays ``amount`` and stays above the auto-refill threshold."""
        policy = self.postage.settings.auto_refill
        return amount <= account.available_postage and not (policy is not None and refill_due(policy, account, amount))

    def ensure_funds(self, amount: Decimal, *, reason: str, account: Account) -> None:
        """Run the auto-refill policy for a purchase of ``amount`` (``account``: read just before)."""
        self.postage.ensure_funds(amount, reason=reason, account=account)

    def debited(self, amount: Decimal, balance: Decimal, *, username: str | None) -> None:
        """Tell the funding side that a label cost ``amount`` and left ``balance``."""
        self.postage.debited(amount, balance, username=username)
