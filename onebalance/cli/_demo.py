"""``onebalance demo``: the SDK's whole flow, on the embedded sandbox or any SWSIM endpoint.

Against an endpoint that is a onebalance sandbox (embedded, or ``onebalance sandbox serve``),
the walk also registers a merchant and suspends it through the sandbox's control API. Against
any other endpoint it shows only what is safe on a real account: login and account info.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click
from pydantic import SecretStr

from onebalance.accounts import Accounts
from onebalance.core import AuthenticationFailed, OneBalanceError, UsernameTaken
from onebalance.sandbox import Sandbox, SandboxControl
from onebalance.stores import InMemoryCredentialStore
from onebalance.swsim import (
    Account,
    ApiVersion,
    Codewords,
    CreditCard,
    OneBalance,
    RegistrationForm,
    StoreProfile,
    swsim_version,
)

from ._common import api_version_option, error_line
from ._demo_endofday import end_of_day_steps
from ._demo_steps import step as _step


def account_summary(account: Account) -> str:
    caps = account.capabilities
    lines = [
        f"  username             {account.username}",
        f"  customer id          {account.customer_id}",
        f"  meter number         {account.meter_number}",
        f"  user id              {account.user_id}",
        f"  status               {account.account_status or 'not reported'}",
        f"  plan                 {account.plan_id}",
        f"  available postage    ${account.available_postage:,.2f}",
        f"  control total        ${account.control_total:,.2f}",
        f"  max postage balance  ${account.max_postage_balance:,.2f}",
        f"  may buy postage      {'yes' if caps.can_purchase_postage else 'no (admins only)'}",
        f"  must use cost codes  {'yes' if caps.must_use_cost_codes else 'no'}",
        f"  all mail classes     {'yes' if caps.allow_all_mail_classes else 'no (plan restricts services)'}",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def _embedded() -> Iterator[tuple[str, str, str, str]]:
    box = Sandbox()
    creds = box.create_demo_account()
    with box.serve() as server:
        yield server.url, creds.integration_id, creds.username, creds.password


@click.command()
@click.option(
    "--endpoint",
    envvar="ONEBALANCE_ENDPOINT",
    help="A SWSIM-compatible endpoint instead of the embedded sandbox (env ONEBALANCE_ENDPOINT).",
)
@click.option("--integration-id", envvar="ONEBALANCE_INTEGRATION_ID", help="env ONEBALANCE_INTEGRATION_ID")
@click.option("--username", envvar="ONEBALANCE_USERNAME", help="env ONEBALANCE_USERNAME")
@click.option(
    "--password",
    envvar="ONEBALANCE_PASSWORD",
    help="env ONEBALANCE_PASSWORD (prefer the variable: options show in the process list)",
)
@api_version_option(expose_value=True)
def demo(
    endpoint: str | None,
    integration_id: str | None,
    username: str | None,
    password: str | None,
    api_version: str | None,
) -> None:
    """Walk through what the SDK does, on the embedded sandbox (or --endpoint), over SWSIM v135 (or
    --api-version v111)."""
    version = swsim_version(api_version).name
    if endpoint:
        missing = [
            n
            for n, v in (("--integration-id", integration_id), ("--username", username), ("--password", password))
            if not v
        ]
        if missing:
            raise click.UsageError(f"--endpoint needs {', '.join(missing)} (or their ONEBALANCE_* variables)")
        assert integration_id
        assert username
        assert password
        _walk(endpoint, integration_id, username, password, version)
        return
    with _embedded() as (url, iid, user, pwd):
        click.echo(f"Started the embedded One Balance sandbox at {url} (speaking SWSIM {version})")
        _walk(url, iid, user, pwd, version)


def _walk(url: str, integration_id: str, username: str, password: str, version: ApiVersion) -> None:
    control = SandboxControl(url)
    sandbox = control.available()
    try:
        _session_steps(url, integration_id, username, password, sandbox, version)
        if sandbox:
            _account_steps(url, integration_id, control, version)
        else:
            click.echo()
            click.echo("(registration and suspension are shown only against a onebalance sandbox)")
    except OneBalanceError as exc:
        raise click.ClickException(error_line(exc)) from None
    click.echo()
    click.secho("Demo finished.", fg="green")


def _session_steps(
    url: str, integration_id: str, username: str, password: str, sandbox: bool, version: ApiVersion
) -> None:
    client = OneBalance(
        integration_id=integration_id, username=username, password=password, endpoint=url, api_version=version
    )
    _step("1. Log in (AuthenticateUser starts a rolling conversation)")
    login = client.authenticate()
    click.echo(f"  logged in as {username}; password expired: {'yes' if login.password_expired else 'no'}")

    _step("2. Account summary (GetAccountInfo)")
    click.echo(account_summary(client.account()))

    _step("3. Another instance logs in as the same user; this client recovers on its own")
    other = OneBalance(
        integration_id=integration_id, username=username, password=password, endpoint=url, api_version=version
    )
    other.authenticate()
    click.echo("  a second login superseded the first conversation (the service answers 002b0203)")
    balance = client.account().available_postage
    if client.uses_credentials:
        how = "repeated the call with Credentials (so the two instances stop superseding each other)"
    else:
        how = "logged in again transparently"
    click.echo(f"  the first client {how} and read the balance: ${balance:,.2f}")

    if sandbox:
        _step("4. A wrong password gives a typed error that names the problem and holds no secret")
        wrong = OneBalance(
            integration_id=integration_id,
            username=username,
            password="not-the-password1",  # noqa: S106 - deliberately wrong
            endpoint=url,
            api_version=version,
        )
        try:
            wrong.account()
        except AuthenticationFailed as exc:
            click.echo(f"  {error_line(exc)}")


def _account_steps(url: str, integration_id: str, control: SandboxControl, version: ApiVersion) -> None:
    accounts = Accounts(
        integration_id=integration_id,
        endpoint=url,
        store=InMemoryCredentialStore(),
        client_ip="203.0.113.7",
        api_version=version,
    )
    merchant = "acme-widgets"

    _step("5. Register a merchant: the form is pre-filled from the store's profile")
    profile = StoreProfile(
        store_name="Acme Widgets",
        owner_name="Ada Lovelace",
        street_lines=("1990 E Grand Ave",),
        city="El Segundo",
        state="CA",
        postal_code="90245",
        email="ada@acme.example",
        phone="(310) 555-0142",
    )
    form = RegistrationForm.from_store(profile)
    click.echo(
        f"  pre-filled: {form.name}, {form.company}, {form.street_lines[0]}, {form.city} {form.state} "
        f"{form.postal_code}, {form.email}, {form.phone}"
    )
    form.street_lines = (*form.street_lines, "Suite 200")
    form.password = SecretStr("Widgets-2026")  # the merchant's choice
    form.payment = CreditCard(number="4111 1111 1111 1111", expiration_month=12, expiration_year=2031, cvn="737")
    form.codewords = Codewords(question1="PetsName", answer1="Rex", question2="BirthCity", answer2="Springfield")
    form.terms_accepted = True
    form.client_ip = "203.0.113.7"
    click.echo("  edited: Suite 200 added; card ending 1111, two codewords, terms accepted by the merchant")
    try:
        registration = accounts.register(merchant, form)
    except UsernameTaken as exc:
        click.echo(f"  {form.username!r} is taken; the service suggests {exc.suggested_username!r}: using it")
        form.username = exc.suggested_username
        registration = accounts.register(merchant, form)
    click.echo(
        f"  registered {registration.username} (user id {registration.user_id}); its credentials are "
        "in the credential store, pending phone verification"
    )

    _step("6. Phone verification by text message")
    accounts.start_phone_verification(merchant, "SMS")
    code = control.call("verification_code", username=registration.username)
    click.echo("  the merchant reads the code from the text message (here: the sandbox's outbox)")
    diagnosis = accounts.finish_phone_verification(merchant, code)
    click.echo(f"  verified; the account is {diagnosis.state.value}")

    _step("7. The card is declined: the account gets a payment hold")
    control.call("decline_payment_method", username=registration.username)
    for line in accounts.diagnose(merchant).lines():
        click.echo(f"  {line}")

    _step("8. Unsuspend: the SDK runs the remedies it can (here: a new card from the merchant)")
    new_card = CreditCard(number="5555 5555 5555 4444", expiration_month=6, expiration_year=2030, cvn="123")
    report = accounts.unsuspend(merchant, payment_method=new_card)
    for step in report.steps:
        click.echo(f"  {'done' if step.ok else 'failed'}: {step.detail} -> {step.state_after.value}")

    _step("9. Log in again with the stored credentials")
    stored = accounts.store.get(merchant)
    assert stored is not None
    fresh = OneBalance(
        integration_id=stored.integration_id,
        username=stored.username,
        password=stored.password_value(),
        endpoint=stored.endpoint,
        credentials_verified=True,
        api_version=version,
    )
    fresh.authenticate()
    account = fresh.account()
    click.echo(
        f"  {account.username}: {account.account_status}, ${account.available_postage:,.2f} postage, "
        f"payment methods: {', '.join(f'{m.card_type} ending {m.last4}' for m in fresh.payment_methods())}"
    )
    _postage_steps(accounts, merchant, control, registration.username)
    _shipping_steps(accounts, merchant)


def _postage_steps(accounts: Accounts, merchant: str, control: SandboxControl, username: str) -> None:
    from decimal import Decimal

    from onebalance.funding import CallbackNotifier, RefillEvent, RefillProposal
    from onebalance.stores import AutoRefillSettings

    def prompt(proposal: RefillProposal) -> bool:
        click.echo(
            f"  prompt: refill ${proposal.amount:,.2f} (balance ${proposal.balance:,.2f}, label "
            f"${proposal.needed:,.2f})? the merchant approves"
        )
        return True

    def notify(event: object) -> None:
        if isinstance(event, RefillEvent):
            click.echo(f"  notice sent: {event.subject()}")

    accounts.refill_prompt = prompt
    accounts.notifiers.append(CallbackNotifier(notify))
    funding = accounts.postage(merchant)
    funding.update_settings(
        has_mailstation=True, default_refill_amount=Decimal("50.00"), low_balance_threshold=Decimal("20.00")
    )

    _step("10. Add postage: a quote to confirm, then a receipt (a Mailstation store pays 3.5% by card)")
    quote = funding.quote(
        preset="default",
        cost_account="Marketing" if any(c.name == "Marketing" for c in funding.cost_accounts()) else None,
    )
    for line in quote.text().splitlines():
        click.echo(f"  {line}")
    click.echo("  the merchant confirms")
    receipt = funding.buy(quote)
    for line in receipt.text().splitlines():
        click.echo(f"  | {line}")
    click.echo(f"  (also as a {len(receipt.pdf()):,}-byte PDF to print)")

    _step("11. Auto-refill: a label purchase that would take the balance below $25.00 refills $100.00 first")
    funding.update_settings(
        auto_refill=AutoRefillSettings(threshold=Decimal("25.00"), amount=Decimal("100.00"), prompt_before_refill=True)
    )
    label = Decimal("38.40")
    click.echo(f"  balance ${funding.balance().available_postage:,.2f}; a ${label} USPS label is next")
    refill = funding.ensure_funds(label, reason="a USPS label")
    if refill is not None:
        click.echo(f"  refilled: receipt {refill.receipt_id}, balance ${refill.balance_after:,.2f}")
    control.call("print_postage", username=username, amount=str(label), memo="USPS label")
    click.echo(f"  label printed; balance ${funding.balance().available_postage:,.2f}")

    _step("12. The postage history, with receipts linked to the SDK's refills")
    for entry in funding.history().entries:
        link = f"  receipt {entry.receipt_id}" if entry.receipt_id else ""
        click.echo(
            f"  {entry.occurred_at:%Y-%m-%d %H:%M}  {entry.type:<10} {entry.cost:>8.2f} {entry.credit:>8.2f} "
            f"{entry.balance:>8.2f}{link}"
        )


def _shipping_steps(accounts: Accounts, merchant: str) -> None:
    """Steps 13-16: a rate shop across USPS (One Balance), UPS and FedEx (the merchant's own accounts),
    one label from each, a void, a return label, one label abroad from each carrier with its
    customs document, and the end of the USPS day. UPS and FedEx run on embedded sandboxes."""
    from datetime import date

    from onebalance.sandbox.fedex import FedexSandbox
    from onebalance.sandbox.ups import UpsSandbox
    from onebalance.shipments import Address, Carrier, Customs, CustomsLine, Money, Parcel, ShipmentRequest, Weight

    from ._sandbox import FEDEX_DEMO, UPS_DEMO

    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    ups_box.create_demo_account()
    fedex_box.create_demo_account()
    with ups_box.serve() as ups_server, fedex_box.serve() as fedex_server:
        # The merchant's own carrier accounts are stored beside its One Balance credentials (each is
        # checked by fetching a token first); the router is assembled from what is stored.
        accounts.connect_ups(
            merchant,
            client_id=UPS_DEMO[0],
            client_secret=UPS_DEMO[1],
            account_number=UPS_DEMO[2],
            base_url=ups_server.url,
        )
        accounts.connect_fedex(
            merchant,
            client_id=FEDEX_DEMO[0],
            client_secret=FEDEX_DEMO[1],
            account_number=FEDEX_DEMO[2],
            base_url=fedex_server.url,
        )
        shipping = accounts.shipping(merchant)
        shipment = ShipmentRequest(
            shipper=Address(
                name="Acme Widgets",
                street_lines=["1990 E Grand Ave"],
                city="El Segundo",
                state="CA",
                postal_code="90245",
                phone="3105550142",
            ),
            recipient=Address(
                name="Grace Hopper",
                street_lines=["350 5th Ave"],
                city="New York",
                state="NY",
                postal_code="10118",
                phone="2125550100",
            ),
            parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
            ship_date=date.today(),
        )

        _step("13. Rate shop: USPS, UPS and FedEx at once")
        shop = shipping.rates(shipment)
        for rate in shop.rates[:8]:
            days = f"{rate.delivery_days} days" if rate.delivery_days is not None else "-"
            click.echo(f"  {rate.carrier.value.upper():<6} {rate.service_name:<34} ${rate.total.amount:>7,.2f}  {days}")
        if shop.cheapest and shop.fastest:
            click.echo(
                f"  cheapest: {shop.cheapest.carrier.value.upper()} {shop.cheapest.service_name}; "
                f"fastest: {shop.fastest.carrier.value.upper()} {shop.fastest.service_name}"
            )

        _step(
            "14. One label from each carrier: USPS paid from the One Balance, UPS and FedEx billed to the "
            "merchant's accounts"
        )
        balance = accounts.postage(merchant).balance().available_postage
        labels = []
        for carrier in (Carrier.USPS, Carrier.UPS, Carrier.FEDEX):
            rate = min((r for r in shop.rates if r.carrier is carrier), key=lambda r: r.total.amount)
            label = shipping.buy(rate, shipment, idempotency_key=f"demo-order-{carrier.value}")
            labels.append(label)
            click.echo(
                f"  {carrier.value.upper():<6} {rate.service_name:<34} {label.tracking_number}  "
                f"${label.cost.amount:,.2f}  paid by {label.paid_by.kind.replace('_', ' ')}"
            )
        after = accounts.postage(merchant).balance().available_postage
        click.echo(f"  One Balance: ${balance:,.2f} -> ${after:,.2f} (only the USPS label debited it)")
        voided = shipping.void(labels[1])
        click.echo(f"  voided the UPS label {voided.tracking_number}: {'done' if voided.voided else 'refused'}")
        # A return: the customer (the shipper) sends the parcel back to the merchant (the recipient).
        returned = shipment.model_copy(
            update={"shipper": shipment.recipient, "recipient": shipment.shipper, "is_return": True}
        )
        back = min(
            (r for r in shipping.rates(returned).rates if r.carrier is Carrier.USPS), key=lambda r: r.total.amount
        )
        label = shipping.buy(back, returned, idempotency_key="demo-return-usps")
        click.echo(
            f"  return label: USPS {back.service_name} {label.tracking_number} ${label.cost.amount:,.2f}, "
            "from the customer back to the merchant, paid from the One Balance"
        )

        _step("15. One label abroad from each carrier (to London), its customs document kept with the label")
        customs = Customs(
            contents_type="merchandise",
            lines=[
                CustomsLine(
                    description="Cotton T-shirt",
                    quantity=2,
                    value=Money("30.00"),
                    weight=Weight(value="0.5", unit="kg"),
                    hs_tariff_number="6109.10",
                    origin_country="US",
                )
            ],
            invoice_total=Money("30.00"),
            duties_payer="recipient",  # USPS mail abroad is always delivered duties unpaid
            incoterm="DAP",
            invoice_number="INV-1001",
        )
        abroad = shipment.model_copy(
            update={
                "recipient": Address(
                    name="Ann Buyer",
                    street_lines=["10 Downing St"],
                    city="London",
                    postal_code="SW1A 2AA",
                    country="GB",
                    phone="442079460000",
                ),
                "customs": customs,
            }
        )
        # UPS and FedEx may bill the duties to the merchant instead (delivered duty paid).
        paid = abroad.model_copy(
            update={"customs": customs.model_copy(update={"duties_payer": "sender", "incoterm": "DDP"})}
        )
        for carrier, request, duties in (
            (Carrier.USPS, abroad, "the recipient (DAP)"),
            (Carrier.UPS, paid, "the merchant (DDP)"),
            (Carrier.FEDEX, paid, "the merchant (DDP)"),
        ):
            rate = min((r for r in shipping.rates(request).rates if r.carrier is carrier), key=lambda r: r.total.amount)
            label = shipping.buy(rate, request, idempotency_key=f"demo-intl-{carrier.value}")
            click.echo(
                f"  {carrier.value.upper():<6} {rate.service_name:<36} {label.tracking_number}  "
                f"${label.cost.amount:,.2f}  paid by {label.paid_by.kind.replace('_', ' ')}"
            )
            for doc in label.documents:
                kind = doc.kind.value.replace("_", " ")
                click.echo(
                    f"         duties paid by {duties}; kept with the label: {kind}, {doc.format}, "
                    f"{len(doc.data):,} bytes"
                )

        end_of_day_steps(shipping, shipment, lambda: accounts.postage(merchant).balance().available_postage)
