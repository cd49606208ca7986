"""Accounts coming and going: RegisterAccount, phone verification, CancelAccount, RecoverUsername.

RegisterAccount checks, in this order (the first problem answers):

=========  ===================================================================================
Code       Problem
=========  ===================================================================================
002b0207   IntegrationID unknown.
00490102   UserName or Email breaks ``_rules.username_problem`` / ``email_problem`` (REF42
           limits them to 40 / 41 characters in the schema, so the sandbox answers the way
           the service answers a schema violation: ``soap:Client``).
002b0401+  Password breaks ``_rules.password_violation`` (its own code).
002b0502   Codewords missing (REF42 requires them) or ``_rules.codewords_violation``.
002b0808   PhysicalAddress Address1 or Address2 is a PO box.
00450123   PromoCode not one of "", "ONEBALANCE", "SANDBOX" (any case).
002b0802   No payment method, or a bad card / bank account (see ``_payments``).
=========  ===================================================================================

Then a taken username (without regard to case) is not a fault: ``RegistrationStatus=Fail``
with ``SuggestedUserName`` (the name with 2, 3, ... appended). Only then is the card charged:
``DECLINED_TEST_CARD`` answers 002b0802. A new account has a balance of 0.00 (500.00 max), the
payment method as its default, the terms accepted (registering accepts them) and its phone
not verified (AccountStatus ``VerificationRequired``). ``ResetPasswordAfterRegistration=true``
makes its password expired, ``SendEmail=true`` sends a welcome email to the outbox.

Phone verification: StartAccountVerification sends a 6-digit code by SMS or voice to
PhoneNumber (or the account's phone) and replaces any earlier code. FinishAccountVerification
with the right code verifies the phone. A wrong code, none started, a code older than
``VERIFICATION_LIFETIME`` or one voided by ``VERIFICATION_ATTEMPTS`` wrong tries all answer
002b0901 (the sandbox's code), each with its own message.
"""

from __future__ import annotations

import itertools
import re
import secrets
from datetime import timedelta
from typing import Any

from onebalance.swsim import _rules

from . import _errors as faults
from ._account_models import Codewords, PendingVerification
from ._dispatch import Call
from ._errors import SandboxFault
from ._payments import payment_method_from, refuse_declined, store
from ._state import SandboxAccount, SandboxState

PROMO_CODES = frozenset({"", "ONEBALANCE", "SANDBOX"})
VERIFICATION_ATTEMPTS = 5
VERIFICATION_LIFETIME = timedelta(minutes=15)
USERNAME_MAX = 40


def register_account(call: Call) -> dict[str, Any]:
    state, request = call.state, call.request
    if request["IntegrationID"].lower() not in state.integrations:
        raise SandboxFault(faults.INVALID_INTEGRATION_ID)
    username = request["UserName"]
    problem = _rules.username_problem(username)
    if problem:
        raise SandboxFault.schema_violation(f"UserName: {problem}")
    problem = _rules.email_problem(request["Email"])
    if problem:
        raise SandboxFault.schema_violation(f"Email: {problem}")
    violation = _rules.password_violation(request["Password"])
    if violation:
        raise SandboxFault(*violation)
    codewords = _codewords(request)
    physical = request["PhysicalAddress"]
    for line in ("Address1", "Address2"):
        if _rules.is_po_box(physical.get(line) or ""):
            raise SandboxFault(_rules.PO_BOX_IN_PHYSICAL_ADDRESS)
    if (request.get("PromoCode") or "").strip().upper() not in PROMO_CODES:
        raise SandboxFault(faults.INVALID_PROMO_CODE)
    method = payment_method_from(request, state.clock.now().date())
    if username.lower() in state.accounts:
        return {
            "RegistrationStatus": "Fail",
            "SuggestedUserName": _suggest(state, username),
            "UserId": 0,
            "PromoUrl": "",
        }
    refuse_declined(method)
    account = state.add_account(
        integration_id=request["IntegrationID"],
        username=username,
        password=request["Password"],
        codewords=codewords,
        address=physical,
        mailing_address=request.get("MailingAddress"),
        email=request["Email"],
        account_type=request["AccountType"],
        phone_verified=False,
        terms_accepted=True,
        password_expired=bool(request.get("ResetPasswordAfterRegistration")),
    )
    store(state, account, method, default=True)
    if request.get("SendEmail"):
        state.send(
            "email",
            account,
            account.email,
            "Welcome to One Balance",
            f"Your One Balance account {account.username} is ready. Verify your phone number to start shipping.",
        )
    return {"RegistrationStatus": "Success", "SuggestedUserName": "", "UserId": account.user_id, "PromoUrl": ""}


def _codewords(request: dict[str, Any]) -> Codewords:
    given = [request.get(k) for k in ("Codeword1Type", "Codeword1", "Codeword2Type", "Codeword2")]
    if any(v is None for v in given):
        raise SandboxFault(_rules.INVALID_CODEWORDS, "Both codeword questions and their answers are required.")
    type1, answer1, type2, answer2 = (str(v) for v in given)
    violation = _rules.codewords_violation(type1, answer1, type2, answer2)
    if violation:
        raise SandboxFault(*violation)
    return Codewords(type1=type1, answer1=answer1.strip(), type2=type2, answer2=answer2.strip())


def _suggest(state: SandboxState, username: str) -> str:
    for n in itertools.count(2):
        suffix = str(n)
        candidate = username[: USERNAME_MAX - len(suffix)] + suffix
        if candidate.lower() not in state.accounts:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


# -- phone verification ----------------------------------------------------------------------------
def start_account_verification(call: Call) -> dict[str, Any]:
    account, request = call.user, call.request
    given = request.get("PhoneNumber")
    phone = _rules.normalize_phone(given if given is not None else account.address.get("PhoneNumber") or "")
    if phone is None:
        where = "PhoneNumber" if given is not None else "PhoneNumber (the account has no usable phone number)"
        raise SandboxFault.schema_violation(f"{where}: a 10-digit US phone number is required.")
    code = f"{secrets.randbelow(10**6):06d}"
    channel = request["PhoneVerificationOption"]
    account.verification = PendingVerification(
        code=code,
        phone=phone,
        extension=request.get("Extension") or None,
        channel=channel,
        sent_at=call.state.clock.now(),
    )
    call.state.send(
        "sms" if channel == "SMS" else "voice",
        account,
        phone,
        "One Balance verification code",
        f"Your One Balance verification code is {code}.",
        code,
    )
    call.state.touch(account)
    return {}


def finish_account_verification(call: Call) -> dict[str, Any]:
    account = call.user
    pending = account.verification
    if pending is None:
        raise _bad_code("No phone verification was started: call StartAccountVerification first.")
    if pending.attempts >= VERIFICATION_ATTEMPTS:
        raise _bad_code("Too many wrong codes: start the verification again.")
    if call.state.clock.now() - pending.sent_at > VERIFICATION_LIFETIME:
        raise _bad_code("The code has expired: start the verification again.")
    if not secrets.compare_digest(call.request["PhoneVerificationCode"].strip().encode(), pending.code.encode()):
        pending.attempts += 1
        call.state.touch(account)
        left = VERIFICATION_ATTEMPTS - pending.attempts
        raise _bad_code(f"{left} attempts left." if left else "Too many wrong codes: start the verification again.")
    account.phone_verified = True
    account.verification_phone = pending.phone
    account.verification_extension = pending.extension
    account.verification = None
    call.state.touch(account)
    return {}


def _bad_code(why: str) -> SandboxFault:
    return SandboxFault(faults.INVALID_VERIFICATION_CODE, f"Invalid verification code. {why}")


# -- closing and recovering ------------------------------------------------------------------------
def cancel_account(call: Call) -> dict[str, Any]:
    """Close the account if the address details match its physical address.

    Address (Address1), City and State are compared without regard to case or extra spaces,
    Zip on its first five digits; a mismatch answers 002b0902 (the sandbox's code). The
    response has no Authenticator: the account is closed, later logins answer 00550108.
    """
    account, request = call.user, call.request
    address = account.address
    given_zip = re.sub(r"\D", "", request["Zip"])[:5]
    matches = (
        _fold(request["Address"]) == _fold(address.get("Address1"))
        and _fold(request["City"]) == _fold(address.get("City"))
        and _fold(request["State"]) == _fold(address.get("State"))
        and len(given_zip) == 5
        and given_zip == str(address.get("ZIPCode") or "")[:5]
    )
    if not matches:
        raise SandboxFault(faults.CANCELLATION_MISMATCH)
    account.closed = True
    account.reset = None
    account.verification = None
    call.end_conversation = True
    if request.get("SendEmail"):
        call.state.send(
            "email", account, account.email, "Your One Balance account is closed", "Your account was closed."
        )
    call.state.touch(account)
    return {}


def _fold(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


def recover_username(call: Call) -> dict[str, Any]:
    """Email the usernames of the open accounts with this address; the answer never says whether any."""
    email = _fold(call.request["EmailAddress"])
    for account in call.state.accounts.values():
        if not account.closed and _fold(account.email) == email:
            _send_username(call.state, account)
    return {}


def _send_username(state: SandboxState, account: SandboxAccount) -> None:
    state.send(
        "email",
        account,
        account.email,
        "Your One Balance username",
        f"The username of your One Balance account is {account.username}.",
    )
