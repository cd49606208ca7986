"""Redaction of secrets from anything the SDK logs or shows."""

from __future__ import annotations

import re

#: Wire elements whose text is secret (passwords, tokens, card and bank numbers, codewords, codes).
SECRET_ELEMENTS = (
    "Password",
    "OldPassword",
    "NewPassword",
    "TempPassword",
    "Authenticator",
    "authenticator",
    "Codeword1",
    "Codeword2",
    "AccountNumber",
    "CVN",
    "RouteID",
    "PhoneVerificationCode",
    "ResubmitCookie",
    "RateToken",
    "SEApiToken",
    "CustomerData",
)
_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?(?:" + "|".join(SECRET_ELEMENTS) + r")(?:\s[^>]*)?>)([^<]*)(</)")
MASK = "***"


def redact_xml(text: str) -> str:
    """Mask the text of every secret element in an XML document."""
    return _ELEMENT.sub(lambda m: m.group(1) + (MASK if m.group(2) else "") + m.group(3), text)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every occurrence of each non-trivial secret in ``text``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text
