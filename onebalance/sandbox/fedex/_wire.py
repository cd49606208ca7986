"""FedEx's wire format for the sandbox: replies, and the envelope every answer shares."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onebalance.core import dumps as json_dumps
from onebalance.core import loads as json_loads

__all__ = ["FedexReply", "envelope", "json_reply", "success"]


@dataclass(frozen=True)
class FedexReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json_loads(self.body) if self.body else None


def envelope(customer_transaction_id: str | None) -> dict[str, Any]:
    envelope: dict[str, Any] = {"transactionId": str(uuid.uuid4())}
    if customer_transaction_id:
        envelope["customerTransactionId"] = customer_transaction_id
    return envelope


def json_reply(status: int, body: Mapping[str, Any]) -> FedexReply:
    return FedexReply(status, {"Content-Type": "application/json"}, json_dumps(body))


def success(output: Mapping[str, Any], customer_transaction_id: str | None) -> dict[str, Any]:
    return {**envelope(customer_transaction_id), "output": dict(output)}
