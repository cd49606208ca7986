"""UPS's errors as the sandbox answers them: ``{"response": {"errors": [{"code", "message"}]}}``."""

from __future__ import annotations

from typing import Any

__all__ = ["UpsFault", "error_body", "missing"]


class UpsFault(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"response": {"errors": [{"code": code, "message": message}]}}


def missing(what: str) -> UpsFault:
    return UpsFault(400, "120002", f"Missing or invalid {what}")
