"""FedEx's errors as the sandbox answers them: the envelope with an ``errors`` list."""

from __future__ import annotations

from ._wire import FedexReply, envelope, json_reply

__all__ = ["FedexFault", "error_reply"]


class FedexFault(Exception):
    """An error answer: HTTP status, FedEx code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_reply(fault: FedexFault, customer_transaction_id: str | None) -> FedexReply:
    body = {**envelope(customer_transaction_id), "errors": [{"code": fault.code, "message": fault.message}]}
    return json_reply(fault.status, body)
