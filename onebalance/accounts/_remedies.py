"""What is wrong with an account (:meth:`Remedies.diagnose`) and the remedies that can be automated,
each followed by a fresh look at the account: logging in again, a new password, a new payment
method, a password reset, phone verification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from onebalance.core import NotConnected, OneBalanceError, ValidationError
from onebalance.swsim import PaymentMethod, Platform, check_password, generate_password, ipv4

from ._clients import MerchantClients, refused_error
from ._status import AccountState, Diagnosis, RemedyAction, SupportContact, assess

__all__ = ["RemedyInputs", "RemedyReport", "RemedyStep", "Remedies"]


class RemedyInputs(BaseModel):
    """What the automated remedies may use (:meth:`Accounts.unsuspend`); each is optional, and a
    remedy that needs one it lacks is not run.

    ``password``: the merchant's current password (after a change outside the platform).
    ``new_password``: for an expired password or a reset (one is generated when not given).
    ``payment_method``: replaces a declined one. ``codeword_answers`` start a password reset,
    ``temporary_password`` (from the merchant's email) finishes it. ``verification_code``
    finishes phone verification (without it, a code is sent). ``client_ip``: the merchant's
    IPv4 address, sent with a payment method change. Secrets stay out of the ``repr``.
    """

    model_config = ConfigDict(frozen=True)

    password: str | None = Field(default=None, repr=False)
    new_password: str | None = Field(default=None, repr=False)
    payment_method: PaymentMethod | None = None
    codeword_answers: tuple[str, str] | None = Field(default=None, repr=False)
    temporary_password: str | None = Field(default=None, repr=False)
    verification_code: str | None = Field(default=None, repr=False)
    client_ip: str | None = None

    def check(self) -> None:
        """Refuse a new password the service would refuse, or an IP address that is not IPv4."""
        if self.new_password is not None:
            check_password(self.new_password, field="new_password")
        if self.client_ip is not None:
            ipv4(self.client_ip)

    def allow(self, action: RemedyAction, state: AccountState) -> bool:
        """Whether ``action`` can run with these inputs on an account in ``state``."""
        if action is RemedyAction.REAUTHENTICATE:
            return self.password is not None or state not in (
                AccountState.DISCONNECTED,
                AccountState.INVALID_CREDENTIALS,
            )
        if action is RemedyAction.REPLACE_PAYMENT_METHOD:
            return self.payment_method is not None
        if action is RemedyAction.RESET_PASSWORD:
            return self.temporary_password is not None or self.codeword_answers is not None
        return action in (RemedyAction.CHANGE_PASSWORD, RemedyAction.VERIFY_PHONE)


class RemedyStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: RemedyAction
    ok: bool
    detail: str
    state_after: AccountState


class RemedyReport(BaseModel):
    """What a reconnection or unsuspension did, step by step, and where the account ended up."""

    model_config = ConfigDict(frozen=True)

    merchant_id: str
    before: Diagnosis
    steps: tuple[RemedyStep, ...]
    after: Diagnosis

    @property
    def active(self) -> bool:
        return self.after.active


class Remedies:
    """Diagnosis and the automated remedies of the merchants' accounts."""

    def __init__(self, clients: MerchantClients, platform: Platform, support: Callable[[], SupportContact]) -> None:
        self._clients = clients
        self._platform = platform
        self._support = support

    def _now(self) -> datetime:
        return self._clients.now()

    def diagnose(self, merchant_id: str) -> Diagnosis:
        support = self._support()
        stored = self._clients.store.get(merchant_id)
        if stored is None:
            return assess(merchant_id, NotConnected(), support=support, now=self._now())
        if stored.status == "disconnected":
            return assess(
                merchant_id, refused_error(stored), username=stored.username, support=support, now=self._now()
            )
        client = self._clients.client_for(stored, merchant_id)
        try:
            account = client.account(with_credentials=True)
        except OneBalanceError as exc:
            return assess(merchant_id, exc, username=stored.username, support=support, now=self._now())
        terms_url = None
        if not account.terms.general:
            try:
                terms_url = client.page_url(with_credentials=True)  # the terms page is the default
            except OneBalanceError:
                terms_url = None
        return assess(merchant_id, account, terms_url=terms_url, support=support, now=self._now())

    def reconnect(self, merchant_id: str, *, password: str | None, retry_refused: bool) -> RemedyReport:
        before = self.diagnose(merchant_id)
        if before.account is not None or (
            password is None and not retry_refused and before.state is AccountState.DISCONNECTED
        ):
            return RemedyReport(merchant_id=merchant_id, before=before, steps=(), after=before)
        inputs = RemedyInputs(password=password)
        step, after = self._attempt(merchant_id, RemedyAction.REAUTHENTICATE, inputs)
        return RemedyReport(merchant_id=merchant_id, before=before, steps=(step,), after=after)

    def unsuspend(self, merchant_id: str, inputs: RemedyInputs) -> RemedyReport:
        inputs.check()
        before = self.diagnose(merchant_id)
        current = before
        steps: list[RemedyStep] = []
        tried: set[RemedyAction] = set()
        while not current.active:
            remedy = next(
                (
                    r
                    for r in current.automated_remedies
                    if r.action not in tried and inputs.allow(r.action, current.state)
                ),
                None,
            )
            if remedy is None:
                break
            tried.add(remedy.action)
            step, current = self._attempt(merchant_id, remedy.action, inputs)
            steps.append(step)
        return RemedyReport(merchant_id=merchant_id, before=before, steps=tuple(steps), after=current)

    def _attempt(self, merchant_id: str, action: RemedyAction, inputs: RemedyInputs) -> tuple[RemedyStep, Diagnosis]:
        """Run one remedy, then look at the account again."""
        try:
            detail = self._run(merchant_id, action, inputs)
            ok = True
        except OneBalanceError as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        after = self.diagnose(merchant_id)
        return RemedyStep(action=action, ok=ok, detail=detail, state_after=after.state), after

    def _run(self, merchant_id: str, action: RemedyAction, inputs: RemedyInputs) -> str:
        if action is RemedyAction.REAUTHENTICATE:
            self._reauthenticate(merchant_id, inputs.password)
            return "logged in and stored the credentials"
        if action is RemedyAction.CHANGE_PASSWORD:
            self.change_password(merchant_id, inputs.new_password)
            return "changed the password and stored it"
        if action is RemedyAction.REPLACE_PAYMENT_METHOD:
            assert inputs.payment_method is not None
            self.replace_payment_method(merchant_id, inputs.payment_method, client_ip=inputs.client_ip)
            return f"added the new payment method (ending {inputs.payment_method.last4}) as the default"
        if action is RemedyAction.RESET_PASSWORD:
            if inputs.temporary_password is not None:
                self.finish_password_reset(merchant_id, inputs.temporary_password, inputs.new_password)
                return "finished the password reset and stored the new password"
            assert inputs.codeword_answers is not None
            self.start_password_reset(merchant_id, *inputs.codeword_answers)
            return "started a password reset: the merchant is emailed a temporary password"
        if action is RemedyAction.VERIFY_PHONE:
            client = self._clients.client(merchant_id)
            if inputs.verification_code is None:
                client.start_phone_verification("SMS", None)
                return "sent a verification code to the merchant's phone"
            client.finish_phone_verification(inputs.verification_code)
            self._clients.save(merchant_id, client)
            return "verified the merchant's phone"
        raise ValidationError(f"{action.value} cannot be automated")  # pragma: no cover

    def _reauthenticate(self, merchant_id: str, password: str | None) -> None:
        stored = self._clients.stored(merchant_id)
        sent = password if password is not None else stored.password_value()
        # Only a refusal of the stored password marks the record: a new one mistyped changes nothing.
        clients = self._clients
        refused = (lambda error: clients.mark_refused(merchant_id, stored)) if sent == stored.password_value() else None
        client = clients.new_client(
            integration_id=stored.integration_id,
            username=stored.username,
            password=sent,
            endpoint=stored.endpoint,
            credentials_verified=password is None and stored.verified_at is not None,
            on_credentials_refused=refused,
        )
        client.authenticate()
        clients.save(merchant_id, client)

    def change_password(self, merchant_id: str, new_password: str | None) -> None:
        password = new_password or generate_password()
        client = self._clients.client(merchant_id)
        client.change_password(password)
        self._clients.save(merchant_id, client)

    def replace_payment_method(self, merchant_id: str, method: PaymentMethod, *, client_ip: str | None) -> str:
        return self._clients.client(merchant_id).add_payment_method(method, make_default=True, client_ip=client_ip)

    def password_reset_questions(self, merchant_id: str) -> tuple[str, str]:
        stored = self._clients.stored(merchant_id)
        return self._platform.codeword_questions(stored.integration_id, stored.username)

    def start_password_reset(self, merchant_id: str, answer1: str, answer2: str) -> None:
        stored = self._clients.stored(merchant_id)
        self._platform.start_password_reset(stored.integration_id, stored.username, answer1, answer2)

    def finish_password_reset(self, merchant_id: str, temporary_password: str, new_password: str | None) -> None:
        stored = self._clients.stored(merchant_id)
        password = new_password or generate_password()
        check_password(password, field="new_password")
        self._platform.finish_password_reset(stored.integration_id, stored.username, temporary_password, password)
        client = self._clients.new_client(
            integration_id=stored.integration_id, username=stored.username, password=password, endpoint=stored.endpoint
        )
        client.authenticate()
        self._clients.save(merchant_id, client)
