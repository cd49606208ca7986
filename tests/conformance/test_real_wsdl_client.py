"""A third-party SOAP client (zeep) built from each REAL WSDL (SwsimV111.wsdl, swsimv135.wsdl) talks to
the sandbox served over HTTP, at that version's path: the sandbox speaks the real contracts, not only
the package's own reading of them. On v135 it rates an 8 oz parcel, gets USPS Ground Advantage and
buys that label. Skips, saying why, where ../shared/specs is absent."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from lxml import etree

from onebalance.sandbox import Sandbox, SandboxCredentials, SandboxServer

from .._soap import VERSIONS, SwsimVersion
from .._specs import REAL_WSDLS, SPECS_MISSING

pytestmark = [pytest.mark.conformance]

FAULT_NS = "http://stamps.com/xml/namespace/2008/01/swsim/fault"


class RecordingTransport(zeep.Transport):
    """zeep's transport, remembering the HTTP status of every POST."""

    def __init__(self) -> None:
        session = requests.Session()
        session.trust_env = False  # never route 127.0.0.1 through a proxy from the environment
        super().__init__(session=session)
        self.statuses: list[int] = []

    def post(self, address: str, message: Any, headers: dict[str, str]) -> requests.Response:
        response = super().post(address, message, headers)
        self.statuses.append(response.status_code)
        return response


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture(params=list(VERSIONS))
def version(request: pytest.FixtureRequest) -> SwsimVersion:
    return VERSIONS[request.param]


@pytest.fixture(scope="module")
def real_wsdls() -> dict[str, Any]:
    """Each real WSDL parsed once (zeep's Document), shared by this module's clients."""
    from zeep.wsdl import Document

    if not all(path.exists() for path in REAL_WSDLS.values()):
        pytest.skip(SPECS_MISSING)
    settings = zeep.Settings(strict=True)
    return {name: Document(str(path), zeep.Transport(), settings=settings) for name, path in REAL_WSDLS.items()}


@pytest.fixture
def real_client(transport: RecordingTransport, real_wsdls: dict[str, Any], version: SwsimVersion) -> zeep.Client:
    document = real_wsdls[version.name]
    return zeep.Client(document, transport=transport, settings=document.settings)


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    with sandbox.serve() as running:
        yield running


@pytest.fixture
def creds(sandbox: Sandbox) -> SandboxCredentials:
    return sandbox.create_demo_account()


@pytest.fixture
def service(real_client: zeep.Client, server: SandboxServer, version: SwsimVersion) -> Any:
    return real_client.create_service(f"{{{version.namespace}}}{version.port}", server.urls[version.name])


def credentials(creds: SandboxCredentials, **overrides: str) -> dict[str, str]:
    block = {"IntegrationID": creds.integration_id, "Username": creds.username, "Password": creds.password}
    block.update(overrides)
    return block


def fault_code(fault: zeep.exceptions.Fault) -> str | None:
    assert fault.detail is not None, "fault without detail"
    found = fault.detail.find(f"{{{FAULT_NS}}}sdcerror")
    return None if found is None else found.get("code")


def test_authenticate_user_returns_an_authenticator(service: Any, creds: SandboxCredentials) -> None:
    response = service.AuthenticateUser(Credentials=credentials(creds))
    assert isinstance(response.Authenticator, str) and response.Authenticator
    assert response.PasswordExpired is False


def test_get_account_info_with_the_authenticator(
    service: Any, creds: SandboxCredentials, transport: RecordingTransport
) -> None:
    token = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    response = service.GetAccountInfo(Authenticator=token)
    assert response.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
    assert response.AccountInfo.Username == creds.username
    assert response.Authenticator and response.Authenticator != token  # the token rolls
    assert transport.statuses == [200, 200]


def test_reusing_an_older_token_is_out_of_sync(
    service: Any, creds: SandboxCredentials, transport: RecordingTransport
) -> None:
    first = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    service.GetAccountInfo(Authenticator=first)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        service.GetAccountInfo(Authenticator=first)
    fault = caught.value
    assert fault_code(fault) == "002b0204"
    assert fault.code == "soap:Server"
    assert fault.message.endswith("[0x002b0204]")
    assert isinstance(fault.detail, etree._Element)
    assert transport.statuses[-1] == 500


def test_get_account_info_with_credentials(service: Any, creds: SandboxCredentials) -> None:
    response = service.GetAccountInfo(Credentials=credentials(creds))
    assert response.Authenticator
    assert response.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
    assert response.AccountInfo.Username == creds.username


def test_wrong_password_is_authentication_failed(
    service: Any, creds: SandboxCredentials, transport: RecordingTransport
) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        service.AuthenticateUser(Credentials=credentials(creds, Password=creds.password + "-wrong"))
    assert fault_code(caught.value) == "002b0601"
    assert caught.value.code == "soap:Server"
    assert transport.statuses == [500]


def test_client_from_the_sandbox_wsdl(server: SandboxServer, creds: SandboxCredentials, version: SwsimVersion) -> None:
    """Each version's path serves its own WSDL, pointing at that path."""
    session = requests.Session()
    session.trust_env = False
    url = server.urls[version.name]
    client = zeep.Client(url + "?wsdl", transport=zeep.Transport(session=session), settings=zeep.Settings(strict=True))
    ports = [port for svc in client.wsdl.services.values() for port in svc.ports.values()]
    assert [port.name for port in ports] == [version.port]
    assert ports[0].binding_options["address"] == url
    token = client.service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    response = client.service.GetAccountInfo(Authenticator=token)
    assert response.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
    assert response.AccountInfo.Username == creds.username


def test_rate_an_8_oz_parcel_and_buy_its_label(
    service: Any, creds: SandboxCredentials, version: SwsimVersion, sandbox: Sandbox
) -> None:
    """v135 offers USPS Ground Advantage for an 8 oz parcel and sells that label; v111 (which has no
    US-GA) sells Priority Mail. The label is then tracked and voided (v135: CancelIndicium's arrays)."""
    token = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    address = {"FullName": "Ada", "Address1": "350 5th Ave", "City": "New York", "State": "NY", "ZIPCode": "10118"}
    origin = {
        **address,
        "FullName": "Acme",
        "Address1": "1 Main St",
        "City": "Austin",
        "State": "TX",
        "ZIPCode": "78701",
    }
    rated = service.GetRates(
        Authenticator=token,
        Rate={
            "From": origin,
            "To": address,
            "WeightLb": 0,
            "WeightOz": 8,
            "PackageType": "Package",
            "ShipDate": "2025-03-03",
        },
        Carrier="USPS",
    )
    services = {rate.ServiceType for rate in rated.Rates.Rate}
    wanted = "US-GA" if version.name == "v135" else "US-PM"
    assert ("US-GA" in services) is (version.name == "v135")
    chosen = next(rate for rate in rated.Rates.Rate if rate.ServiceType == wanted)
    if version.name == "v135":
        usps = [rate for rate in rated.Rates.Rate if rate.ServiceType.startswith("US-")]
        assert min(usps, key=lambda rate: rate.Amount).ServiceType == "US-GA"
    chosen.AddOns = None  # SWSIM: send the chosen rate back without the add-ons not wanted
    bought = service.CreateIndicium(
        Authenticator=rated.Authenticator, IntegratorTxID="zeep-1", Rate=chosen, ReturnImageData=True
    )
    assert bought.TrackingNumber and bought.StampsTxID
    assert bought.Rate.ServiceType == wanted and bought.Rate.Amount == chosen.Amount
    assert bought.ImageData.base64Binary[0].startswith(b"\x89PNG")
    assert sandbox.ledger(creds.username)[-1].cost == chosen.Amount
    tracked = service.TrackShipment(Authenticator=bought.Authenticator, TrackingNumber=bought.TrackingNumber)
    assert tracked.TrackingEvents.TrackingEvent[0].TrackingEventType == "ShippingLabelCreated"
    if version.batch_cancel:
        # zeep names a repeated choice _value_1: a list of {option: value}
        ids = [{"StampsTxIDs": {"guid": [bought.StampsTxID]}}]
        service.CancelIndicium(Authenticator=tracked.Authenticator, _value_1=ids)
    else:
        service.CancelIndicium(Authenticator=tracked.Authenticator, StampsTxID=bought.StampsTxID)
    assert sandbox.account(creds.username).labels[-1].voided


def test_carrier_pickups_with_the_real_contract(service: Any, creds: SandboxCredentials, sandbox: Sandbox) -> None:
    """A zeep client of the real WSDL checks, books, changes, lists and cancels a carrier pickup; the
    sandbox's refusals (a ZIP without pickup, cancelling twice) are SWSIM faults it reads."""
    token = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    address = {"Address": "1990 E Grand Ave", "City": "El Segundo", "State": "CA", "ZIP": "90245"}
    checked = service.CheckCarrierPickupAvailability(Authenticator=token, Address=address)
    assert checked.PickupDate and checked.PickUpDayOfWeek and checked.EstimatedAmount == Decimal("0")
    packages = {"NumberOfPriorityMailPieces": 2, "TotalWeightOfPackagesLbs": 6, "PackageLocation": "FrontDoor"}
    booked = service.ScheduleCarrierPickup(
        Authenticator=checked.Authenticator,
        ContactInformation={"FirstName": "Ada", "LastName": "Lovelace", "PhoneNumber": "3105550142"},
        Address=address,
        PackageInformation=packages,
    )
    assert booked.ConfirmationNumber.startswith("WTC") and booked.PickupDate == checked.PickupDate
    changed = service.ModifyCarrierPickup(
        Authenticator=booked.Authenticator,
        PackageInformation={**packages, "NumberOfPriorityMailPieces": 3},
        ConfirmationNumber=booked.ConfirmationNumber,
    )
    assert changed.PickupStatus == "Modified"
    listed = service.GetCarrierPickupList(Authenticator=changed.Authenticator)
    (only,) = listed.Pickups.CarrierPickupInformation
    assert only.ConfirmationNumber == booked.ConfirmationNumber
    assert only.PackageInformation.NumberOfPriorityMailPieces == 3
    cancelled = service.CancelCarrierPickup(
        Authenticator=listed.Authenticator, ConfirmationNumber=booked.ConfirmationNumber
    )
    assert cancelled.PickupStatus == "Cancelled"
    with pytest.raises(zeep.exceptions.Fault) as twice:
        service.CancelCarrierPickup(Credentials=credentials(creds), ConfirmationNumber=booked.ConfirmationNumber)
    assert fault_code(twice.value) == "002b0c04"
    with pytest.raises(zeep.exceptions.Fault) as remote:
        service.CheckCarrierPickupAvailability(
            Credentials=credentials(creds), Address={**address, "ZIP": "99950", "State": "AK"}
        )
    assert fault_code(remote.value) == "002b0c01"


def test_reprint_a_label_and_list_the_shipments(
    service: Any, creds: SandboxCredentials, version: SwsimVersion, sandbox: Sandbox
) -> None:
    """ReprintIndicium (its fields inside indiciumRequest) prints the label again for nothing, in ZPL;
    GetShipmentList and GetShipmentListByToken list it; a voided label is refused (002b0920)."""
    from datetime import date

    token = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    place = {"FullName": "Ada", "Address1": "350 5th Ave", "City": "New York", "State": "NY", "ZIPCode": "10118"}
    rated = service.GetRates(
        Authenticator=token,
        Rate={"From": place, "To": place, "WeightLb": 1, "PackageType": "Package", "ShipDate": date.today()},
    )
    chosen = next(rate for rate in rated.Rates.Rate if rate.ServiceType == "US-PM")
    chosen.AddOns = None
    bought = service.CreateIndicium(Authenticator=rated.Authenticator, IntegratorTxID="zeep-reprint", Rate=chosen)
    ledger = list(sandbox.ledger(creds.username))
    again = service.ReprintIndicium(
        indiciumRequest={
            "Authenticator": bought.Authenticator,
            "StampsTxId": bought.StampsTxID,
            "ImageType": "Zpl",
            "RotationDegrees": 0,
            "StartRow": 0,
            "StartColumn": 0,
            "ReturnImageData": True,
        }
    )
    assert again.TrackingNumber == bought.TrackingNumber and again.ServiceType == "Priority"
    assert again.Amount == bought.Rate.Amount and again.ImageData.base64Binary[0].startswith(b"^XA")
    assert sandbox.ledger(creds.username) == ledger
    listed = service.GetShipmentList(
        Authenticator=again.Authenticator, ShipmentsPerPage=1, Filters={"PrintDateMin": date.today()}
    )
    assert listed.TotalPages == 1
    (shipment,) = listed.Shipments[f"Shipment{'V39' if version.name == 'v135' else 'V32'}"]
    assert shipment.TrackingNumber == bought.TrackingNumber and shipment.ShipmentStatus == "Printed"
    page = service.GetShipmentListByToken(
        Authenticator=listed.Authenticator, ShipmentListToken=listed.ShipmentListToken, PageNumber=2
    )
    assert page.ShipmentsPerPage == 1 and page.Shipments is None
    service.CancelIndicium(
        **(
            {"_value_1": [{"StampsTxIDs": {"guid": [bought.StampsTxID]}}]}
            if version.batch_cancel
            else {"StampsTxID": bought.StampsTxID}
        ),
        Authenticator=page.Authenticator,
    )
    with pytest.raises(zeep.exceptions.Fault) as refused:
        service.ReprintIndicium(
            indiciumRequest={
                "Credentials": credentials(creds),
                "TrackingNumber": bought.TrackingNumber,
                "RotationDegrees": 0,
                "StartRow": 0,
                "StartColumn": 0,
            }
        )
    assert fault_code(refused.value) == "002b0920"


def test_cleanse_address_matched_corrected_ambiguous_and_not_found(service: Any, creds: SandboxCredentials) -> None:
    """A zeep client of the real WSDL checks addresses: a misspelled suffix corrected and matched with
    its CleanseHash and residential indicator, an ambiguous street with its candidates, a street not
    found; every answer read by the real contract (ResidentialDeliveryIndicator among its values)."""
    token = service.AuthenticateUser(Credentials=credentials(creds)).Authenticator
    place = {"FullName": "Ada", "City": "New York", "State": "NY", "ZIPCode": "10118"}
    matched = service.CleanseAddress(Authenticator=token, Address={**place, "Address1": "350 Fifth Avenu"})
    assert matched.AddressMatch is True and matched.CityStateZipOK is True
    assert matched.Address.Address1 == "350 FIFTH AVE" and matched.Address.CleanseHash
    assert matched.ResidentialDeliveryIndicator == "Yes" and len(matched.Address.ZIPCodeAddOn) == 4
    ambiguous = service.CleanseAddress(Authenticator=matched.Authenticator, Address={**place, "Address1": "100 Main"})
    assert ambiguous.AddressMatch is False and ambiguous.CityStateZipOK is True
    assert [a.Address1 for a in ambiguous.CandidateAddresses.Address] == ["100 MAIN ST", "100 MAIN AVE"]
    assert all(a.CleanseHash for a in ambiguous.CandidateAddresses.Address)
    assert ambiguous.ResidentialDeliveryIndicator == "Unknown"
    missing = service.CleanseAddress(Authenticator=ambiguous.Authenticator, Address={**place, "Address1": "Nowhere"})
    assert missing.AddressMatch is False and not (missing.CandidateAddresses and missing.CandidateAddresses.Address)
