"""The SWSIM versions the SDK speaks, and what is fixed per version.

Each version has its own contract (``wsdl/swsim_<version>.wsdl``, generated from the real WSDL by
``tools/swsim_subset.py``), namespace, service name and endpoint path. What the SDK's requests and
responses spell differently from one version to the next (array item names, the USPS services,
length limits) is listed here as data and read by the mapping layer (``_usps``, ``_mapping``,
``_client``), the only code that knows a version exists.

* **v135** (the default): the wire integrations use today; it has USPS Ground Advantage (``US-GA``),
  batch voids and the newer account fields.
* **v111**: the 2021 contract, kept for integrations not yet moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from onebalance.core import ConfigurationError

__all__ = ["DEFAULT_VERSION", "VERSIONS", "ApiVersion", "SwsimVersion", "swsim_version"]

ApiVersion = Literal["v111", "v135"]

TESTING_HOST = "https://swsim.testing.stamps.com"
PRODUCTION_HOST = "https://swsim.stamps.com"


@dataclass(frozen=True, slots=True)
class SwsimVersion:
    """One SWSIM version: its contract and the spellings that differ between versions."""

    #: ``"v111"`` or ``"v135"``: what ``api_version=`` takes.
    name: ApiVersion
    #: The target namespace (SOAPAction = namespace + "/" + operation).
    namespace: str
    #: The WSDL service name (``SwsimV135``); its SOAP 1.1 port is this name + ``Soap``.
    service: str
    #: The USPS ``ServiceType`` codes of the version's enumeration (what it can rate and print).
    usps_services: frozenset[str]
    #: Array item names inside a rate: ``AddOns``, ``Surcharges`` and ``RequiresAllOf/RequiresOneOf``.
    addon_item: str
    surcharge_item: str
    addon_type_item: str
    #: CancelIndicium takes several labels in one call (``TrackingNumbers`` / ``StampsTxIDs``).
    batch_cancel: bool
    #: PurchasePostage answers with a ``RejectionCode`` (v111) / a ``ProcessorTransactionID`` (v135).
    purchase_rejection_code: bool
    #: RegisterAccount's length limits as the version's schema states them: field -> (min, max).
    register_limits: tuple[tuple[str, int, int], ...] = ()

    @property
    def path(self) -> str:
        """The endpoint's path, as the real service has it: ``/swsim/swsimv135.asmx``."""
        return f"/swsim/swsim{self.name}.asmx"

    @property
    def port(self) -> str:
        return f"{self.service}Soap"

    @property
    def wsdl_file(self) -> str:
        return f"swsim_{self.name}.wsdl"

    @property
    def testing_endpoint(self) -> str:
        return TESTING_HOST + self.path

    @property
    def production_endpoint(self) -> str:
        return PRODUCTION_HOST + self.path

    def __str__(self) -> str:
        return self.name


_USPS_V111 = frozenset(
    {"US-BP", "US-CM", "US-EMI", "US-FC", "US-FCI", "US-LM", "US-MM", "US-PM", "US-PMI", "US-PS", "US-RETURN", "US-RG",
     "US-XM"}
)  # fmt: skip

VERSIONS: dict[str, SwsimVersion] = {
    "v111": SwsimVersion(
        name="v111",
        namespace="http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111",
        service="SwsimV111",
        usps_services=_USPS_V111,
        addon_item="AddOnV17",
        surcharge_item="SurchargeV3",
        addon_type_item="AddOnTypeV17",
        batch_cancel=False,
        purchase_rejection_code=True,
    ),
    "v135": SwsimVersion(
        name="v135",
        namespace="http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135",
        service="SwsimV135",
        usps_services=_USPS_V111 | {"US-GA"},
        addon_item="AddOnV20",
        surcharge_item="SurchargeV5",
        addon_type_item="AddOnTypeV20",
        batch_cancel=True,
        purchase_rejection_code=False,
        register_limits=(("UserName", 0, 40), ("Password", 6, 20), ("Email", 0, 320), ("PromoCode", 0, 50)),
    ),
}
DEFAULT_VERSION: SwsimVersion = VERSIONS["v135"]


def swsim_version(value: str | SwsimVersion | None = None) -> SwsimVersion:
    """The version named ``value`` (``"v135"``, ``"135"``, ``"V111"``...); None: the default (v135)."""
    if value is None:
        return DEFAULT_VERSION
    if isinstance(value, SwsimVersion):
        return value
    if isinstance(value, str):
        found = VERSIONS.get(value)  # the usual spelling ("v135"), without the normalizing below
        if found is not None:
            return found
        key = value.strip().lower()
        key = key if key.startswith("v") else f"v{key}"
        if key in VERSIONS:
            return VERSIONS[key]
    raise ConfigurationError(f"api_version must be one of {', '.join(VERSIONS)} (got {value!r})")
