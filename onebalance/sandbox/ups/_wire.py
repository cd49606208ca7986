"""UPS's wire format for the sandbox: replies, and the JSON shapes every answer shares."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from onebalance.core import dumps as json_dumps
from onebalance.core import loads as json_loads

__all__ = ["UpsReply", "as_list", "dig", "json_reply", "money_json", "status_ok"]


@dataclass(frozen=True)
class UpsReply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def json(self) -> Any:
        return json_loads(self.body)


def json_reply(status: int, body: Any) -> UpsReply:
    return UpsReply(status, json_dumps(body))


def dig(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def money_json(amount: Decimal) -> dict[str, str]:
    return {"CurrencyCode": "USD", "MonetaryValue": f"{amount:.2f}"}


def status_ok(context: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {"ResponseStatus": {"Code": "1", "Description": "Success"}}
    reference: dict[str, str] = {"TransactionIdentifier": secrets.token_hex(8)}
    if context:
        reference["CustomerContext"] = context
    response["TransactionReference"] = reference
    return response
