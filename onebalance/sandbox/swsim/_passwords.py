"""Codewords and passwords: EnumCodeWordTypes, SetCodeWords, GetCodewordQuestions,
StartPasswordReset, FinishPasswordReset and ChangePassword (NOTES section 9).

* GetCodewordQuestions never faults. For an unknown username it answers two questions
  derived from the name (always the same two for that name), so that the answer does not
  tell whether the username exists; a known account without codewords gets empty strings.
* StartPasswordReset compares the answers trimmed and without regard to case. An unknown
  user or wrong answers answer 002b0601, codewords never set 002b060c, a closed account (with
  the right answers) 00550108. It emails a random temporary password (meeting the password
  rules) to the outbox. Logging in with it answers 002b0605; the old password keeps working
  until FinishPasswordReset.
* FinishPasswordReset: not in reset (or unknown user) 002b0501, wrong temporary password
  002b0601, then the password rules. It unlocks the account and ends an expiry.
* ChangePassword works while the password is expired. With an Authenticator, OldPassword is
  required (0045014f); a wrong one answers 002b0601. The conversation goes on.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from typing import Any

from onebalance.swsim import _rules

from . import _errors as faults
from ._account_models import Codewords, PasswordReset
from ._dispatch import Call
from ._errors import SandboxFault

CODEWORD_DESCRIPTIONS: dict[str, str] = {
    "MothersMaidenName": "What is your mother's maiden name?",
    "PetsName": "What is the name of your first pet?",
    "BirthCity": "In what city were you born?",
    "HighSchoolMascot": "What was your high school mascot?",
    "FathersBirthplace": "Where was your father born?",
    "StreetName": "On what street did you grow up?",
    "FirstSchoolsName": "What was the name of your first school?",
    "FirstCarsMakeModel": "What was the make and model of your first car?",
    "Last4SocialSecurityNumber": "What are the last 4 digits of your Social Security number?",
    "Last4DriversLicense": "What are the last 4 digits of your driver's license number?",
}
assert tuple(CODEWORD_DESCRIPTIONS) == _rules.CODEWORD_TYPES

#: Characters of temporary passwords (no look-alikes such as 0/O or 1/l).
_TEMP_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
TEMP_PASSWORD_LENGTH = 12


def enum_codeword_types(call: Call) -> dict[str, Any]:
    """Every CodewordType but Undefined; ``Value`` is its position in the schema's enumeration."""
    return {
        "CodeWords": {
            "CodewordV2": [
                {"CodewordType": name, "Value": i, "Description": text}
                for i, (name, text) in enumerate(CODEWORD_DESCRIPTIONS.items(), start=1)
            ]
        }
    }


def set_codewords(call: Call) -> dict[str, Any]:
    """Set (or replace) the codewords. All four fields are needed together (else 00490102)."""
    request = call.request
    given = [request.get(k) for k in ("Codeword1Type", "Codeword1", "Codeword2Type", "Codeword2")]
    if any(v is None for v in given):
        raise SandboxFault.schema_violation(
            "Codeword1Type, Codeword1, Codeword2Type and Codeword2 must be given together."
        )
    type1, answer1, type2, answer2 = (str(v) for v in given)
    violation = _rules.codewords_violation(type1, answer1, type2, answer2)
    if violation:
        raise SandboxFault(*violation)
    call.user.codewords = Codewords(type1=type1, answer1=answer1.strip(), type2=type2, answer2=answer2.strip())
    call.state.touch(call.user)
    return {}


def get_codeword_questions(call: Call) -> dict[str, Any]:
    username = call.request["Username"]
    account = call.state.accounts.get(username.lower())
    if account is None:
        type1, type2 = _decoy_questions(username)
    elif account.codewords is None:
        return {"Codeword1Question": "", "Codeword2Question": ""}
    else:
        type1, type2 = account.codewords.type1, account.codewords.type2
    return {"Codeword1Question": CODEWORD_DESCRIPTIONS[type1], "Codeword2Question": CODEWORD_DESCRIPTIONS[type2]}


def _decoy_questions(username: str) -> tuple[str, str]:
    """Two different question types that depend only on the (case-folded) name."""
    digest = hashlib.sha256(username.lower().encode()).digest()
    types = _rules.CODEWORD_TYPES
    first = digest[0] % len(types)
    second = (first + 1 + digest[1] % (len(types) - 1)) % len(types)
    return types[first], types[second]


def start_password_reset(call: Call) -> dict[str, Any]:
    request = call.request
    account = call.state.accounts.get(request["Username"].lower())
    if account is None:
        raise SandboxFault(faults.AUTHENTICATION_FAILED)
    if account.codewords is None:
        raise SandboxFault(faults.CODEWORDS_NOT_SET)
    if not account.codewords.matches(request["Codeword1"], request["Codeword2"]):
        raise SandboxFault(faults.AUTHENTICATION_FAILED)
    if account.closed:
        raise SandboxFault(faults.ACCOUNT_CLOSED)
    temp = _temporary_password(tuple(account.password_history))
    account.reset = PasswordReset(temp_password=temp, started_at=call.state.clock.now())
    call.state.send(
        "email",
        account,
        account.email,
        "Your temporary One Balance password",
        f"Your temporary password is {temp}. Use it with your username to choose a new password.",
        temp,
    )
    call.state.touch(account)
    return {}


def _temporary_password(previous: tuple[str, ...]) -> str:
    while True:
        temp = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(TEMP_PASSWORD_LENGTH))
        if _rules.password_violation(temp, previous=previous) is None:
            return temp


def finish_password_reset(call: Call) -> dict[str, Any]:
    request = call.request
    account = call.state.accounts.get(request["Username"].lower())
    if account is None or account.reset is None:
        raise SandboxFault(faults.NOT_IN_PASSWORD_RESET)
    if not secrets.compare_digest(request["TempPassword"].encode(), account.reset.temp_password.encode()):
        raise SandboxFault(faults.AUTHENTICATION_FAILED)
    violation = _rules.password_violation(request["NewPassword"], previous=tuple(account.password_history))
    if violation:
        raise SandboxFault(*violation)
    account.change_password(request["NewPassword"])
    account.locked = False
    account.failed_logins = 0
    call.state.touch(account)
    return {}


def change_password(call: Call) -> dict[str, Any]:
    request, account = call.request, call.user
    old = request.get("OldPassword")
    if old is None:
        if request.get("Authenticator") is not None:
            raise SandboxFault(faults.OLD_PASSWORD_NEEDED)
    elif not secrets.compare_digest(old.encode(), account.password.encode()):
        raise SandboxFault(faults.AUTHENTICATION_FAILED)
    violation = _rules.password_violation(request["NewPassword"], previous=tuple(account.password_history))
    if violation:
        raise SandboxFault(*violation)
    account.change_password(request["NewPassword"])
    call.state.touch(account)
    return {}
