"""The control API's account conditions (status, holds, password, lock, codewords, phone,
capabilities): what ``Sandbox`` does to an account behind the service's back."""

from __future__ import annotations

from collections.abc import Callable

from onebalance.swsim import _rules

from .._shared._clock import Clock
from ._account_models import AccountStatus, Codewords, Hold
from ._state import SandboxAccount, SandboxState


class AccountControls:
    """The control methods that change an account's conditions (a part of :class:`Sandbox`)."""

    state: SandboxState
    clock: Clock

    def set_status(self, username: str, status: AccountStatus) -> None:
        """Put the account in ``status``'s condition, on top of the others it is in.

        ``PAYMENT_HOLD``, ``ADMIN_HOLD`` and ``ACTIVITY_BLOCKED`` place that hold, ``LOCKED``
        locks, ``CLOSED`` closes, ``PASSWORD_EXPIRED`` expires the password,
        ``VERIFICATION_REQUIRED`` un-verifies the phone and ``TERMS_REQUIRED`` withdraws the
        terms. ``ACTIVE`` clears every condition: a plain active account again. What
        GetAccountInfo then reports is the first condition in ``AccountStatus``'s order.
        """
        self._update(username, lambda a: a.set_status(AccountStatus(status)))

    def set_password(self, username: str, password: str) -> None:
        """Change the password behind the platform's back (as a user would on the provider's site).

        The password rules are not applied. It ends a password expiry and a reset in progress.
        """
        self._update(username, lambda a: a.change_password(password))

    def place_hold(self, username: str, reason: Hold | str) -> None:
        """Place a hold: ``"payment_hold"``, ``"admin_hold"`` or ``"activity_blocked"``.

        A payment hold is lifted when a usable payment method becomes the default (or by
        ``lift_hold``); the others only by ``lift_hold`` (or ``set_status(ACTIVE)``).
        """
        self._update(username, lambda a: a.place_hold(Hold(reason)))

    def lift_hold(self, username: str, reason: Hold | str) -> None:
        self._update(username, lambda a: a.lift_hold(Hold(reason)))

    def decline_payment_method(self, username: str, hold: bool = True) -> None:
        """The default payment method was declined: it is marked so, and a payment hold is placed.

        ``hold=False`` only marks it: the next purchase that charges it is then rejected
        (CustomerActionRequired), and that places the hold.
        """

        def decline(account: SandboxAccount) -> None:
            method = account.default_payment_method
            if method is None:
                raise ValueError(f"sandbox account {username!r} has no payment method")
            method.declined = True
            if hold:
                account.place_hold(Hold.PAYMENT_HOLD)

        self._update(username, decline)

    def expire_password(self, username: str) -> None:
        """Expire the password: AuthenticateUser says ``PasswordExpired=true``, and every call but
        GetAccountInfo and ChangePassword answers 002b0608 until the password is changed."""
        self._update(username, lambda a: setattr(a, "password_expired", True))

    def set_terms_accepted(self, username: str, accepted: bool) -> None:
        """Accept or withdraw the general terms (``Terms.TermsGP``; AccountStatus ``TermsRequired``)."""
        self._update(username, lambda a: setattr(a, "terms_accepted", accepted))

    def lock(self, username: str) -> None:
        """Lock the account, as 5 failed logins would: logins and tokens answer 002b0607."""
        self._update(username, lambda a: setattr(a, "locked", True))

    def unlock(self, username: str) -> None:
        """Unlock the account and forget its failed logins."""

        def unlock(account: SandboxAccount) -> None:
            account.locked = False
            account.failed_logins = 0

        self._update(username, unlock)

    def set_codewords(self, username: str, type1: str, answer1: str, type2: str, answer2: str) -> None:
        """Set the security questions (CodewordType names) and answers; checked like SetCodeWords."""
        violation = _rules.codewords_violation(type1, answer1, type2, answer2)
        if violation:
            raise ValueError(violation[1])
        codewords = Codewords(type1=type1, answer1=answer1.strip(), type2=type2, answer2=answer2.strip())
        self._update(username, lambda a: setattr(a, "codewords", codewords))

    def verify_phone(self, username: str, phone: str | None = None) -> None:
        """Mark the phone verified, as FinishAccountVerification would (``phone``: the account's by default)."""

        def verify(account: SandboxAccount) -> None:
            number = _rules.normalize_phone(phone or account.address.get("PhoneNumber") or "")
            account.phone_verified = True
            account.verification_phone = number or phone or account.verification_phone
            account.verification = None

        self._update(username, verify)

    def set_capability(self, username: str, name: str, value: bool) -> None:
        with self.state.lock:
            account = self._get(username)
            account.capabilities[name] = value
            self.state.touch(account)
            self.state.flush()

    def _update(self, username: str, change: Callable[[SandboxAccount], object]) -> None:
        with self.state.lock:
            account = self._get(username)
            change(account)
            self.state.touch(account)
            self.state.flush()

    def _get(self, username: str) -> SandboxAccount:
        try:
            return self.state.accounts[username.lower()]
        except KeyError:
            raise KeyError(f"no sandbox account {username!r}") from None
