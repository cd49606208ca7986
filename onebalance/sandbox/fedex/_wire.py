"""FedEx's wire format for the sandbox: replies, and errors as FedEx spells them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onebalance.core._json import dumps as json_dumps
from onebalance.core._json import loads as json_loads

__all__ = ["FedexFault", "FedexReply", "error_reply", "json_reply"]


@dataclass(frozen=True)
class FedexReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json_loads(self.body) if self.body else None


class FedexFault(Exception):
    """An error answer: HTTP status, FedEx code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _envelope(customer_transaction_id: str | None) -> dict[str, Any]:
    envelope: dict[str, Any] = {"transactionId": str(uuid.uuid4())}
    if customer_transaction_id:
        envelope["customerTransactionId"] = customer_transaction_id
    return envelope


def json_reply(status: int, body: Mapping[str, Any]) -> FedexReply:
    return FedexReply(status, {"Content-Type": "application/json"}, json_dumps(body))


def success(output: Mapping[str, Any], customer_transaction_id: str | None) -> dict[str, Any]:
    return {**_envelope(customer_transaction_id), "output": dict(output)}


def error_reply(fault: FedexFault, customer_transaction_id: str | None) -> FedexReply:
    body = {**_envelope(customer_transaction_id), "errors": [{"code": fault.code, "message": fault.message}]}
    return json_reply(fault.status, body)
