"""The postage history: the service's balance history joined with the SDK's receipts and labels.

The service's history names neither receipts nor cost accounts, so each purchase is matched to
its receipt, and each print to the USPS label the SDK bought, by amount and time (within 10
minutes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from onebalance.core import OldName, Renamed, UnknownCostAccount
from onebalance.shipments import Carrier, Label
from onebalance.stores import LabelJournal
from onebalance.swsim import BalanceTransaction, Receipt

__all__ = ["History", "HistoryEntry", "HistoryType", "cost_account_name", "join_history", "usps_prints"]

HistoryType = Literal["Purchase", "Credit", "Print", "Adjustment", "Refund"]


class HistoryEntry(Renamed):
    """One line of the history: a purchase, print, refund or adjustment, with the balance after it."""

    model_config = ConfigDict(frozen=True)
    __old_names__: ClassVar[tuple[OldName, ...]] = (OldName("date", "occurred_at"),)

    occurred_at: datetime
    """When it happened (aware, UTC)."""
    type: str
    cost: Decimal
    credit: Decimal
    balance: Decimal
    purchase_type: str | None = None
    receipt_id: str | None = None
    cost_account: str | None = None


class History(BaseModel):
    """Purchases, prints, refunds and adjustments, newest first, with the running balance.

    Iterating a history iterates its entries (``for entry in history``), and ``len`` counts them.
    """

    model_config = ConfigDict(frozen=True)

    merchant_id: str
    since: date
    until: date | None
    entries: tuple[HistoryEntry, ...]

    def __iter__(self) -> Iterator[HistoryEntry]:  # type: ignore[override]
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["date", "type", "cost", "credit", "balance", "purchase_type", "receipt_id", "cost_account"])
        for e in self.entries:
            writer.writerow(
                [
                    e.occurred_at.isoformat(),
                    e.type,
                    f"{e.cost:.2f}",
                    f"{e.credit:.2f}",
                    f"{e.balance:.2f}",
                    e.purchase_type or "",
                    e.receipt_id or "",
                    e.cost_account or "",
                ]
            )
        return out.getvalue()


def usps_prints(journal: LabelJournal | None, merchant_id: str) -> dict[Decimal, list[Label]]:
    """Every USPS label the SDK bought for the merchant (with a cost), by cost, oldest first."""
    prints: dict[Decimal, list[Label]] = {}
    if journal is not None:
        for entry in journal.entries(merchant_id, Carrier.USPS):
            if entry.label is not None and entry.label.cost.amount > 0:
                prints.setdefault(entry.label.cost.amount, []).append(entry.label)
    for same_cost in prints.values():
        same_cost.sort(key=lambda p: p.created_at)
    return prints


def cost_account_name(cost_account: int | str, names: dict[int, str]) -> str:
    """The name of the cost account ``cost_account`` (an id or a name) among ``names``."""
    match = [name for id_, name in names.items() if cost_account in (id_, name) or str(cost_account) == str(id_)]
    if not match:
        raise UnknownCostAccount(f"No cost account {cost_account!r} on this account", field="cost_account")
    return match[0]


def join_history(
    lines: Sequence[BalanceTransaction],
    receipts: Sequence[Receipt],
    prints: dict[Decimal, list[Label]],
    names: dict[int, str],
    wanted: str | None,
) -> tuple[HistoryEntry, ...]:
    """The history's entries: each line with its receipt or its label's cost account, those of the
    cost account named ``wanted`` only when it is given. ``prints`` are used up."""
    by_amount: dict[Decimal, list[Receipt]] = {}
    for r in receipts:
        by_amount.setdefault(r.amount, []).append(r)
    # Prints and labels are paired oldest first, each print with the earliest unpaired label of the
    # same cost bought within 10 minutes of it: labels of equal cost pair in the order they were bought.
    print_accounts: dict[int, str] = {}
    # The service lists newest first: at equal times, the later line is the older one.
    for index, line in sorted(enumerate(lines), key=lambda item: (_aware(item[1].occurred_at), -item[0])):
        pool = prints.get(line.cost) if line.type == "Print" else None
        if not pool:
            continue
        moment = _aware(line.occurred_at)
        near = [p for p in pool if abs((moment - p.created_at).total_seconds()) < 600]
        if near:
            printed = near[0]
            pool.remove(printed)
            if printed.cost_account_id is not None:
                print_accounts[index] = names.get(printed.cost_account_id, str(printed.cost_account_id))
    entries = []
    for index, line in enumerate(lines):
        receipt = None
        print_cost_account = print_accounts.get(index)
        if line.type == "Purchase":
            candidates = [
                r
                for r in by_amount.get(line.credit, [])
                if abs((_aware(line.occurred_at) - r.created_at).total_seconds()) < 600
            ]
            if candidates:
                receipt = min(candidates, key=lambda r: abs((_aware(line.occurred_at) - r.created_at).total_seconds()))
                by_amount[line.credit].remove(receipt)
        row = HistoryEntry(
            occurred_at=_aware(line.occurred_at),
            type=line.type,
            cost=line.cost,
            credit=line.credit,
            balance=line.balance,
            purchase_type=line.purchase_type,
            receipt_id=receipt.receipt_id if receipt else None,
            cost_account=receipt.cost_account if receipt else print_cost_account,
        )
        if wanted is None or row.cost_account == wanted:
            entries.append(row)
    return tuple(entries)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
