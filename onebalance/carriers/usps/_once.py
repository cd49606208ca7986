"""One label printed once under a key's IntegratorTxIDs, even when the known balance was stale.

``UspsShipping.buy`` checks the funds on the balance its client last learnt (``_known``), which
labels printed elsewhere may have spent since. When the service refuses the purchase's first
IntegratorTxID for want of postage, it printed nothing under it, ever (it answers that id with that
refusal from then on): :func:`print_once` reads the balance, runs the auto-refill policy on it (a
key in doubt: not, as before any retry in doubt), and sends the purchase once more under the key's
second IntegratorTxID (:func:`second_tx_id`), which a retry in doubt also resolves through. Only a
refusal of the first id leads to the second, so the two never both print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from onebalance.core import InsufficientFunds, OneBalanceError, OutcomeUnknown
from onebalance.shipments import Rate, ShipmentRequest
from onebalance.swsim import Account

from . import _mapping
from ._proxy import UspsProxy

__all__ = ["Order", "print_once", "second_tx_id"]


@dataclass(frozen=True)
class Order:
    """A purchase's CreateIndicium, worked out before anything is sent for it."""

    #: The account it rests on: its plan, and its balance as last known.
    account: Account
    #: The shipment as it goes: its recipient as USPS wrote it when USPS checked it.
    shipment: ShipmentRequest
    #: The cost account the label is charged to, if any.
    cost_code_id: int | None
    #: The request for an IntegratorTxID...
    payload: Callable[[str], dict[str, Any]]
    #: ...and the request for the purchase's first one, built (bad input raised then).
    request: dict[str, Any]


def second_tx_id(tx_id: str) -> str:
    """The purchase's second IntegratorTxID, sent only once the service refused the first one for
    want of postage."""
    return f"{tx_id}-2"


def print_once(
    proxy: UspsProxy,
    order: Order,
    rate: Rate,
    tx_id: str,
    *,
    in_doubt: bool,
    account: Account,
    doubts: set[str],
) -> tuple[dict[str, Any], Account]:
    """CreateIndicium (``order``'s request for an IntegratorTxID) for the purchase ``tx_id``; its answer, and
    the account as last read. ``doubts`` holds the purchases whose outcome is unknown: ``tx_id`` is
    added when the answer is lost, and removed when both ids are refused (the key printed nothing)."""
    for sent_id in (tx_id, second_tx_id(tx_id)):
        failure: OneBalanceError | None = None
        try:
            request = order.request if sent_id == tx_id else order.payload(sent_id)
            return proxy.call(_mapping.SHIP, request, transaction_id=sent_id, reads=_mapping.LABEL_READS), account
        except OutcomeUnknown as exc:
            doubts.add(tx_id)
            failure = exc
        except InsufficientFunds as exc:
            proxy.known.forget()
            if sent_id != tx_id:
                doubts.discard(tx_id)
                failure = _spent(exc, rate, account, sent_id)
            elif not in_doubt:
                account = proxy.account()
                proxy.ensure_funds(rate.total.amount, reason=f"a {rate.service_name} label", account=account)
        except OneBalanceError as exc:
            proxy.known.forget()  # refused: what the plan allows may have changed
            failure = exc
        if failure is not None:
            raise failure
    raise AssertionError("unreachable: the second IntegratorTxID answers or raises")


def _spent(exc: InsufficientFunds, rate: Rate, account: Account, sent_id: str) -> InsufficientFunds:
    """The service refused both of a key's IntegratorTxIDs for want of postage: the key is spent."""
    return InsufficientFunds(
        f"{InsufficientFunds.default_message}: this idempotency key printed nothing, and the service refuses it "
        "now for want of postage (it keeps refusing it): add postage, then buy with a new idempotency key",
        needed=rate.total.amount,
        available=account.available_postage,
        operation=exc.operation,
        code=exc.code,
        http_status=exc.http_status,
        faultstring=exc.faultstring,
        transaction_id=sent_id,
    )
