"""USPS's codes as SWSIM spells them, beside the carrier-neutral values they stand for. Tables, no I/O.

Services (``US-PM``), packaging (``PackageTypeV11``), add-ons for each shipment option, label image
types and tracking event types. Only the mapping (:mod:`._mapping`) and the plan's restrictions
(:mod:`._plan`, by service code) read them.
"""

from __future__ import annotations

from onebalance.shipments import PackageType, ShipmentOption, TrackingStatus, Weight

__all__ = [
    "ADDON_FOR_OPTION",
    "GUARANTEED",
    "IMAGE_FORMATS",
    "MAX_WEIGHT",
    "PACKAGE_TYPES",
    "PRIORITY_SERVICES",
    "SERVICES",
    "status_for",
]

#: USPS service codes and their names.
SERVICES: dict[str, str] = {
    "US-FC": "USPS First-Class Mail",
    "US-GA": "USPS Ground Advantage",
    "US-PM": "USPS Priority Mail",
    "US-XM": "USPS Priority Mail Express",
    "US-PS": "USPS Parcel Select",
    "US-MM": "USPS Media Mail",
    "US-LM": "USPS Library Mail",
    "US-BP": "USPS Bound Printed Matter",
    "US-CM": "USPS Critical Mail",
    "US-RG": "USPS Retail Ground",
    "US-RETURN": "USPS Return",
    "US-FCI": "USPS First-Class Mail International",
    "US-PMI": "USPS Priority Mail International",
    "US-EMI": "USPS Priority Mail Express International",
}
#: What an account without ``allow_all_mail_classes`` may print (SWSIM 0x00450208 otherwise).
PRIORITY_SERVICES = frozenset({"US-PM", "US-XM"})
#: Priority Mail Express is the one USPS service with a money-back delivery guarantee.
GUARANTEED = frozenset({"US-XM"})

#: carriers.PackageType → SWSIM ``PackageTypeV11``. ENVELOPE, PAK and TUBE are UPS's and FedEx's.
PACKAGE_TYPES: dict[PackageType, str] = {
    PackageType.PACKAGE: "Package",
    PackageType.POSTCARD: "Postcard",
    PackageType.LETTER: "Letter",
    PackageType.LARGE_ENVELOPE: "Large Envelope or Flat",
    PackageType.THICK_ENVELOPE: "Thick Envelope",
    PackageType.LARGE_PACKAGE: "Large Package",
    PackageType.FLAT_RATE_ENVELOPE: "Flat Rate Envelope",
    PackageType.LEGAL_FLAT_RATE_ENVELOPE: "Legal Flat Rate Envelope",
    PackageType.FLAT_RATE_PADDED_ENVELOPE: "Flat Rate Padded Envelope",
    PackageType.SMALL_FLAT_RATE_BOX: "Small Flat Rate Box",
    PackageType.MEDIUM_FLAT_RATE_BOX: "Flat Rate Box",
    PackageType.LARGE_FLAT_RATE_BOX: "Large Flat Rate Box",
    PackageType.REGIONAL_RATE_BOX_A: "Regional Rate Box A",
    PackageType.REGIONAL_RATE_BOX_B: "Regional Rate Box B",
}

#: Neutral shipment options → the SWSIM add-on codes that provide them, in order of preference.
ADDON_FOR_OPTION: dict[ShipmentOption, tuple[str, ...]] = {
    ShipmentOption.SIGNATURE: ("US-A-SC",),
    ShipmentOption.ADULT_SIGNATURE: ("US-A-ASR",),
    ShipmentOption.INSURANCE: ("SC-A-INS", "US-A-INS"),
    ShipmentOption.HOLD_FOR_PICKUP: ("US-A-HFPU",),
    ShipmentOption.CERTIFIED_MAIL: ("US-A-CM",),
    ShipmentOption.RETURN_RECEIPT: ("US-A-RR",),
    ShipmentOption.SATURDAY_DELIVERY: (),  # USPS delivers on Saturdays without an add-on
}

#: SWSIM ImageType → Label.label_format (the formats a Label can carry).
IMAGE_FORMATS: dict[str, str] = {"Png": "PNG", "Gif": "GIF", "Pdf": "PDF", "Zpl": "ZPL"}

#: USPS takes at most 70 lb in one piece.
MAX_WEIGHT = Weight(70, "lb")

#: SWSIM's TrackingEventType values, by the neutral status each means.
_STATUS_BY_TYPE: dict[str, TrackingStatus] = {}
for _status, _names in (
    (
        TrackingStatus.PRE_TRANSIT,
        "ShippingLabelCreated ElectronicNotification ManifestAcknowledgement",
    ),
    (
        TrackingStatus.IN_TRANSIT,
        "AcceptOrPickup AcceptedAtDestination ArrivalAtPickupPoint ArrivalAtUnit ArriveSortFacility_A1 "
        "ArriveSortFacility_R1 ArriveSortFacility_U1 ArrivedAgentFacility ArrivedAtShippingPartner "
        "ArrivedUSPSSortFacility AvailableForPickup CustomsClearance DepartSortFacility_L1 DepartSortFacility_T1 "
        "DepartUSPSSortFacility DepartedAgentFacility DepartedFromShippingPartner DispatchedFromSortFacility "
        "DispatchedToMilitary DispatchedToSortFacility Enroute ForeginReceipt Forwarded In_processAcceptance "
        "MailConsigned OriginAcceptance PickedUp PickedUpAndProcessedByAgent PickedUpByAgent PickedUpByShippingPartner "
        "ProcessedAtDestinationFacility Processed_BE Processed_RB Processed_RegisteredMailOnly_35 "
        "Processed_RegisteredMailOnly_36 Processed_RegisteredMailOnly_38 Processed_RegisteredMailOnly_39 "
        "Processed_RegisteredMailOnly_40 ReceivedAtOpeningUnit ShipmentAcceptance Sorting_ProcessingComplete "
        "TenderedToAgentForFinalDelivery TenderedToPostalService USPSHandoffToShippingPartner",
    ),
    (TrackingStatus.OUT_FOR_DELIVERY, "OutForDelivery"),
    (TrackingStatus.DELIVERED, "Delivered"),
    (
        TrackingStatus.RETURNED,
        "ReturnToSender ReturnToSender_CO ReturnToSender_NotPickedUp ReturnedOtherReason "
        "DeliveredByAgentToMerchant FinalDispositionByMerchant",
    ),
    (
        TrackingStatus.EXCEPTION,
        "AddresseeUnknown AttemptedNoticeLeft AttemptedNoticeLeft_H0 BusinessClosed CustomerRecall DeadLetter "
        "DeadMail_DisposedByPostOffice DeadMail_SentToRecoveryCenter Deceased Delay DuplicateLabelID "
        "ForwardingExpired InsufficientAddress Mis_shipped Missent MovedNoForwarding NoAuthorizedRecipientAvailable "
        "NoSecureLocationAvailable NoSuchNumber NoticeLeft ReceptacleBlocked ReceptacleFull RecipientActionRequired "
        "Refused ServiceDelay Unclaimed Undeliverable Vacant",
    ),
):
    for _name in _names.split():
        _STATUS_BY_TYPE[_name] = _status

#: For the event types that say nothing (None, "USPS Event", ...): words of the event text, in order.
_STATUS_BY_TEXT: tuple[tuple[str, TrackingStatus], ...] = (
    ("voided", TrackingStatus.VOIDED),
    ("label cancel", TrackingStatus.VOIDED),
    ("out for delivery", TrackingStatus.OUT_FOR_DELIVERY),
    ("return to sender", TrackingStatus.RETURNED),
    ("returned", TrackingStatus.RETURNED),
    ("delivered", TrackingStatus.DELIVERED),
    ("label created", TrackingStatus.PRE_TRANSIT),
    ("pre-shipment", TrackingStatus.PRE_TRANSIT),
    ("electronic", TrackingStatus.PRE_TRANSIT),
    ("notice left", TrackingStatus.EXCEPTION),
    ("undeliverable", TrackingStatus.EXCEPTION),
    ("delay", TrackingStatus.EXCEPTION),
    ("in transit", TrackingStatus.IN_TRANSIT),
    ("accept", TrackingStatus.IN_TRANSIT),
    ("arrived", TrackingStatus.IN_TRANSIT),
    ("departed", TrackingStatus.IN_TRANSIT),
    ("processed", TrackingStatus.IN_TRANSIT),
)


def status_for(event_type: str | None, text: str | None = None) -> TrackingStatus:
    """The neutral status of one SWSIM tracking event: by its type, else by the words of its text."""
    if event_type in _STATUS_BY_TYPE:
        return _STATUS_BY_TYPE[event_type]
    lowered = (text or "").lower()
    return next((status for words, status in _STATUS_BY_TEXT if words in lowered), TrackingStatus.UNKNOWN)
