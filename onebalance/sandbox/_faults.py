"""The service's own errors, as the sandbox raises them. Codes are 8 lower-case hex digits."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "002b0201": "Invalid authenticator.",
    "002b0202": "Expired Authenticator.",
    "002b0203": "Invalid conversation token.",
    "002b0204": "Conversation out-of-sync.",
    "002b0207": "Invalid integration ID.",
    "002b0601": "Authentication failed.",
    "002b0605": "Account is in password reset.",
    "002b0607": "Account locked.",
    "002b0608": "Password expired.",
    "00550108": "Account closed.",
    "00490102": "Invalid SOAP message due to XML Schema validation failure.",
}

INVALID_AUTHENTICATOR = "002b0201"
EXPIRED_AUTHENTICATOR = "002b0202"
CONVERSATION_SUPERSEDED = "002b0203"
CONVERSATION_OUT_OF_SYNC = "002b0204"
INVALID_INTEGRATION_ID = "002b0207"
AUTHENTICATION_FAILED = "002b0601"
ACCOUNT_LOCKED = "002b0607"
ACCOUNT_CLOSED = "00550108"
SCHEMA_VIOLATION = "00490102"


class SandboxFault(Exception):
    """A fault the simulated service answers with (HTTP 500, ``soap:Fault``)."""

    def __init__(self, code: str, message: str | None = None, *, faultcode: str = "soap:Server") -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, "The request failed.")
        self.faultcode = faultcode
        super().__init__(self.faultstring)

    @property
    def faultstring(self) -> str:
        return f"{self.message} [0x{self.code}]"
