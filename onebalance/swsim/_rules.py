"""The service's input rules, in one place, for both sides of the wire.

The SDK checks input with these before sending anything, and the sandbox enforces the same
rules as the service would, so that both answer with the same code. Each check returns the
SWSIM code (8 lower-case hex digits) and a message, or ``None`` when the input is fine.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal, get_args

Violation = tuple[str, str]

# -- passwords (REF42: 6-20 characters, at least one letter and one digit) ----------------------------
PASSWORD_MIN = 6
PASSWORD_MAX = 20
PASSWORD_HISTORY = 5

PASSWORD_TOO_LONG = "002b0401"
PASSWORD_TOO_SHORT = "002b0402"
PASSWORD_NO_LETTER = "002b0403"
PASSWORD_NO_DIGIT = "002b0404"
PASSWORD_INVALID = "002b0405"
PASSWORD_REPEATED = "002b0406"


def password_violation(password: str, *, previous: tuple[str, ...] = ()) -> Violation | None:
    """The rule ``password`` breaks, checked in the service's order; ``previous`` are the last ones used."""
    if len(password) > PASSWORD_MAX:
        return PASSWORD_TOO_LONG, f"The password is longer than {PASSWORD_MAX} characters."
    if len(password) < PASSWORD_MIN:
        return PASSWORD_TOO_SHORT, f"The password is shorter than {PASSWORD_MIN} characters."
    if any(c.isspace() or not c.isprintable() or ord(c) > 126 for c in password):
        return PASSWORD_INVALID, "The password may hold only printable ASCII characters and no spaces."
    if not any(c.isalpha() for c in password):
        return PASSWORD_NO_LETTER, "The password must contain at least one letter."
    if not any(c.isdigit() for c in password):
        return PASSWORD_NO_DIGIT, "The password must contain at least one digit."
    if password in previous[-PASSWORD_HISTORY:]:
        return PASSWORD_REPEATED, f"The password must differ from the last {PASSWORD_HISTORY} passwords."
    return None


# -- codewords (security questions) -------------------------------------------------------------------
INVALID_CODEWORDS = "002b0502"
CodewordType = Literal[
    "MothersMaidenName",
    "PetsName",
    "BirthCity",
    "HighSchoolMascot",
    "FathersBirthplace",
    "StreetName",
    "FirstSchoolsName",
    "FirstCarsMakeModel",
    "Last4SocialSecurityNumber",
    "Last4DriversLicense",
]
CODEWORD_TYPES: tuple[str, ...] = get_args(CodewordType)
CODEWORD_MIN = 2
CODEWORD_MAX = 33


def codewords_violation(type1: str, answer1: str, type2: str, answer2: str) -> Violation | None:
    if type1 not in CODEWORD_TYPES or type2 not in CODEWORD_TYPES:
        return INVALID_CODEWORDS, "Both codeword questions must be chosen."
    if type1 == type2:
        return INVALID_CODEWORDS, "The two codeword questions must differ."
    for answer in (answer1, answer2):
        if not CODEWORD_MIN <= len(answer.strip()) <= CODEWORD_MAX:
            return INVALID_CODEWORDS, f"Codeword answers must be {CODEWORD_MIN} to {CODEWORD_MAX} characters."
    return None


# -- usernames, email, phone ---------------------------------------------------------------------------
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,39}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
EMAIL_MAX = 41


def username_problem(username: str) -> str | None:
    if not _USERNAME.fullmatch(username):
        return "The username must be 1 to 40 letters, digits, '.', '_', '@' or '-', starting with a letter or digit."
    return None


def email_problem(email: str) -> str | None:
    if len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email):
        return f"The email address must be a valid address of at most {EMAIL_MAX} characters."
    return None


def normalize_phone(phone: str) -> str | None:
    """Ten US digits from a number as people write it, or ``None``."""
    digits = re.sub(r"[\s().+-]", "", phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if re.fullmatch(r"[2-9]\d{9}", digits) else None


# -- addresses -----------------------------------------------------------------------------------------
PO_BOX_IN_PHYSICAL_ADDRESS = "002b0808"
_PO_BOX = re.compile(r"\b(p\.?\s*o\.?\s*box|post\s+office\s+box|pob)\b", re.I)


def is_po_box(line: str) -> bool:
    return bool(_PO_BOX.search(line))


# -- payment -------------------------------------------------------------------------------------------
PAYMENT_METHOD_FAILED = "002b0802"
CARD_PREFIXES = {
    "Visa": re.compile(r"4\d{12}(\d{3}){0,2}"),
    "MasterCard": re.compile(r"(5[1-5]\d{14}|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12})"),
    "AmericanExpress": re.compile(r"3[47]\d{13}"),
    "Discover": re.compile(r"6(011|5\d\d|4[4-9]\d)\d{12}"),
}


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_problem(card_type: str, number: str, expires: date, cvn: str | None, today: date) -> str | None:
    """What is wrong with a card, or ``None``. ``expires`` is any day of the expiry month."""
    if card_type not in CARD_PREFIXES:
        return f"The card type must be one of {', '.join(CARD_PREFIXES)}."
    if not luhn_ok(number):
        return "The card number is not valid (check digit)."
    if not CARD_PREFIXES[card_type].fullmatch(number):
        return f"The card number is not a {card_type} number."
    if (expires.year, expires.month) < (today.year, today.month):
        return "The card has expired."
    if cvn is not None:
        length = 4 if card_type == "AmericanExpress" else 3
        if not (cvn.isdigit() and len(cvn) == length):
            return f"The card security code must be {length} digits."
    return None


def routing_number_ok(routing: str) -> bool:
    """ABA routing number: nine digits with the 3-7-1 checksum."""
    if not re.fullmatch(r"\d{9}", routing):
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def bank_account_problem(routing: str, account: str) -> str | None:
    if not routing_number_ok(routing):
        return "The bank routing number is not valid."
    if not re.fullmatch(r"\d{4,17}", account):
        return "The bank account number must be 4 to 17 digits."
    return None
