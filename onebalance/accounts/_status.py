"""Account states, and what can be done about each: the diagnosis a support tool prints.

:func:`assess` is pure: it turns what the service said (an :class:`Account` or an error) into a
:class:`Diagnosis`. Every signal counts: faults (holds, locks, closure, password state,
refused credentials), ``AccountStatus``, ``ResubmitStatus``, the terms, phone verification
and the capabilities. (Whether the phone is verified shows only through ``AccountStatus``.)
A right the user lacks on an account that is fine (buying postage is for the administrator)
leaves the state ``active`` and is listed in ``restrictions``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict

from onebalance.carriers import plan_limits
from onebalance.core import (
    AccountClosed,
    AccountDisconnected,
    AccountLocked,
    AccountSuspended,
    AuthenticationError,
    NotConnected,
    OneBalanceError,
    PasswordExpired,
    PasswordResetRequired,
    PermissionDenied,
    SuspensionReason,
    TransportError,
)
from onebalance.swsim import Account, account_state, in_resubmission


class AccountState(str, enum.Enum):
    ACTIVE = "active"
    NOT_CONNECTED = "not_connected"
    DISCONNECTED = "disconnected"
    INVALID_CREDENTIALS = "invalid_credentials"
    CLOSED = "closed"
    LOCKED = "locked"
    PASSWORD_RESET = "password_reset"
    PASSWORD_EXPIRED = "password_expired"
    ADMIN_HOLD = "admin_hold"
    ACTIVITY_BLOCKED = "activity_blocked"
    PAYMENT_HOLD = "payment_hold"
    CAPABILITIES_OFF = "capabilities_off"
    VERIFICATION_REQUIRED = "verification_required"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"


#: When several problems show at once, the diagnosis leads with the first in this order.
PRIORITY = list(AccountState)


class RemedyAction(str, enum.Enum):
    CONNECT = "connect"
    REAUTHENTICATE = "reauthenticate"
    CHANGE_PASSWORD = "change_password"
    RESET_PASSWORD = "reset_password"
    REPLACE_PAYMENT_METHOD = "replace_payment_method"
    VERIFY_PHONE = "verify_phone"
    ACCEPT_TERMS = "accept_terms"
    CONTACT_SUPPORT = "contact_support"
    ASK_ADMINISTRATOR = "ask_administrator"
    CHANGE_PLAN = "change_plan"
    OPEN_NEW_ACCOUNT = "open_new_account"
    RETRY_LATER = "retry_later"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Remedy(_Model):
    """One thing that can be done. ``automated`` remedies the SDK runs itself, given ``needs``."""

    action: RemedyAction
    automated: bool
    description: str
    needs: tuple[str, ...] = ()
    url: str | None = None


class SupportContact(_Model):
    name: str = "Stamps.com One Balance support"
    phone: str = "(855) 889-7867"
    note: str = "Only the provider's support can lift an administrative hold or an activity block."


class Finding(_Model):
    state: AccountState
    detail: str
    code: str | None = None


_ASK_ADMINISTRATOR = Remedy(
    action=RemedyAction.ASK_ADMINISTRATOR,
    automated=False,
    description="ask the account's administrator to do it, or to give this user the right",
)


_CHANGE_PLAN = Remedy(
    action=RemedyAction.CHANGE_PLAN,
    automated=False,
    description="the merchant changes the One Balance plan (on the provider's website, or through its support)",
)


class Restriction(_Model):
    """Something this user cannot do on an account that is otherwise fine, and who can change that.

    ``capability`` is the service's name for it (``CanPurchasePostage``, or the plan's
    ``AllowAllMailClasses`` and ``PerPrintLimit``), when known.
    """

    capability: str | None = None
    detail: str
    remedy: Remedy = _ASK_ADMINISTRATOR


class Diagnosis(_Model):
    """Where an account stands, why, and what can be done about it.

    ``restrictions`` are what this user or the account's plan does not allow (a right the user
    lacks, services or label amounts the plan forbids); they do not change ``state`` (the account
    may be ``active``), and each says who can lift it (the account's administrator, a plan change).
    """

    merchant_id: str
    username: str | None = None
    state: AccountState
    reason: str
    findings: tuple[Finding, ...] = ()
    restrictions: tuple[Restriction, ...] = ()
    automated_remedies: tuple[Remedy, ...] = ()
    manual_remedies: tuple[Remedy, ...] = ()
    support: SupportContact = SupportContact()
    code: str | None = None
    account: Account | None = None
    checked_at: datetime

    @property
    def active(self) -> bool:
        return self.state is AccountState.ACTIVE

    def lines(self, next_step: Callable[[Remedy], str | None] | None = None) -> list[str]:
        """The diagnosis as text a person can read.

        ``next_step`` may name, for a remedy, what to run for it (the support command line does):
        it follows the remedy on a ``next:`` line.
        """
        out = [
            f"merchant {self.merchant_id}" + (f" ({self.username})" if self.username else ""),
            f"  state:   {self.state.value}",
            f"  reason:  {self.reason}",
        ]
        if self.account is not None:
            out.append(f"  balance: ${self.account.available_postage:,.2f} of ${self.account.max_postage_balance:,.2f}")
        for finding in self.findings[1:]:
            out.append(f"  also:    {finding.state.value}: {finding.detail}")
        for restriction in self.restrictions:
            out.append(f"  cannot:  {restriction.detail}")
        for title, remedies in (("the SDK can", self.automated_remedies), ("needs a person", self.manual_remedies)):
            for remedy in remedies:
                needs = f" (needs: {', '.join(remedy.needs)})" if remedy.needs else ""
                url = f" {remedy.url}" if remedy.url else ""
                out.append(f"  {title}: {remedy.description}{needs}{url}")
                step = next_step(remedy) if next_step is not None else None
                if step:
                    out.append(f"    next: {step}")
        if any(r.action is RemedyAction.CONTACT_SUPPORT for r in self.manual_remedies):
            out.append(f"  support: {self.support.name}, {self.support.phone}")
        return out


_REASONS = {
    AccountState.ACTIVE: "The account is active.",
    AccountState.NOT_CONNECTED: "No One Balance credentials are stored for this merchant.",
    AccountState.DISCONNECTED: "The stored credentials were refused: the password was probably changed outside "
    "the platform.",
    AccountState.INVALID_CREDENTIALS: "The credentials were refused and have never worked.",
    AccountState.CLOSED: "The account is closed; a closed account cannot be reopened.",
    AccountState.LOCKED: "The account is locked after failed logins.",
    AccountState.PASSWORD_RESET: "A password reset is under way: it must be finished with the emailed temporary "
    "password.",
    AccountState.PASSWORD_EXPIRED: "The password has expired and must be changed.",
    AccountState.ADMIN_HOLD: "The provider placed an administrative hold on the account.",
    AccountState.ACTIVITY_BLOCKED: "Activity is blocked because of the account's status.",
    AccountState.PAYMENT_HOLD: "Payment hold: the payment method on file was declined.",
    AccountState.CAPABILITIES_OFF: "Printing is switched off for this account.",
    AccountState.VERIFICATION_REQUIRED: "The merchant's phone number has not been verified.",
    AccountState.TERMS_NOT_ACCEPTED: "The merchant has not accepted the provider's terms of service.",
    AccountState.UNREACHABLE: "The One Balance service could not be reached.",
    AccountState.UNKNOWN: "The service reports something about the account that the SDK does not know.",
}

_CONTACT = Remedy(
    action=RemedyAction.CONTACT_SUPPORT, automated=False, description="call the provider's support to lift it"
)
_ASK_SUPPORT = Remedy(
    action=RemedyAction.CONTACT_SUPPORT, automated=False, description="ask the provider's support what it means"
)
_RESET = Remedy(
    action=RemedyAction.RESET_PASSWORD,
    automated=True,
    description="reset the password (codeword answers, then the temporary password the merchant is emailed)",
    needs=("codeword answers", "temporary password"),
)


def remedies_for(state: AccountState, terms_url: str | None = None) -> tuple[tuple[Remedy, ...], tuple[Remedy, ...]]:
    """(automated, needing a person) remedies for one state."""
    reauth = Remedy(
        action=RemedyAction.REAUTHENTICATE,
        automated=True,
        description="log in with the merchant's current password and store it",
        needs=("password",),
    )
    table: dict[AccountState, tuple[tuple[Remedy, ...], tuple[Remedy, ...]]] = {
        AccountState.ACTIVE: ((), ()),
        AccountState.NOT_CONNECTED: (
            (),
            (
                Remedy(
                    action=RemedyAction.CONNECT,
                    automated=False,
                    description="register a new account or connect an existing one",
                ),
            ),
        ),
        AccountState.DISCONNECTED: ((reauth, _RESET), ()),
        AccountState.INVALID_CREDENTIALS: ((reauth, _RESET), ()),
        AccountState.CLOSED: (
            (),
            (
                Remedy(
                    action=RemedyAction.OPEN_NEW_ACCOUNT,
                    automated=False,
                    description="register a new One Balance account",
                ),
            ),
        ),
        AccountState.LOCKED: ((_RESET,), (_CONTACT,)),
        AccountState.PASSWORD_RESET: (
            (
                Remedy(
                    action=RemedyAction.RESET_PASSWORD,
                    automated=True,
                    description="finish the reset with the emailed temporary password",
                    needs=("temporary password",),
                ),
            ),
            (),
        ),
        AccountState.PASSWORD_EXPIRED: (
            (
                Remedy(
                    action=RemedyAction.CHANGE_PASSWORD,
                    automated=True,
                    description="change the password (a new one is generated and stored unless one is given)",
                ),
            ),
            (),
        ),
        AccountState.ADMIN_HOLD: ((), (_CONTACT,)),
        AccountState.ACTIVITY_BLOCKED: ((), (_CONTACT,)),
        AccountState.PAYMENT_HOLD: (
            (
                Remedy(
                    action=RemedyAction.REPLACE_PAYMENT_METHOD,
                    automated=True,
                    description="replace the declined payment method",
                    needs=("card or bank account",),
                ),
            ),
            (_CONTACT,),
        ),
        AccountState.CAPABILITIES_OFF: ((), (_CONTACT,)),
        AccountState.VERIFICATION_REQUIRED: (
            (
                Remedy(
                    action=RemedyAction.VERIFY_PHONE,
                    automated=True,
                    description="verify the merchant's phone (a code by text or voice)",
                    needs=("verification code",),
                ),
            ),
            (),
        ),
        AccountState.TERMS_NOT_ACCEPTED: (
            (),
            (
                Remedy(
                    action=RemedyAction.ACCEPT_TERMS,
                    automated=False,
                    description="the merchant opens the terms page and accepts",
                    url=terms_url,
                ),
            ),
        ),
        AccountState.UNREACHABLE: (
            (),
            (
                Remedy(
                    action=RemedyAction.RETRY_LATER,
                    automated=False,
                    description="try again later; check the network and endpoint",
                ),
            ),
        ),
        AccountState.UNKNOWN: ((), (_ASK_SUPPORT,)),
    }
    return table[state]


_SUSPENSION_STATES = {
    SuspensionReason.PAYMENT_HOLD: AccountState.PAYMENT_HOLD,
    SuspensionReason.ADMIN_HOLD: AccountState.ADMIN_HOLD,
    SuspensionReason.ACTIVITY_BLOCKED: AccountState.ACTIVITY_BLOCKED,
    SuspensionReason.CAPABILITY_DISABLED: AccountState.CAPABILITIES_OFF,
}


def state_for_error(error: OneBalanceError) -> AccountState:
    if isinstance(error, PermissionDenied):
        return AccountState.ACTIVE  # a right this user lacks, not a problem of the account
    if isinstance(error, NotConnected):
        return AccountState.NOT_CONNECTED
    if isinstance(error, AccountDisconnected):
        return AccountState.DISCONNECTED
    if isinstance(error, AccountLocked):
        return AccountState.LOCKED
    if isinstance(error, AccountClosed):
        return AccountState.CLOSED
    if isinstance(error, PasswordExpired):
        return AccountState.PASSWORD_EXPIRED
    if isinstance(error, PasswordResetRequired):
        return AccountState.PASSWORD_RESET
    if isinstance(error, AccountSuspended):
        return _SUSPENSION_STATES[error.reason]
    if isinstance(error, AuthenticationError):
        return AccountState.INVALID_CREDENTIALS
    if isinstance(error, TransportError):
        return AccountState.UNREACHABLE
    return AccountState.UNKNOWN


def findings_for_account(account: Account) -> list[Finding]:
    found: list[Finding] = []
    reported = account_state(account.account_status)
    if reported is not None:
        state = AccountState(reported)
        if state is not AccountState.ACTIVE:
            found.append(Finding(state=state, detail=f"the service reports AccountStatus {account.account_status!r}"))
    if in_resubmission(account.resubmit_status):
        found.append(
            Finding(state=AccountState.PAYMENT_HOLD, detail=f"a payment is in resubmission ({account.resubmit_status})")
        )
    if not account.terms.general:
        found.append(Finding(state=AccountState.TERMS_NOT_ACCEPTED, detail="the general terms are not accepted"))
    if not account.capabilities.can_print_shipping:
        found.append(Finding(state=AccountState.CAPABILITIES_OFF, detail="CanPrintShipping is off"))
    return found


def restrictions_for_account(account: Account) -> list[Restriction]:
    """The rights this user lacks (an invoiced account buys no postage at all: that is no restriction),
    and what the account's plan forbids (:func:`onebalance.carriers.plan_limits`)."""
    found: list[Restriction] = []
    if not account.capabilities.can_purchase_postage and not account.capabilities.can_use_invoicing:
        found.append(
            Restriction(
                capability="CanPurchasePostage",
                detail="buy postage: this user may not (CanPurchasePostage is off); ask the account's administrator",
            )
        )
    for limit in plan_limits(account.capabilities):  # the rates these forbid are marked in a rate shop
        found.append(Restriction(capability=limit.capability, detail=limit.cannot, remedy=_CHANGE_PLAN))
    return found


def assess(
    merchant_id: str,
    outcome: Account | OneBalanceError,
    *,
    username: str | None = None,
    terms_url: str | None = None,
    support: SupportContact | None = None,
    now: datetime | None = None,
) -> Diagnosis:
    """The diagnosis for what the service answered about an account."""
    restrictions: list[Restriction] = []
    if isinstance(outcome, PermissionDenied):
        state, findings, account, code = AccountState.ACTIVE, [], None, outcome.code
        restrictions.append(Restriction(detail=outcome.message))
    elif isinstance(outcome, OneBalanceError):
        state = state_for_error(outcome)
        findings = [Finding(state=state, detail=outcome.message, code=outcome.code)]
        account = None
        code = outcome.code
    else:
        account = outcome
        restrictions = restrictions_for_account(account)
        findings = findings_for_account(account)
        findings.sort(key=lambda f: PRIORITY.index(f.state))
        state = findings[0].state if findings else AccountState.ACTIVE
        code = None
    automated: list[Remedy] = []
    manual: list[Remedy] = []
    for finding in findings or [Finding(state=state, detail=_REASONS[state])]:
        auto, person = remedies_for(finding.state, terms_url)
        automated += [r for r in auto if r not in automated]
        manual += [r for r in person if r not in manual]
    for restriction in restrictions:  # several restrictions may share one remedy: offer it once
        if restriction.remedy not in manual:
            manual.append(restriction.remedy)
    return Diagnosis(
        merchant_id=merchant_id,
        username=username or (account.username if account else None),
        state=state,
        reason=_REASONS[state] if state is not AccountState.UNKNOWN else f"{_REASONS[state]} ({findings[0].detail})",
        findings=tuple(findings),
        restrictions=tuple(restrictions),
        automated_remedies=tuple(automated),
        manual_remedies=tuple(manual),
        support=support or SupportContact(),
        code=code,
        account=account,
        checked_at=now or datetime.now(timezone.utc),
    )
