"""Connecting a merchant's accounts: its One Balance (an existing login) and its own UPS and FedEx
accounts, with their clients cached so that OAuth tokens are reused."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from onebalance.carriers.fedex import SANDBOX_URL, FedexClient, FedexSettings
from onebalance.carriers.ups import CIE_URL, UpsClient, UpsSettings
from onebalance.core import ConfigurationError, ValidationError
from onebalance.stores import CarrierAccount, FedexAccount, StoredCredentials, UpsAccount

from ._clients import MerchantClients

__all__ = ["Connections"]

_SettingsT = TypeVar("_SettingsT", UpsSettings, FedexSettings)
_Account = TypeVar("_Account", UpsAccount, FedexAccount)


class Connections:
    """The merchants' connections: the One Balance login, and the UPS and FedEx accounts stored next
    to it (each carrier's client kept while its stored account is unchanged)."""

    def __init__(self, clients: MerchantClients) -> None:
        self._clients = clients
        self._carrier_clients: dict[tuple[str, str], tuple[CarrierAccount, Any]] = {}
        self._lock = threading.Lock()

    def connect(self, merchant_id: str, *, username: str, password: str) -> None:
        """Log in with these credentials and, if they work, store them."""
        merchant_id = self._clients.store.check_merchant_id(merchant_id)
        client = self._clients.new_client(username=username, password=password)
        client.authenticate()
        self._clients.save(merchant_id, client)

    def connect_carrier(
        self, merchant_id: str, name: str, client_id: str, client_secret: str, account_number: str, **options: Any
    ) -> UpsAccount | FedexAccount:
        """Store the merchant's account with carrier ``name`` (``"ups"``, ``"fedex"``) once its formats are
        checked and, with ``verify``, once it got an OAuth token from ``base_url`` (default: the test host)."""
        base_url: str | None = options.get("base_url")
        account: UpsAccount | FedexAccount
        client: UpsClient | FedexClient
        if name == "ups":
            ups = _carrier_settings(UpsSettings, client_id, client_secret, account_number, base_url or CIE_URL, "UPS")
            account = self._carrier_account(merchant_id, UpsAccount, ups)
            client = self.ups_client(merchant_id, account)
        else:
            fedex = _carrier_settings(
                FedexSettings, client_id, client_secret, account_number, base_url or SANDBOX_URL, "FedEx"
            )
            account = self._carrier_account(merchant_id, FedexAccount, fedex)
            client = self.fedex_client(merchant_id, account)
        if options.get("verify", True):
            client.proxy.token()
        self._put_carrier(merchant_id, name, account)
        return account

    def disconnect(self, merchant_id: str, name: str) -> bool:
        """Forget the merchant's account with carrier ``name``; True if one was stored."""
        return self._put_carrier(merchant_id, name, None)

    def carrier_clients(
        self, merchant_id: str, stored: StoredCredentials
    ) -> tuple[UpsClient | None, FedexClient | None]:
        """The merchant's UPS and FedEx clients, for the accounts it has connected."""
        return (
            self.ups_client(merchant_id, stored.ups) if stored.ups is not None else None,
            self.fedex_client(merchant_id, stored.fedex) if stored.fedex is not None else None,
        )

    def forget(self, merchant_id: str) -> None:
        """Close and drop the merchant's carrier clients (its credentials were deleted)."""
        with self._lock:
            doomed = [self._carrier_clients.pop(k) for k in list(self._carrier_clients) if k[0] == merchant_id]
        for _, carrier_client in doomed:
            carrier_client.close()

    def _carrier_account(self, merchant_id: str, account_type: type[_Account], settings: Any) -> _Account:
        """The account to store from checked ``settings``; the merchant must be connected already."""
        self._clients.stored(merchant_id)
        return account_type(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            account_number=settings.account_number,
            base_url=settings.base_url,
            connected_at=self._clients.now(),
        )

    def _put_carrier(self, merchant_id: str, name: str, account: CarrierAccount | None) -> bool:
        with self._clients.store_lock:
            stored = self._clients.stored(merchant_id)
            had = getattr(stored, name) is not None
            if account is None and not had:
                return False
            self._clients.store.put(
                merchant_id, stored.model_copy(update={name: account, "updated_at": self._clients.now()})
            )
        if account is None:
            with self._lock:
                cached = self._carrier_clients.pop((merchant_id, name), None)
            if cached is not None:
                cached[1].close()
        return had

    def ups_client(self, merchant_id: str, account: UpsAccount) -> UpsClient:
        client: UpsClient = self._carrier_client(merchant_id, "ups", account, UpsClient, UpsSettings)
        return client

    def fedex_client(self, merchant_id: str, account: FedexAccount) -> FedexClient:
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
                timeout=self._clients.timeout,
                session=self._clients.session,
                retry=self._clients.retry,
            )
            self._carrier_clients[(merchant_id, name)] = (account, client)
            return client


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
