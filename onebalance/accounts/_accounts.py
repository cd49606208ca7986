"""``Accounts``: a platform's One Balance accounts, one per merchant, kept connected.

It registers merchants, keeps their credentials in a :class:`CredentialStore`, tells what is
wrong with an account (:meth:`Accounts.diagnose`) and runs the remedies that can be automated
(:meth:`Accounts.unsuspend`), checking the account again after each one. Each concern is a module
of its own (``_registration``, ``_connections``, ``_remedies``, over ``_clients``); ``Accounts``
composes them and keeps the public methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Literal

import requests

from onebalance.carriers import Shipping, UspsShipping
from onebalance.core import ConfigurationError, RetryPolicy, Timeout, ValidationError, old_keywords
from onebalance.funding import Notifier, Postage, RefillProposal
from onebalance.shipments import LabelSpec
from onebalance.stores import (
    CredentialStore,
    FedexAccount,
    InMemoryLabelJournal,
    InMemoryPostageRecords,
    LabelJournal,
    PostageRecords,
    RefillJournal,
    SqliteLabelJournal,
    SqlitePostageRecords,
    Store,
    StoredCredentials,
    UpsAccount,
    journal_for,
)
from onebalance.swsim import (
    ZIP_OLD_NAME,
    ApiVersion,
    Codewords,
    Concurrency,
    OneBalance,
    PaymentMethod,
    Platform,
    RegistrationForm,
    check_credentials,
)

from ._clients import MerchantClients
from ._connections import Connections
from ._registration import Registrar, Registration
from ._remedies import Remedies, RemedyInputs, RemedyReport, RemedyStep
from ._status import Diagnosis, SupportContact

__all__ = ["Accounts", "Registration", "RemedyInputs", "RemedyReport", "RemedyStep"]


class Accounts:
    """The platform's One Balance accounts, keyed by the platform's merchant id.

    Clients are cached per merchant (one conversation each) and rebuilt when credentials change;
    so are the merchant's UPS and FedEx clients (and with them their OAuth tokens). ``labels`` is
    the label journal that makes idempotency keys hold across processes: the store's own
    (``store.labels``) when ``store`` is a Store, else a table in the ``records`` SQLite file when
    it is one, else in memory. ``refills``, the refill journal every postage purchase is written
    down in before it is sent (:meth:`Postage.pending`, :meth:`Postage.settle`), comes from the
    same place. Safe to use from many threads.

    ``store`` is a :class:`~onebalance.Store` (credentials, receipts, settings, the label journal and
    the auto-refill lock shared by every worker: :class:`~onebalance.SqliteStore`,
    :class:`~onebalance.PostgresStore`), or just a :class:`~onebalance.CredentialStore`, with the
    receipts in ``records`` (in memory by default) and a refill lock that covers this process only.

    Its concerns live apart and it composes them: registration (``_registration``), connections
    (``_connections``), diagnosis and remedies (``_remedies``), over the merchants' cached clients
    (``_clients``).

    ``timeout`` and ``retry`` (a :class:`~onebalance.RetryPolicy`) go to every client it builds:
    each merchant's One Balance client and its UPS and FedEx clients; ``concurrency`` to each One
    Balance client (see :class:`~onebalance.OneBalance`).
    """

    def __init__(
        self,
        *,
        integration_id: str,
        endpoint: str,
        store: CredentialStore | Store,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        client_ip: str = "127.0.0.1",
        support: SupportContact | None = None,
        now: Callable[[], datetime] | None = None,
        records: PostageRecords | None = None,
        refill_prompt: Callable[[RefillProposal], bool] | None = None,
        notifiers: Sequence[Notifier] = (),
        labels: LabelJournal | None = None,
        retry: RetryPolicy | None = None,
        concurrency: Concurrency = "auto",
        api_version: ApiVersion | None = None,
    ) -> None:
        check_credentials(integration_id, "placeholder", "placeholder")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        if concurrency not in ("auto", "conversation", "credentials"):
            raise ConfigurationError("concurrency must be 'auto', 'conversation' or 'credentials'")
        self.integration_id = integration_id
        #: The Store given as ``store=``, if one was: its records, credentials and refill lock are used.
        self._shared: Store | None = None
        if isinstance(store, Store):
            if records is not None and records is not store.records:
                raise ConfigurationError(
                    "records come from the store: pass store=<a Store> alone, or a CredentialStore with records=..."
                )
            if labels is not None and labels is not store.labels:
                raise ConfigurationError(
                    "the label journal comes from the store: pass store=<a Store> alone, or a CredentialStore "
                    "with labels=..."
                )
            self._shared, records, labels, store = store, store.records, store.labels, store.credentials
        elif not isinstance(store, CredentialStore):
            raise ConfigurationError("store must be a Store (SqliteStore, PostgresStore...) or a CredentialStore")
        #: The merchants' credentials (the store's, when a Store was given).
        self.store: CredentialStore = store
        self.support = support or SupportContact()
        platform = Platform(endpoint, timeout=timeout, session=session, retry=retry, api_version=api_version)
        self.endpoint = platform.endpoint
        #: The SWSIM version every client of this platform speaks: ``"v135"`` (the default) or ``"v111"``.
        self.api_version: ApiVersion = platform.api_version
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._clients = MerchantClients(
            integration_id=integration_id,
            endpoint=self.endpoint,
            api_version=self.api_version,
            store=store,
            timeout=timeout,
            session=session,
            retry=retry,
            concurrency=concurrency,
            client_ip=client_ip,
            now=self._now,
        )
        self._connections = Connections(self._clients)
        self._registrar = Registrar(self._clients, platform)
        self._remedies = Remedies(self._clients, platform, lambda: self.support)
        self.records = records or InMemoryPostageRecords()
        self.refill_prompt = refill_prompt
        self.notifiers = list(notifiers)
        if labels is None:
            labels = (
                SqliteLabelJournal(self.records.path)
                if isinstance(self.records, SqlitePostageRecords)
                else InMemoryLabelJournal()
            )
        self.labels = labels
        #: The refill journal: every postage purchase written down before it is sent (the store's, else
        #: a table of the ``records`` SQLite file when it is one, else in memory).
        self.refills: RefillJournal = self._shared.refills if self._shared is not None else journal_for(self.records)

    def __repr__(self) -> str:
        return f"Accounts(endpoint={self.endpoint!r}, store={self.store!r})"

    # -- clients ---------------------------------------------------------------------------------
    def client(self, merchant_id: str) -> OneBalance:
        """The merchant's client (cached), from the stored credentials; :class:`NotConnected` if none."""
        return self._clients.client(merchant_id)

    def credentials(self, merchant_id: str) -> StoredCredentials:
        """The merchant's stored credentials (secrets masked in their ``repr``): its One Balance login and
        the UPS and FedEx accounts connected next to it. :class:`NotConnected` if none are stored."""
        return self._clients.stored(merchant_id)

    def postage(self, merchant_id: str) -> Postage:
        """The merchant's postage funding: quotes, purchases, auto-refill, receipts and history."""
        funding = Postage(
            merchant_id,
            self.client(merchant_id),
            self.records,
            store=self._shared,
            prompt=self.refill_prompt,
            notifiers=self.notifiers,
            now=self._now,
            refills=self.refills,
        )
        funding.labels = self.labels  # the history shows each print's cost account from the journal
        return funding

    def usps(self, merchant_id: str) -> UspsShipping:
        """USPS labels for the merchant, paid from its One Balance: rates, labels, voids, tracking."""
        return UspsShipping(self.postage(merchant_id))

    # -- carriers --------------------------------------------------------------------------------
    def shipping(
        self,
        merchant_id: str,
        *,
        charge_tolerance: Decimal | int | str | None = None,
        label_format: LabelSpec | str | None = None,
        label_size: str | None = None,
    ) -> Shipping:
        """The merchant's carriers behind one router: USPS (paid from the One Balance) always, and UPS
        and FedEx when their accounts are connected (:meth:`connect_ups`, :meth:`connect_fedex`).

        The carrier clients are cached per merchant like the One Balance client, so their OAuth
        tokens are reused from one call to the next; purchases go through :attr:`labels`.
        ``charge_tolerance`` is the most a label may cost above its rate, ``label_format`` and
        ``label_size`` how its labels are printed unless a purchase says otherwise (see :class:`Shipping`).
        """
        usps = self.usps(merchant_id)  # NotConnected / AccountDisconnected first
        ups, fedex = self._connections.carrier_clients(merchant_id, self.credentials(merchant_id))
        return Shipping(
            usps=usps,
            ups=ups,
            fedex=fedex,
            journal=self.labels,
            merchant_id=merchant_id,
            now=self._now,
            charge_tolerance=charge_tolerance,
            label_format=label_format,
            label_size=label_size,
        )

    def connect_ups(
        self,
        merchant_id: str,
        *,
        client_id: str,
        client_secret: str,
        account_number: str,
        base_url: str | None = None,
        verify: bool = True,
    ) -> UpsAccount:
        """Store the merchant's own UPS account (an OAuth app's client id and secret and its 6-character
        shipper number) next to its One Balance credentials.

        Formats are checked first (:class:`ValidationError`, nothing stored); with ``verify`` the
        credentials must also get an OAuth token from ``base_url`` (default: UPS's test host, CIE).
        Returns what was stored (the secret masked in its ``repr``).
        """
        account = self._connections.connect_carrier(
            merchant_id, "ups", client_id, client_secret, account_number, base_url=base_url, verify=verify
        )
        assert isinstance(account, UpsAccount)
        return account

    def connect_fedex(
        self,
        merchant_id: str,
        *,
        client_id: str,
        client_secret: str,
        account_number: str,
        base_url: str | None = None,
        verify: bool = True,
    ) -> FedexAccount:
        """Store the merchant's own FedEx account (an API key and secret and its 9-digit account number).

        As :meth:`connect_ups`; ``base_url`` defaults to FedEx's test host.
        """
        account = self._connections.connect_carrier(
            merchant_id, "fedex", client_id, client_secret, account_number, base_url=base_url, verify=verify
        )
        assert isinstance(account, FedexAccount)
        return account

    def disconnect_ups(self, merchant_id: str) -> bool:
        """Forget the merchant's UPS account; True if one was stored. The One Balance stays connected."""
        return self._connections.disconnect(merchant_id, "ups")

    def disconnect_fedex(self, merchant_id: str) -> bool:
        """Forget the merchant's FedEx account; True if one was stored."""
        return self._connections.disconnect(merchant_id, "fedex")

    def connect(self, merchant_id: str, *, username: str, password: str) -> Diagnosis:
        """Connect an existing account: log in with these credentials and, if they work, store them.

        A ``merchant_id`` the store would refuse is refused first (:class:`ValidationError`), before any login.
        """
        merchant_id = self.store.check_merchant_id(merchant_id)
        self._connections.connect(merchant_id, username=username, password=password)
        return self.diagnose(merchant_id)

    # -- registration ----------------------------------------------------------------------------
    def register(self, merchant_id: str, form: RegistrationForm, *, replace: bool = False) -> Registration:
        """Register a new account from ``form``; nothing is sent unless the whole form is valid.

        The credentials are stored at once (status ``pending_verification``) so that they are
        never lost; :meth:`finish_phone_verification` completes the connection.
        """
        return self._registrar.register(merchant_id, form, replace=replace)

    def start_phone_verification(
        self, merchant_id: str, method: Literal["SMS", "Voice"] = "SMS", phone: str | None = None
    ) -> None:
        self._registrar.start_phone_verification(merchant_id, method, phone)

    def finish_phone_verification(self, merchant_id: str, code: str) -> Diagnosis:
        """Finish verification; the account is then connected (stored with status ``connected``)."""
        self._registrar.finish_phone_verification(merchant_id, code)
        return self.diagnose(merchant_id)

    def codeword_types(self) -> list[tuple[str, str]]:
        """The security questions the service offers: (type, description)."""
        return self._registrar.codeword_types()

    def set_codewords(self, merchant_id: str, codewords: Codewords) -> None:
        self._registrar.set_codewords(merchant_id, codewords)

    def recover_username(self, email: str) -> None:
        """The service emails the usernames registered to ``email`` (it never says whether any are)."""
        self._registrar.recover_username(email)

    # -- diagnosis and remedies ------------------------------------------------------------------
    def diagnose(self, merchant_id: str) -> Diagnosis:
        """Where the account stands and what can be done. It uses Credentials, so it never logs the
        platform's own conversation out."""
        return self._remedies.diagnose(merchant_id)

    def reconnect(self, merchant_id: str, *, password: str | None = None, retry_refused: bool = True) -> RemedyReport:
        """Log in again (with ``password`` if the merchant changed it) and store what works.

        An account whose stored password works (the service answered for it) is left as it is: no
        step is run, whatever ``password`` says. A ``password`` is tried before anything is changed:
        when the service refuses it, the stored record stays as it was. Without ``password`` the
        stored one is tried once, even if it was refused before (a person asked for it) unless
        ``retry_refused`` is false: then a refused record is left alone, which is what a scheduled
        run over every merchant wants.
        """
        return self._remedies.reconnect(merchant_id, password=password, retry_refused=retry_refused)

    def unsuspend(
        self,
        merchant_id: str,
        *,
        password: str | None = None,
        new_password: str | None = None,
        payment_method: PaymentMethod | None = None,
        codeword_answers: tuple[str, str] | None = None,
        temporary_password: str | None = None,
        verification_code: str | None = None,
        client_ip: str | None = None,
        inputs: RemedyInputs | None = None,
    ) -> RemedyReport:
        """Run every automated remedy that applies and has what it needs; check the account after each.

        What the remedies may use is given as keywords, or all at once as ``inputs`` (a
        :class:`RemedyInputs`, which says what each is for), not both.
        ``password``: the merchant's current password (after a change outside the platform).
        ``new_password``: for an expired password or a reset (one is generated when not given).
        ``payment_method``: replaces a declined one. ``codeword_answers`` start a password reset,
        ``temporary_password`` (from the merchant's email) finishes it. ``verification_code``
        finishes phone verification (without it, a code is sent). ``client_ip``: the merchant's
        IP address, sent with a payment method change.
        """
        given = RemedyInputs(
            password=password,
            new_password=new_password,
            payment_method=payment_method,
            codeword_answers=codeword_answers,
            temporary_password=temporary_password,
            verification_code=verification_code,
            client_ip=client_ip,
        )
        if inputs is not None:
            if given != RemedyInputs():
                raise ValidationError("give the remedies' inputs as keywords or as inputs=, not both", field="inputs")
            given = inputs
        return self._remedies.unsuspend(merchant_id, given)

    def change_password(self, merchant_id: str, new_password: str | None = None) -> str:
        """Change the password (generating one when not given) and store it. Returns nothing secret."""
        self._remedies.change_password(merchant_id, new_password)
        return "changed"

    def replace_payment_method(self, merchant_id: str, method: PaymentMethod, *, client_ip: str | None = None) -> str:
        """Add ``method`` as the default payment method (this lifts a payment hold). Returns its id.

        ``client_ip`` is the merchant's IP address (the service uses it for fraud checks).
        """
        return self._remedies.replace_payment_method(merchant_id, method, client_ip=client_ip)

    def password_reset_questions(self, merchant_id: str) -> tuple[str, str]:
        return self._remedies.password_reset_questions(merchant_id)

    def start_password_reset(self, merchant_id: str, answer1: str, answer2: str) -> None:
        """Answer the codeword questions; the service emails the merchant a temporary password."""
        self._remedies.start_password_reset(merchant_id, answer1, answer2)

    def finish_password_reset(self, merchant_id: str, temporary_password: str, new_password: str | None = None) -> None:
        """Finish a reset with the emailed temporary password; the new password is stored."""
        self._remedies.finish_password_reset(merchant_id, temporary_password, new_password)

    # -- the account's end -----------------------------------------------------------------------
    def terms_url(self, merchant_id: str) -> str:
        """The provider's page where the merchant accepts the terms of service."""
        return self.client(merchant_id).page_url()  # the terms page is the default

    @old_keywords(ZIP_OLD_NAME)
    def close(self, merchant_id: str, *, address: str, city: str, state: str, postal_code: str) -> None:
        """Close the account (CancelAccount) and forget its credentials; the account's physical
        address (``address`` its street line) confirms it."""
        self.client(merchant_id).cancel_account(address=address, city=city, state=state, postal_code=postal_code)
        self.store.delete(merchant_id)
        self._clients.forget(merchant_id)
        self._connections.forget(merchant_id)
