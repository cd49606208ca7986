"""What the merchant's One Balance plan forbids, and the USPS rates it forbids.

SWSIM expresses a plan's restrictions through the account's capabilities (GetAccountInfo) and
refuses what they forbid when a label is printed:

* ``allow_all_mail_classes`` false (``AllowAllMailClasses``): only Priority Mail and Priority Mail
  Express may be printed; any other service is refused with ``00450208``;
* ``per_print_limit`` (``PerPrintLimit``): no label may cost more; refused with ``002b0a01``.

:func:`plan_limits` reads them; :func:`mark_rates` marks each USPS rate they forbid
(``Rate.restriction``), so that a rate shop shows it but never picks it as the cheapest or the
fastest; :func:`refusal` is the error ``UspsShipping.buy`` raises before anything is sent or any
postage is bought for such a rate.

UPS and FedEx labels are billed to the merchant's own carrier accounts, not bought through the
One Balance, so the plan's flags about UPS and FedEx (``can_print_ups``, ``can_print_fedex``, for
labels the provider sells) do not restrict them.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from onebalance.core import PlanRestriction, PrintLimitExceeded, ServiceError
from onebalance.shipments import Carrier, Rate
from onebalance.swsim import Capabilities

from ._codes import INTERNATIONAL_SERVICES, PRIORITY_SERVICES, SERVICES

__all__ = ["MAIL_CLASS_CODE", "PER_PRINT_CODE", "PlanLimit", "mark_rates", "plan_limits", "refusal"]

#: The service's codes for what each limit refuses.
MAIL_CLASS_CODE = "00450208"
PER_PRINT_CODE = "002b0a01"


class PlanLimit(BaseModel):
    """One restriction of the plan: ``capability`` is the service's name for it, ``code`` the fault
    it answers; ``detail`` says it to a person (as a rate's ``restriction``), ``cannot`` says what
    it forbids (as a diagnosis lists it); ``services`` are the USPS services it still allows,
    ``max_amount`` the most a label may cost (None when the limit is not about that)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    capability: str
    code: str
    detail: str
    cannot: str
    services: frozenset[str] | None = None
    max_amount: Decimal | None = None

    def forbids(self, rate: Rate) -> bool:
        """Whether the service would refuse to print ``rate`` (a USPS rate) under this limit."""
        if rate.carrier is not Carrier.USPS:
            return False
        if self.services is not None and rate.service_code not in self.services:
            return True
        postage = rate.base if rate.base is not None else rate.total  # what PerPrintLimit is held to
        return self.max_amount is not None and postage.amount > self.max_amount


def plan_limits(capabilities: Capabilities) -> tuple[PlanLimit, ...]:
    """What the plan forbids, from the account's capabilities (empty: nothing)."""
    limits = []
    if capabilities.block_usps_print:
        limits.append(
            PlanLimit(
                capability="BlockUSPSPrint",
                code=MAIL_CLASS_CODE,
                detail="USPS labels are blocked on this account (BlockUSPSPrint)",
                cannot="print USPS labels: they are blocked on this account (BlockUSPSPrint)",
                services=frozenset(),
            )
        )
    if not capabilities.allow_all_mail_classes:
        names = " and ".join(SERVICES[code].removeprefix("USPS ") for code in sorted(PRIORITY_SERVICES))
        limits.append(
            PlanLimit(
                capability="AllowAllMailClasses",
                code=MAIL_CLASS_CODE,
                detail=f"the plan allows only {names} (AllowAllMailClasses is off)",
                cannot=f"print any USPS service but {names}: the plan does not allow them (AllowAllMailClasses is off)",
                services=PRIORITY_SERVICES,
            )
        )
    if not capabilities.can_print_international:
        limits.append(
            PlanLimit(
                capability="CanPrintInternational",
                code=MAIL_CLASS_CODE,
                detail="the plan does not allow international mail (CanPrintInternational is off)",
                cannot="print USPS labels abroad: the plan does not allow international mail (CanPrintInternational "
                "is off)",
                services=frozenset(SERVICES) - INTERNATIONAL_SERVICES,
            )
        )
    if capabilities.per_print_limit is not None:
        limits.append(
            PlanLimit(
                capability="PerPrintLimit",
                code=PER_PRINT_CODE,
                detail=f"the plan allows labels of at most ${capabilities.per_print_limit:,.2f} (PerPrintLimit)",
                cannot=f"print a label of more than ${capabilities.per_print_limit:,.2f}: the plan's per-print limit "
                "(PerPrintLimit)",
                max_amount=capabilities.per_print_limit,
            )
        )
    return tuple(limits)


def mark_rates(rates: Iterable[Rate], limits: Iterable[PlanLimit]) -> list[Rate]:
    """``rates``, each one a limit forbids marked with its ``restriction`` (the limit's detail)."""
    limits = tuple(limits)
    marked = []
    for rate in rates:
        reasons = [limit.detail for limit in limits if limit.forbids(rate)]
        marked.append(rate.model_copy(update={"restriction": "; ".join(reasons)}) if reasons else rate)
    return marked


def refusal(rate: Rate, capabilities: Capabilities, *, transaction_id: str | None = None) -> ServiceError | None:
    """The error the service would answer for printing ``rate`` under the plan, or None."""
    for limit in plan_limits(capabilities):
        if limit.forbids(rate):
            cls = PlanRestriction if limit.code == MAIL_CLASS_CODE else PrintLimitExceeded
            return cls(
                f"{cls.default_message}: {rate.service_name} ({rate.service_code}, ${rate.total.amount:,.2f}): "
                f"{limit.detail}",
                operation="CreateIndicium",
                code=limit.code,
                transaction_id=transaction_id,
            )
    return None
