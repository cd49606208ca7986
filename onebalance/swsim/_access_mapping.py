"""The wire spellings of getting into an account: Credentials and the Authenticator, registration,
codewords, password changes and resets, phone verification, the provider's pages. Pure: no I/O.

(``_mapping`` has the account's and the postage's; ``_dialect`` the version differences.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import _dialect
from ._inputs import Codewords, RegistrationForm
from ._mapping import payment_to_wire, street_line
from ._soap._versions import SwsimVersion


# -- logging in, codewords, passwords ------------------------------------------------------------
def credentials_to_wire(integration_id: str, username: str, password: str) -> dict[str, str]:
    """The ``Credentials`` element: what a call sends instead of the conversation's Authenticator."""
    return {"IntegrationID": integration_id, "Username": username, "Password": password}


def with_credentials(credentials: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` sent with Credentials (:func:`credentials_to_wire`)."""
    return {"Credentials": credentials, **payload}


def with_authenticator(token: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` sent on the conversation's rolling token."""
    return {"Authenticator": token, **payload}


def authenticator_from_wire(wire: dict[str, Any]) -> str | None:
    """The next rolling token of an answer, taken out of it (the caller gets the rest)."""
    token = wire.pop("Authenticator", None)
    return None if token is None else str(token)


def codewords_to_wire(codewords: Codewords) -> dict[str, Any]:
    """SetCodeWords' (and RegisterAccount's) two questions and answers."""
    return {
        "Codeword1Type": codewords.question1,
        "Codeword1": codewords.answer1.get_secret_value(),
        "Codeword2Type": codewords.question2,
        "Codeword2": codewords.answer2.get_secret_value(),
    }


def codeword_types_from_wire(wire: dict[str, Any]) -> list[tuple[str, str]]:
    """EnumCodeWordTypes' answer: (type, description) of each question offered."""
    items = (wire.get("CodeWords") or {}).get("CodewordV2") or []
    return [(i["CodewordType"], i["Description"]) for i in items if i and i["CodewordType"] != "Undefined"]


def codeword_questions_request(integration_id: str, username: str) -> dict[str, Any]:
    return {"Username": username, "IntegrationId": integration_id}


def codeword_questions_from_wire(wire: dict[str, Any]) -> tuple[str, str]:
    return wire.get("Codeword1Question") or "", wire.get("Codeword2Question") or ""


def start_password_reset_request(integration_id: str, username: str, answer1: str, answer2: str) -> dict[str, Any]:
    return {"Username": username, "Codeword1": answer1, "Codeword2": answer2, "IntegrationId": integration_id}


def finish_password_reset_request(
    integration_id: str, username: str, temporary_password: str, new_password: str
) -> dict[str, Any]:
    return {
        "Username": username,
        "TempPassword": temporary_password,
        "NewPassword": new_password,
        "IntegrationId": integration_id,
    }


def change_password_request(old_password: str, new_password: str) -> dict[str, Any]:
    return {"OldPassword": old_password, "NewPassword": new_password}


def recover_username_request(email: str) -> dict[str, Any]:
    return {"EmailAddress": email}


def start_verification_request(method: str, phone_digits: str | None) -> dict[str, Any]:
    """StartAccountVerification: a code by ``"SMS"`` or ``"Voice"``, to ``phone_digits`` when given."""
    request: dict[str, Any] = {"PhoneVerificationOption": method}
    if phone_digits is not None:
        request["PhoneNumber"] = phone_digits
    return request


def finish_verification_request(code: str) -> dict[str, Any]:
    return {"PhoneVerificationCode": code}


def page_request(page: str, context: str) -> dict[str, Any]:
    """GetURL: a provider web page (``SetTermsGeneral``...) for the merchant."""
    return {"URLType": page, "ApplicationContext": context}


def page_from_wire(wire: dict[str, Any]) -> str:
    return str(wire.get("URL") or "")


def cancel_account_request(address: str, city: str, state: str, postal_code: str) -> dict[str, Any]:
    return {"Address": address, "City": city, "State": state, "Zip": postal_code}


# -- registration --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistrationAnswer:
    """What RegisterAccount answered: registered (``user_id``, ``promo_url``) or the name was taken."""

    registered: bool
    user_id: int = 0
    promo_url: str | None = None
    suggested_username: str | None = None


def registration_to_wire(
    form: RegistrationForm, integration_id: str, version: str | SwsimVersion
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """RegisterAccount's request for a checked ``form``, and the secrets in it; refused (the field
    named) when the version's length limits are broken."""
    assert form.username and form.password and form.payment and form.codewords and form.client_ip
    password = form.password.get_secret_value()
    payment = payment_to_wire(form.payment)
    codewords = form.codewords
    request: dict[str, Any] = {
        "IntegrationID": integration_id,
        "UserName": form.username,
        "Password": password,
        **codewords_to_wire(codewords),
        "PhysicalAddress": {
            k: v
            for k, v in {
                "FullName": form.name,
                "Company": form.company,
                "Address1": street_line(form.street_lines, 0),
                "Address2": street_line(form.street_lines, 1),
                "City": form.city,
                "State": form.state,
                "ZIPCode": form.postal_code[:5] if form.postal_code else None,
                "Country": "US",
                "PhoneNumber": form.phone,
                "EmailAddress": form.email,
            }.items()
            if v
        },
        "MachineInfo": {"IPAddress": form.client_ip},
        "Email": form.email,
        "AccountType": form.account_type,
        **({"PromoCode": form.promo_code} if form.promo_code else {}),
        **payment,
    }
    secrets = (
        password,
        codewords.answer1.get_secret_value(),
        codewords.answer2.get_secret_value(),
        *(str(v) for k, v in next(iter(payment.values())).items() if k in ("AccountNumber", "CVN")),
    )
    _dialect.check_registration(request, version)
    return request, secrets


def registration_from_wire(wire: dict[str, Any]) -> RegistrationAnswer:
    if wire.get("RegistrationStatus") != "Success":
        return RegistrationAnswer(registered=False, suggested_username=wire.get("SuggestedUserName") or None)
    return RegistrationAnswer(
        registered=True, user_id=int(wire.get("UserId") or 0), promo_url=wire.get("PromoUrl") or None
    )
