"""USPS tracking through SWSIM's TrackShipment: a tracking number to the request, the answer to the
neutral :class:`Tracking`. No I/O; the rest of USPS's mapping is in :mod:`._mapping`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import Carrier, Tracking, TrackingEvent, TrackingStatus

from ._mapping import iso_date

__all__ = ["TRACK", "parse_tracking", "status_for", "track_request"]

#: The SWSIM operation.
TRACK = "TrackShipment"

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


def track_request(tracking_number: str) -> dict[str, Any]:
    """TrackShipment for ``tracking_number`` (spaces dropped)."""
    number = re.sub(r"\s", "", tracking_number or "")
    if not number:
        raise ValidationError("tracking_number: is required", field="tracking_number")
    return {"TrackingNumber": number}


def _aware(moment: datetime) -> datetime:
    """SWSIM times are read as UTC (the decoder turns offsets into naive UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def parse_tracking(response: Mapping[str, Any], tracking_number: str) -> Tracking:
    """TrackShipment's events for ``tracking_number``, newest first; the status is the newest event's that
    means something."""
    events: list[TrackingEvent] = []
    for item in (response.get("TrackingEvents") or {}).get("TrackingEvent", []):
        moment = item.get("Timestamp")
        if not isinstance(moment, datetime):
            continue
        text = str(item.get("Event") or "")
        events.append(
            TrackingEvent(
                occurred_at=_aware(moment),
                status=status_for(item.get("TrackingEventType"), text),
                description=text[:500],
                city=item.get("City") or None,
                state=item.get("State") or None,
                postal_code=item.get("Zip") or None,
                country=item.get("Country") or None,
            )
        )
    ordered = sorted(events, key=lambda e: e.occurred_at, reverse=True)
    status = next((e.status for e in ordered if e.status is not TrackingStatus.UNKNOWN), TrackingStatus.UNKNOWN)
    return Tracking(
        carrier=Carrier.USPS,
        tracking_number=re.sub(r"\s", "", tracking_number),
        status=status,
        events=tuple(ordered),
        estimated_delivery=iso_date(response.get("ExpectedDeliveryDate")),
    )
