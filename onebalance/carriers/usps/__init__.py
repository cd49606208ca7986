"""USPS: labels paid from the merchant's One Balance, over SWSIM (v135 or v111).

Laid out like every carrier's folder: :mod:`._settings` (what a USPS client is configured with: the
merchant and the SWSIM version; the rest is its One Balance client's), :mod:`._mapping` (pure
request/parse pairs: ``rate_request`` / ``parse_rates``, ``ship_request`` / ``parse_label``,
``void_request`` / ``parse_void``, ``cleanse_request`` / ``parse_cleanse``, and in
:mod:`._mapping_tracking` ``track_request`` / ``parse_tracking``; with :mod:`._codes`, USPS's code
tables, the only place SWSIM's shipping spellings appear),
:mod:`._proxy` (all I/O: the calls through the One Balance client, refills through
:class:`~onebalance.Postage`) and :mod:`._client` (:class:`UspsShipping`, the carrier-neutral face,
with the SDK's rules: plan restrictions, idempotency, refills before a label). :mod:`._plan` reads
what the merchant's plan forbids; :mod:`._voids` voids several labels at once. Carrier pickups
(``UspsShipping.pickups``): :mod:`._pickups` (:class:`UspsPickups`), their models in
:mod:`._pickup_models` and their wire spelling in :mod:`._mapping_pickups`. SCAN forms
(``UspsShipping.scan_form``): :mod:`._manifests`, their models in :mod:`._manifest_models` and
their wire spelling in :mod:`._mapping_manifests`.
"""

from ._client import UspsShipping, integrator_tx_id
from ._manifest_models import LeftOutLabel, ScanForm
from ._models import CleansedAddress, LabelVoid
from ._pickup_models import (
    PackageLocation,
    Pickup,
    PickupAvailability,
    PickupContact,
    PickupPackages,
    PickupRequest,
    PickupStatus,
)
from ._pickups import UspsPickups
from ._plan import PlanLimit, plan_limits

__all__ = [
    "CleansedAddress",
    "LabelVoid",
    "PackageLocation",
    "Pickup",
    "PickupAvailability",
    "PickupContact",
    "PickupPackages",
    "PickupRequest",
    "PickupStatus",
    "PlanLimit",
    "UspsPickups",
    "LeftOutLabel",
    "ScanForm",
    "UspsShipping",
    "integrator_tx_id",
    "plan_limits",
]
