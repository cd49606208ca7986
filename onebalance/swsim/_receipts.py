"""Receipts for postage purchases: a record, readable text, and a PDF a person can print."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import ConfigDict

from onebalance.core import OldName, Renamed

RefillKind = Literal["manual", "last", "default", "auto_refill"]


class Receipt(Renamed):
    """One postage purchase: what was bought, what it cost, how it was paid, and the balance after."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    __old_names__: ClassVar[tuple[OldName, ...]] = (OldName("total_charged", "total"),)

    receipt_id: str
    merchant_id: str
    username: str
    created_at: datetime
    status: str
    kind: RefillKind = "manual"
    amount: Decimal
    fee: Decimal
    total: Decimal
    """The amount plus the fee: what the payment method is charged."""
    payment_method: str
    payment_kind: str
    cost_account: str | None = None
    transaction_id: int
    integrator_tx_id: str
    balance_after: Decimal
    control_total_after: Decimal
    #: SWSIM v135: the payment processor's id of the charge (what a card statement dispute names).
    processor_transaction_id: str | None = None

    def text(self) -> str:
        lines = [
            "ONE BALANCE POSTAGE RECEIPT",
            f"Receipt          {self.receipt_id}",
            f"Date             {self.created_at:%Y-%m-%d %H:%M} UTC",
            f"Account          {self.username}",
            f"Transaction      {self.transaction_id}",
            *([f"Processor ref    {self.processor_transaction_id}"] if self.processor_transaction_id else []),
            f"Status           {self.status}",
            f"Refill           {_KIND_TEXT[self.kind]}",
            f"Postage added    ${self.amount:,.2f}",
            f"Fee              ${self.fee:,.2f}",
            f"Total charged    ${self.total:,.2f}",
            f"Paid with        {self.payment_method}",
        ]
        if self.cost_account:
            lines.append(f"Cost account     {self.cost_account}")
        lines.append(f"Balance after    ${self.balance_after:,.2f}")
        return "\n".join(lines) + "\n"

    def pdf(self) -> bytes:
        """The receipt as a one-page PDF (fpdf2)."""
        from fpdf import FPDF

        doc = FPDF(format="Letter")
        doc.set_title(f"Postage receipt {self.receipt_id}")
        doc.set_creator("onebalance")
        doc.add_page()
        doc.set_font("Helvetica", "B", 16)
        doc.cell(0, 10, "One Balance postage receipt", new_x="LMARGIN", new_y="NEXT")
        doc.ln(4)
        doc.set_font("Helvetica", size=11)
        for line in self.text().splitlines()[1:]:
            label, _, value = line.partition("  ")
            doc.cell(45, 8, label.strip())
            doc.cell(0, 8, value.strip(), new_x="LMARGIN", new_y="NEXT")
        return bytes(doc.output())


_KIND_TEXT = {
    "manual": "other amount",
    "last": "last refill amount",
    "default": "default refill amount",
    "auto_refill": "automatic refill",
}
