"""What the SDK's SWSIM requests and responses spell differently in v111 and v135, in one place. Pure.

The rest of the SDK builds and reads the same dicts for both versions and passes the client's
version here where they differ (``_soap._versions`` holds the per-version facts):

* **USPS services.** ``US-GA`` (Ground Advantage) is in v135's ``ServiceType`` only; on v111 asking
  for it is refused before anything is sent, as before.
* **Array item names inside a rate.** ``AddOns/AddOnV17`` is ``AddOns/AddOnV20`` in v135, and so on
  for ``Surcharges`` and ``RequiresAllOf/RequiresOneOf``: :func:`items` reads either, :func:`nest_rate`
  writes a rate in the version's names (so a rate read on one version can be bought on the other).
* **CancelIndicium.** v111 cancels one label per call (``StampsTxID`` | ``TrackingNumber``); v135 takes
  ``StampsTxIDs`` and ``TrackingNumbers`` arrays: :func:`cancel_requests` groups labels in batches.
* **PurchasePostage.** v111 answers a rejection with a ``RejectionCode``; v135 has none, and may carry
  the payment processor's ``ProcessorTransactionID`` (:func:`purchase_fields`).
* **RegisterAccount.** v135's schema limits the username (40), password (6-20), email (320) and
  promo code (50): :func:`check_registration` refuses a longer one before sending, naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from onebalance.core import ValidationError
from onebalance.swsim._soap._versions import SwsimVersion, swsim_version

__all__ = [
    "MAX_CANCEL_BATCH",
    "cancel_requests",
    "check_registration",
    "check_usps_service",
    "items",
    "nest_rate",
    "purchase_fields",
]

Version = str | SwsimVersion
#: The most labels one v135 CancelIndicium carries (the service states no limit; small batches keep
#: one refusal from holding up many labels).
MAX_CANCEL_BATCH = 50
#: RegisterAccount's wire fields and the SDK's names for them.
_REGISTER_FIELDS = {"UserName": "username", "Password": "password", "Email": "email", "PromoCode": "promo_code"}

T = TypeVar("T")


def check_usps_service(code: str, field: str, version: Version) -> None:
    """Refuse ``code`` when the version's ServiceType enumeration does not list it."""
    wire = swsim_version(version)
    if code not in wire.usps_services:
        hint = " (Ground Advantage needs SWSIM v135: api_version='v135')" if code == "US-GA" else ""
        raise ValidationError(
            f"{field}: {code} is not a USPS service this SDK can rate or print on SWSIM {wire.name}{hint}",
            field=field,
        )


def items(array: Mapping[str, Any] | None) -> list[Any]:
    """The items of a SWSIM array element (``{"AddOnV20": [...]}``), whatever the item's versioned name."""
    if not array:
        return []
    found: list[Any] = []
    for value in array.values():
        found.extend(value if isinstance(value, list) else [value])
    return found


def nest_rate(wire_rate: dict[str, Any], version: Version) -> dict[str, Any]:
    """``wire_rate`` with its nested arrays under the version's item names."""
    wire = swsim_version(version)
    out = dict(wire_rate)
    if out.get("AddOns") is not None:
        out["AddOns"] = {wire.addon_item: items(out["AddOns"])}
    if out.get("Surcharges") is not None:
        out["Surcharges"] = {wire.surcharge_item: items(out["Surcharges"])}
    if out.get("RequiresAllOf") is not None:
        out["RequiresAllOf"] = {
            "RequiresOneOf": [{wire.addon_type_item: items(group)} for group in items(out["RequiresAllOf"])]
        }
    return out


def cancel_requests(
    refs: Sequence[tuple[T, str | None, str | None]], version: Version
) -> list[tuple[list[T], dict[str, Any]]]:
    """CancelIndicium payloads for ``refs`` ((what, StampsTxID, tracking number) each), with what each covers.

    v111: one payload per label. v135: batches of up to :data:`MAX_CANCEL_BATCH` labels. A label is
    named by its StampsTxID (SWSIM's advice) or else by its tracking number.
    """
    wire = swsim_version(version)
    if not wire.batch_cancel:
        return [([what], {"StampsTxID": tx} if tx else {"TrackingNumber": tracking}) for what, tx, tracking in refs]
    out: list[tuple[list[T], dict[str, Any]]] = []
    for start in range(0, len(refs), MAX_CANCEL_BATCH):
        chunk = refs[start : start + MAX_CANCEL_BATCH]
        tx_ids = [tx for _, tx, _ in chunk if tx]
        numbers = [tracking for _, tx, tracking in chunk if not tx]
        payload: dict[str, Any] = {}
        if numbers:
            payload["TrackingNumbers"] = {"string": numbers}
        if tx_ids:
            payload["StampsTxIDs"] = {"guid": tx_ids}
        out.append(([what for what, _, _ in chunk], payload))
    return out


def purchase_fields(response: Mapping[str, Any], version: Version) -> dict[str, Any]:
    """The PurchasePostage answer's version-dependent fields: ``rejection_code``, ``processor_transaction_id``."""
    wire = swsim_version(version)
    rejected = response.get("PurchaseStatus") == "Rejected"
    return {
        "rejection_code": response.get("RejectionCode") if rejected and wire.purchase_rejection_code else None,
        "processor_transaction_id": response.get("ProcessorTransactionID") or None,
    }


def check_registration(request: Mapping[str, Any], version: Version) -> None:
    """Refuse a RegisterAccount request whose fields break the version's length limits, naming the field."""
    for name, low, high in swsim_version(version).register_limits:
        value = request.get(name)
        if value is None:
            continue
        length = len(str(value))
        if not low <= length <= high:
            field = _REGISTER_FIELDS.get(name, name)
            span = f"at most {high}" if low == 0 else f"{low} to {high}"
            raise ValidationError(f"{field}: must be {span} characters (it has {length})", field=field)
