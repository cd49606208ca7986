"""``Accounts``: a platform's One Balance accounts, one per merchant, kept connected.

It registers merchants, keeps their credentials in a :class:`CredentialStore`, tells what is
wrong with an account (:meth:`Accounts.diagnose`) and runs the remedies that can be automated
(:meth:`Accounts.unsuspend`), checking the account again after each one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import requests
from pydantic import BaseModel, ConfigDict

from onebalance.carriers import Shipping, UspsShipping
from onebalance.core._config import Timeout
from onebalance.core._errors import (
    AccountDisconnected,
    ConfigurationError,
    NotConnected,
    OneBalanceError,
    UsernameTaken,
    ValidationError,
)
from onebalance.core._retry import RetryPolicy
from onebalance.funding._notify import Notifier, RefillProposal
from onebalance.funding._postage import Postage
from onebalance.stores import (
    CarrierAccount,
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
from onebalance.swsim import _dialect, _mapping
from onebalance.swsim._client import Concurrency, OneBalance
from onebalance.swsim._endpoints import check_credentials
from onebalance.swsim._exchange import Wire
from onebalance.swsim._inputs import Codewords, PaymentMethod, RegistrationForm, check_password, generate_password
from onebalance.swsim._soap._versions import ApiVersion

from ._status import AccountState, Diagnosis, RemedyAction, SupportContact, assess

if TYPE_CHECKING:
    from onebalance.carriers.fedex import FedexClient, FedexSettings
    from onebalance.carriers.ups import UpsClient, UpsSettings


def _one_balance_part(stored: StoredCredentials) -> dict[str, Any]:
    """What the One Balance client is built from: a carrier account (dis)connected must not rebuild
    it (and so log in again), nor must the record's ``updated_at`` alone."""
    return stored.model_dump(exclude={"ups", "fedex", "updated_at"})


def _check_ipv4(address: str) -> None:
    import ipaddress

    try:
        if ipaddress.ip_address(address).version == 4:
            return
    except ValueError:
        pass
    raise ValidationError("client_ip must be the merchant's IPv4 address", field="client_ip")


def _refused_error(stored: StoredCredentials) -> AccountDisconnected:
    when = f" at {stored.refused_at:%Y-%m-%d %H:%M} UTC" if stored.refused_at else ""
    return AccountDisconnected(
        f"{AccountDisconnected.default_message}; they were refused{when} and are not sent again (each refusal "
        "counts towards a lockout): reconnect with the merchant's current password",
        code="002b0601",
    )


class Registration(BaseModel):
    """A registered account waiting for its phone verification."""

    model_config = ConfigDict(frozen=True)

    merchant_id: str
    username: str
    user_id: int
    promo_url: str | None = None


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
        self._wire = Wire(endpoint, timeout=timeout, session=session, retry=retry, version=api_version)
        self.endpoint = self._wire.endpoint
        #: The SWSIM version every client of this platform speaks: ``"v135"`` (the default) or ``"v111"``.
        self.api_version: ApiVersion = self._wire.version.name
        self._timeout = timeout
        self._retry = retry
        self._concurrency: Concurrency = concurrency
        self._session = session
        self._client_ip = client_ip
        self._now = now or (lambda: datetime.now(timezone.utc))
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
        self._clients: dict[str, tuple[StoredCredentials, OneBalance]] = {}
        self._carrier_clients: dict[tuple[str, str], tuple[CarrierAccount, Any]] = {}
        self._lock = threading.Lock()
        self._store_lock = threading.RLock()  # read-modify-write of one merchant's record

    def __repr__(self) -> str:
        return f"Accounts(endpoint={self.endpoint!r}, store={self.store!r})"

    # -- clients ---------------------------------------------------------------------------------
    def client(self, merchant_id: str) -> OneBalance:
        """The merchant's client (cached), from the stored credentials; :class:`NotConnected` if none."""
        stored = self.store.get(merchant_id)
        if stored is None:
            raise NotConnected(f"No One Balance account is connected for merchant {merchant_id!r}")
        if stored.status == "disconnected":
            raise _refused_error(stored)
        with self._lock:
            cached = self._clients.get(merchant_id)
            if cached is not None and _one_balance_part(cached[0]) == _one_balance_part(stored):
                return cached[1]
            client = self._make_client(stored, merchant_id)
            self._clients[merchant_id] = (stored, client)
            return client

    def _new_client(
        self,
        *,
        username: str,
        password: str,
        integration_id: str | None = None,
        endpoint: str | None = None,
        client_ip: str | None = None,
        **extra: Any,
    ) -> OneBalance:
        """A client with the platform's settings (timeout, session, retry, concurrency, IP)."""
        return OneBalance(
            integration_id=integration_id or self.integration_id,
            username=username,
            password=password,
            endpoint=endpoint or self.endpoint,
            timeout=self._timeout,
            session=self._session,
            retry=self._retry,
            concurrency=self._concurrency,
            client_ip=client_ip or self._client_ip,
            api_version=self.api_version,
            **extra,
        )

    def _make_client(self, stored: StoredCredentials, merchant_id: str) -> OneBalance:
        return self._new_client(
            integration_id=stored.integration_id,
            username=stored.username,
            password=stored.password_value(),
            endpoint=stored.endpoint,
            credentials_verified=stored.verified_at is not None,
            on_credentials_refused=lambda error: self._mark_refused(merchant_id, stored),
        )

    def _mark_refused(self, merchant_id: str, stored: StoredCredentials) -> None:
        """Remember that the service refused these credentials, so nothing sends them again on its own."""
        with self._store_lock:
            current = self.store.get(merchant_id)
            if current is not None and current.password_value() == stored.password_value():
                now = self._now()
                self.store.put(
                    merchant_id,
                    current.model_copy(update={"status": "disconnected", "refused_at": now, "updated_at": now}),
                )

    def _save(
        self,
        merchant_id: str,
        client: OneBalance,
        *,
        status: Literal["connected", "pending_verification"] = "connected",
        verified: bool = True,
    ) -> None:
        with self._store_lock:
            current = self.store.get(merchant_id)
            stored = StoredCredentials(
                integration_id=client.integration_id,
                username=client.username,
                password=client.password,
                endpoint=client.endpoint,
                verified_at=self._now() if verified else None,
                status=status,
                updated_at=self._now(),
                # A new password or a reconnection keeps the merchant's UPS and FedEx accounts.
                ups=current.ups if current is not None else None,
                fedex=current.fedex if current is not None else None,
            )
            self.store.put(merchant_id, stored)
        client._on_refused = lambda error: self._mark_refused(merchant_id, stored)
        with self._lock:
            self._clients[merchant_id] = (stored, client)

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
    def shipping(self, merchant_id: str, *, charge_tolerance: Decimal | int | str | None = None) -> Shipping:
        """The merchant's carriers behind one router: USPS (paid from the One Balance) always, and UPS
        and FedEx when their accounts are connected (:meth:`connect_ups`, :meth:`connect_fedex`).

        The carrier clients are cached per merchant like the One Balance client, so their OAuth
        tokens are reused from one call to the next; purchases go through :attr:`labels`.
        ``charge_tolerance`` is the most a label may cost above its rate (see :class:`Shipping`).
        """
        usps = self.usps(merchant_id)  # NotConnected / AccountDisconnected first
        stored = self._stored(merchant_id)
        return Shipping(
            usps=usps,
            ups=self._ups_client(merchant_id, stored.ups) if stored.ups is not None else None,
            fedex=self._fedex_client(merchant_id, stored.fedex) if stored.fedex is not None else None,
            journal=self.labels,
            merchant_id=merchant_id,
            now=self._now,
            charge_tolerance=charge_tolerance,
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
        from onebalance.carriers.ups import CIE_URL, UpsSettings

        settings = _carrier_settings(UpsSettings, client_id, client_secret, account_number, base_url or CIE_URL, "UPS")
        account = self._carrier_account(merchant_id, UpsAccount, settings)
        if verify:
            self._ups_client(merchant_id, account).proxy.token()
        self._put_carrier(merchant_id, "ups", account)
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
        from onebalance.carriers.fedex import SANDBOX_URL, FedexSettings

        settings = _carrier_settings(
            FedexSettings, client_id, client_secret, account_number, base_url or SANDBOX_URL, "FedEx"
        )
        account = self._carrier_account(merchant_id, FedexAccount, settings)
        if verify:
            self._fedex_client(merchant_id, account).proxy.token()
        self._put_carrier(merchant_id, "fedex", account)
        return account

    def _carrier_account(self, merchant_id: str, account_type: type[_Account], settings: Any) -> _Account:
        """The account to store from checked ``settings``; the merchant must be connected already."""
        self._stored(merchant_id)
        return account_type(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            account_number=settings.account_number,
            base_url=settings.base_url,
            connected_at=self._now(),
        )

    def disconnect_ups(self, merchant_id: str) -> bool:
        """Forget the merchant's UPS account; True if one was stored. The One Balance stays connected."""
        return self._put_carrier(merchant_id, "ups", None)

    def disconnect_fedex(self, merchant_id: str) -> bool:
        """Forget the merchant's FedEx account; True if one was stored."""
        return self._put_carrier(merchant_id, "fedex", None)

    def _put_carrier(self, merchant_id: str, name: str, account: CarrierAccount | None) -> bool:
        with self._store_lock:
            stored = self._stored(merchant_id)
            had = getattr(stored, name) is not None
            if account is None and not had:
                return False
            self.store.put(merchant_id, stored.model_copy(update={name: account, "updated_at": self._now()}))
        if account is None:
            with self._lock:
                cached = self._carrier_clients.pop((merchant_id, name), None)
            if cached is not None:
                cached[1].close()
        return had

    def _ups_client(self, merchant_id: str, account: UpsAccount) -> UpsClient:
        from onebalance.carriers.ups import UpsClient, UpsSettings

        client: UpsClient = self._carrier_client(merchant_id, "ups", account, UpsClient, UpsSettings)
        return client

    def _fedex_client(self, merchant_id: str, account: FedexAccount) -> FedexClient:
        from onebalance.carriers.fedex import FedexClient, FedexSettings

        client: FedexClient = self._carrier_client(merchant_id, "fedex", account, FedexClient, FedexSettings)
        return client

    def _carrier_client(
        self, merchant_id: str, name: str, account: CarrierAccount, client_type: Any, settings_type: Any
    ) -> Any:
        """The merchant's client for carrier ``name``, kept while its stored account is unchanged (so
        its OAuth token is reused)."""
        with self._lock:
            cached = self._carrier_clients.get((merchant_id, name))
            if cached is not None and cached[0] == account:
                return cached[1]
            client = client_type(
                settings_type(
                    client_id=account.client_id,
                    client_secret=account.secret_value(),
                    account_number=account.account_number,
                    base_url=account.base_url,
                ),
                timeout=self._timeout,
                session=self._session,
                retry=self._retry,
            )
            self._carrier_clients[(merchant_id, name)] = (account, client)
            return client

    def connect(self, merchant_id: str, *, username: str, password: str) -> Diagnosis:
        """Connect an existing account: log in with these credentials and, if they work, store them.

        A ``merchant_id`` the store would refuse is refused first (:class:`ValidationError`), before any login.
        """
        merchant_id = self.store.check_merchant_id(merchant_id)
        client = self._new_client(username=username, password=password)
        client.authenticate()
        self._save(merchant_id, client)
        return self.diagnose(merchant_id)

    # -- registration ----------------------------------------------------------------------------
    def register(self, merchant_id: str, form: RegistrationForm, *, replace: bool = False) -> Registration:
        """Register a new account from ``form``; nothing is sent unless the whole form is valid.

        The credentials are stored at once (status ``pending_verification``) so that they are
        never lost; :meth:`finish_phone_verification` completes the connection.
        """
        form.check()
        assert form.username and form.password and form.payment and form.codewords and form.client_ip
        self.store.check_merchant_id(merchant_id)
        if not replace and self.store.get(merchant_id) is not None:
            raise ValidationError(
                f"merchant {merchant_id!r} already has One Balance credentials stored; close or forget that "
                "account first, or pass replace=True",
                field="merchant_id",
            )
        password = form.password.get_secret_value()
        payment = _mapping.payment_to_wire(form.payment)
        codewords = form.codewords
        request: dict[str, Any] = {
            "IntegrationID": self.integration_id,
            "UserName": form.username,
            "Password": password,
            "Codeword1Type": codewords.question1,
            "Codeword1": codewords.answer1.get_secret_value(),
            "Codeword2Type": codewords.question2,
            "Codeword2": codewords.answer2.get_secret_value(),
            "PhysicalAddress": {
                k: v
                for k, v in {
                    "FullName": form.full_name,
                    "Company": form.company,
                    "Address1": form.address1,
                    "Address2": form.address2,
                    "City": form.city,
                    "State": form.state,
                    "ZIPCode": form.zip_code[:5] if form.zip_code else None,
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
        _dialect.check_registration(request, self.api_version)
        response = self._wire.call("RegisterAccount", request, secrets=secrets)
        if response.get("RegistrationStatus") != "Success":
            raise UsernameTaken(
                suggested_username=response.get("SuggestedUserName") or None, operation="RegisterAccount"
            )
        client = self._new_client(username=form.username, password=password, client_ip=form.client_ip)
        self._save(merchant_id, client, status="pending_verification", verified=False)
        client.authenticate()
        self._save(merchant_id, client, status="pending_verification")
        return Registration(
            merchant_id=merchant_id,
            username=form.username,
            user_id=int(response.get("UserId") or 0),
            promo_url=response.get("PromoUrl") or None,
        )

    def start_phone_verification(
        self, merchant_id: str, method: Literal["SMS", "Voice"] = "SMS", phone: str | None = None
    ) -> None:
        self.client(merchant_id).start_phone_verification(method, phone)

    def finish_phone_verification(self, merchant_id: str, code: str) -> Diagnosis:
        """Finish verification; the account is then connected (stored with status ``connected``)."""
        client = self.client(merchant_id)
        client.finish_phone_verification(code)
        self._save(merchant_id, client)
        return self.diagnose(merchant_id)

    def codeword_types(self) -> list[tuple[str, str]]:
        """The security questions the service offers: (type, description)."""
        response = self._wire.call("EnumCodeWordTypes", {})
        items = (response.get("CodeWords") or {}).get("CodewordV2") or []
        return [(i["CodewordType"], i["Description"]) for i in items if i and i["CodewordType"] != "Undefined"]

    def set_codewords(self, merchant_id: str, codewords: Codewords) -> None:
        self.client(merchant_id).set_codewords(codewords)

    # -- diagnosis -------------------------------------------------------------------------------
    def diagnose(self, merchant_id: str) -> Diagnosis:
        """Where the account stands and what can be done. It uses Credentials, so it never logs the
        platform's own conversation out."""
        stored = self.store.get(merchant_id)
        if stored is None:
            return assess(merchant_id, NotConnected(), support=self.support, now=self._now())
        if stored.status == "disconnected":
            return assess(
                merchant_id, _refused_error(stored), username=stored.username, support=self.support, now=self._now()
            )
        client = self._make_client(stored, merchant_id)
        try:
            account = _mapping.account_from_wire(client.call_with_credentials("GetAccountInfo", {}))
        except OneBalanceError as exc:
            return assess(merchant_id, exc, username=stored.username, support=self.support, now=self._now())
        terms_url = None
        if not account.terms.general:
            try:
                terms_url = str(
                    client.call_with_credentials(
                        "GetURL", {"URLType": "SetTermsGeneral", "ApplicationContext": "onebalance"}
                    ).get("URL")
                    or ""
                )
            except OneBalanceError:
                terms_url = None
        return assess(merchant_id, account, terms_url=terms_url, support=self.support, now=self._now())

    # -- remedies --------------------------------------------------------------------------------
    def reconnect(self, merchant_id: str, *, password: str | None = None, retry_refused: bool = True) -> RemedyReport:
        """Log in again (with ``password`` if the merchant changed it) and store what works.

        An account whose stored password works (the service answered for it) is left as it is: no
        step is run, whatever ``password`` says. A ``password`` is tried before anything is changed:
        when the service refuses it, the stored record stays as it was. Without ``password`` the
        stored one is tried once, even if it was refused before (a person asked for it) unless
        ``retry_refused`` is false: then a refused record is left alone, which is what a scheduled
        run over every merchant wants.
        """
        before = self.diagnose(merchant_id)
        if before.account is not None or (
            password is None and not retry_refused and before.state is AccountState.DISCONNECTED
        ):
            return RemedyReport(merchant_id=merchant_id, before=before, steps=(), after=before)
        step, after = self._attempt(merchant_id, RemedyAction.REAUTHENTICATE, before.state, password=password)
        return RemedyReport(merchant_id=merchant_id, before=before, steps=(step,), after=after)

    def _attempt(
        self, merchant_id: str, action: RemedyAction, state: AccountState, **inputs: Any
    ) -> tuple[RemedyStep, Diagnosis]:
        """Run one remedy, then look at the account again."""
        try:
            detail = self._run(merchant_id, action, state, **inputs)
            ok = True
        except OneBalanceError as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        after = self.diagnose(merchant_id)
        return RemedyStep(action=action, ok=ok, detail=detail, state_after=after.state), after

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
    ) -> RemedyReport:
        """Run every automated remedy that applies and has what it needs; check the account after each.

        ``password``: the merchant's current password (after a change outside the platform).
        ``new_password``: for an expired password or a reset (one is generated when not given).
        ``payment_method``: replaces a declined one. ``codeword_answers`` start a password reset,
        ``temporary_password`` (from the merchant's email) finishes it. ``verification_code``
        finishes phone verification (without it, a code is sent). ``client_ip``: the merchant's
        IP address, sent with a payment method change.
        """
        if new_password is not None:
            check_password(new_password, field="new_password")
        if client_ip is not None:
            _check_ipv4(client_ip)
        before = self.diagnose(merchant_id)
        current = before
        steps: list[RemedyStep] = []
        tried: set[RemedyAction] = set()
        while not current.active:
            remedy = next(
                (
                    r
                    for r in current.automated_remedies
                    if r.action not in tried
                    and self._can_run(
                        r.action, current.state, password, payment_method, codeword_answers, temporary_password
                    )
                ),
                None,
            )
            if remedy is None:
                break
            tried.add(remedy.action)
            step, current = self._attempt(
                merchant_id,
                remedy.action,
                current.state,
                password=password,
                new_password=new_password,
                payment_method=payment_method,
                codeword_answers=codeword_answers,
                temporary_password=temporary_password,
                verification_code=verification_code,
                client_ip=client_ip,
            )
            steps.append(step)
        return RemedyReport(merchant_id=merchant_id, before=before, steps=tuple(steps), after=current)

    @staticmethod
    def _can_run(
        action: RemedyAction,
        state: AccountState,
        password: str | None,
        payment_method: PaymentMethod | None,
        codeword_answers: tuple[str, str] | None,
        temporary_password: str | None,
    ) -> bool:
        if action is RemedyAction.REAUTHENTICATE:
            return password is not None or state not in (AccountState.DISCONNECTED, AccountState.INVALID_CREDENTIALS)
        if action is RemedyAction.REPLACE_PAYMENT_METHOD:
            return payment_method is not None
        if action is RemedyAction.RESET_PASSWORD:
            return temporary_password is not None or codeword_answers is not None
        return action in (RemedyAction.CHANGE_PASSWORD, RemedyAction.VERIFY_PHONE)

    def _run(
        self,
        merchant_id: str,
        action: RemedyAction,
        state: AccountState,
        *,
        password: str | None = None,
        new_password: str | None = None,
        payment_method: PaymentMethod | None = None,
        codeword_answers: tuple[str, str] | None = None,
        temporary_password: str | None = None,
        verification_code: str | None = None,
        client_ip: str | None = None,
    ) -> str:
        if action is RemedyAction.REAUTHENTICATE:
            stored = self._stored(merchant_id)
            sent = password if password is not None else stored.password_value()
            # Only a refusal of the stored password marks the record: a new one mistyped changes nothing.
            refused = (
                (lambda error: self._mark_refused(merchant_id, stored)) if sent == stored.password_value() else None
            )
            client = self._new_client(
                integration_id=stored.integration_id,
                username=stored.username,
                password=sent,
                endpoint=stored.endpoint,
                credentials_verified=password is None and stored.verified_at is not None,
                on_credentials_refused=refused,
            )
            client.authenticate()
            self._save(merchant_id, client)
            return "logged in and stored the credentials"
        if action is RemedyAction.CHANGE_PASSWORD:
            self.change_password(merchant_id, new_password)
            return "changed the password and stored it"
        if action is RemedyAction.REPLACE_PAYMENT_METHOD:
            assert payment_method is not None
            self.replace_payment_method(merchant_id, payment_method, client_ip=client_ip)
            return f"added the new payment method (ending {payment_method.last4}) as the default"
        if action is RemedyAction.RESET_PASSWORD:
            if temporary_password is not None:
                self.finish_password_reset(merchant_id, temporary_password, new_password)
                return "finished the password reset and stored the new password"
            assert codeword_answers is not None
            self.start_password_reset(merchant_id, *codeword_answers)
            return "started a password reset: the merchant is emailed a temporary password"
        if action is RemedyAction.VERIFY_PHONE:
            if verification_code is None:
                self.start_phone_verification(merchant_id)
                return "sent a verification code to the merchant's phone"
            self.finish_phone_verification(merchant_id, verification_code)
            return "verified the merchant's phone"
        raise ValidationError(f"{action.value} cannot be automated")  # pragma: no cover

    def change_password(self, merchant_id: str, new_password: str | None = None) -> str:
        """Change the password (generating one when not given) and store it. Returns nothing secret."""
        password = new_password or generate_password()
        client = self.client(merchant_id)
        client.change_password(password)
        self._save(merchant_id, client)
        return "changed"

    def replace_payment_method(self, merchant_id: str, method: PaymentMethod, *, client_ip: str | None = None) -> str:
        """Add ``method`` as the default payment method (this lifts a payment hold). Returns its id.

        ``client_ip`` is the merchant's IP address (the service uses it for fraud checks).
        """
        return self.client(merchant_id).add_payment_method(method, make_default=True, client_ip=client_ip)

    def password_reset_questions(self, merchant_id: str) -> tuple[str, str]:
        stored = self._stored(merchant_id)
        response = self._wire.call(
            "GetCodewordQuestions", {"Username": stored.username, "IntegrationId": stored.integration_id}
        )
        return response.get("Codeword1Question") or "", response.get("Codeword2Question") or ""

    def start_password_reset(self, merchant_id: str, answer1: str, answer2: str) -> None:
        """Answer the codeword questions; the service emails the merchant a temporary password."""
        stored = self._stored(merchant_id)
        self._wire.call(
            "StartPasswordReset",
            {
                "Username": stored.username,
                "Codeword1": answer1,
                "Codeword2": answer2,
                "IntegrationId": stored.integration_id,
            },
            secrets=(answer1, answer2),
        )

    def finish_password_reset(self, merchant_id: str, temporary_password: str, new_password: str | None = None) -> None:
        """Finish a reset with the emailed temporary password; the new password is stored."""
        stored = self._stored(merchant_id)
        password = new_password or generate_password()
        check_password(password, field="new_password")
        self._wire.call(
            "FinishPasswordReset",
            {
                "Username": stored.username,
                "TempPassword": temporary_password,
                "NewPassword": password,
                "IntegrationId": stored.integration_id,
            },
            secrets=(temporary_password, password),
        )
        client = self._new_client(
            integration_id=stored.integration_id, username=stored.username, password=password, endpoint=stored.endpoint
        )
        client.authenticate()
        self._save(merchant_id, client)

    def terms_url(self, merchant_id: str) -> str:
        """The provider's page where the merchant accepts the terms of service."""
        return self.client(merchant_id).page_url("SetTermsGeneral")

    def close(self, merchant_id: str, *, address: str, city: str, state: str, zip_code: str) -> None:
        """Close the account (CancelAccount) and forget its credentials."""
        self.client(merchant_id).cancel_account(address=address, city=city, state=state, zip_code=zip_code)
        self.store.delete(merchant_id)
        with self._lock:
            self._clients.pop(merchant_id, None)
            doomed = [self._carrier_clients.pop(k) for k in list(self._carrier_clients) if k[0] == merchant_id]
        for _, carrier_client in doomed:
            carrier_client.close()

    def recover_username(self, email: str) -> None:
        """The service emails the usernames registered to ``email`` (it never says whether any are)."""
        self._wire.call("RecoverUsername", {"EmailAddress": email})

    def _stored(self, merchant_id: str) -> StoredCredentials:
        stored = self.store.get(merchant_id)
        if stored is None:
            raise NotConnected(f"No One Balance account is connected for merchant {merchant_id!r}")
        return stored


_SettingsT = TypeVar("_SettingsT", "UpsSettings", "FedexSettings")
_Account = TypeVar("_Account", UpsAccount, FedexAccount)


def _carrier_settings(
    cls: type[_SettingsT], client_id: str, client_secret: str, account_number: str, base_url: str, name: str
) -> _SettingsT:
    """The carrier's own settings from these inputs; a refused one is bad input (``ValidationError``)."""
    for required, value in (("client_id", client_id), ("client_secret", client_secret)):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{required}: the {name} {required.replace('_', ' ')} is required", field=required)
    if not isinstance(account_number, str):
        raise ValidationError(f"account_number: the {name} account number must be text", field="account_number")
    try:
        return cls(
            client_id=client_id.strip(),
            client_secret=client_secret.strip(),
            account_number=account_number,
            base_url=base_url,
        )
    except ConfigurationError as exc:
        text = str(exc)
        field: str | None = next(
            (f for f in ("account_number", "base_url", "client_id", "client_secret") if f in text), None
        )
        if field is None and "endpoint" in text.lower():
            field = "base_url"
        text = exc.message.removeprefix(f"{name} settings: ")
        raise ValidationError(f"{name} account: {text}", field=field) from None


__all__ = ["Accounts", "Registration", "RemedyReport", "RemedyStep"]
