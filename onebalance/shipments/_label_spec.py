"""What a label is printed as: its format (PDF, PNG, ZPL, GIF, EPL) and its size (4x6, letter), in no
carrier's words, and the error for one a carrier cannot give.

Each carrier's mapping has a table of what it offers (:func:`choose` reads it): a format and a size
it cannot print are refused with :class:`LabelFormatUnavailable` before anything is sent. A spec
leaves a field None for the carrier's own default (USPS PNG, UPS GIF, FedEx PNG; 4x6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, get_args

from pydantic import field_validator

from onebalance.core import ValidationError

from ._base import CarrierModel
from ._carrier import Carrier
from ._label import LabelFormat, LabelSize

__all__ = ["LABEL_FORMATS", "LABEL_SIZES", "LabelFormatUnavailable", "LabelSpec", "choose", "label_spec"]

LABEL_FORMATS: tuple[LabelFormat, ...] = get_args(LabelFormat)
LABEL_SIZES: tuple[LabelSize, ...] = get_args(LabelSize)
T = TypeVar("T")


class LabelSpec(CarrierModel):
    """The format and size of a label (``LabelSpec(format="ZPL", size="4x6")``); a field left None is
    the carrier's default. Formats are upper case (``"zpl"`` is read as ``"ZPL"``), sizes lower case
    (``"4X6"`` is read as ``"4x6"``)."""

    format: LabelFormat | None = None
    size: LabelSize | None = None

    @field_validator("format", "size", mode="before")
    @classmethod
    def _spelling(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value.upper() if info.field_name == "format" else value.lower()
        return value

    def over(self, default: LabelSpec | None) -> LabelSpec:
        """This spec, its fields left None filled from ``default`` (a platform's or merchant's)."""
        if default is None:
            return self
        return LabelSpec(format=self.format or default.format, size=self.size or default.size)

    def __str__(self) -> str:
        return f"{self.format or 'default format'} {self.size or 'default size'}"


def label_spec(label_format: LabelSpec | str | None, label_size: str | None = None) -> LabelSpec | None:
    """The spec the keywords ``label_format=`` (a format, or a whole :class:`LabelSpec`) and
    ``label_size=`` name; None when they name nothing."""
    if isinstance(label_format, LabelSpec):
        return label_format if label_size is None else LabelSpec(format=label_format.format, size=label_size)
    if label_format is None and label_size is None:
        return None
    for field, value, known in (("label_format", label_format, LABEL_FORMATS), ("label_size", label_size, LABEL_SIZES)):
        spelled = value.strip().upper() if isinstance(value, str) else value
        if value is not None and spelled not in {k.upper() for k in known}:
            raise ValidationError(f"{field}: must be one of {', '.join(known)}", field=field)
    return LabelSpec(format=label_format, size=label_size)


class LabelFormatUnavailable(ValidationError):
    """The carrier cannot print a label in this format or size; nothing was sent.

    ``carrier``, ``label_format`` and ``label_size`` say what was asked; ``offered`` lists every
    (format, size) the carrier prints, as :class:`LabelSpec` objects.
    """

    default_message = "The carrier cannot print a label in this format or size"

    def __init__(
        self,
        message: str | None = None,
        *,
        carrier: Carrier,
        label_format: LabelFormat,
        label_size: LabelSize,
        offered: tuple[LabelSpec, ...],
        **kw: Any,
    ) -> None:
        self.carrier = carrier
        self.label_format = label_format
        self.label_size = label_size
        self.offered = offered
        field = "label_format" if all(o.format != label_format for o in offered) else "label_size"
        if message is None:
            listed = ", ".join(str(o) for o in offered)
            message = (
                f"{field}: {carrier.display_name} does not print {label_format} labels in size {label_size}; "
                f"it prints {listed}"
            )
        kw.setdefault("field", field)
        super().__init__(message, **kw)


def choose(
    spec: LabelSpec | None,
    carrier: Carrier,
    offers: Mapping[tuple[LabelFormat, LabelSize], T],
    default_format: LabelFormat,
) -> tuple[LabelFormat, LabelSize, T]:
    """The format, size and the carrier's wire value for ``spec`` from the carrier's ``offers``
    (what it prints, in the order it lists them); a field left None is ``default_format`` and 4x6
    (else the format's first size). :class:`LabelFormatUnavailable` when the carrier does not print it."""
    # No spec (the usual case) is the default format in 4x6, without building an empty LabelSpec.
    label_format = (spec.format if spec is not None else None) or default_format
    label_size = spec.size if spec is not None else None
    if label_size is None:
        found = offers.get((label_format, "4x6"))  # 4x6 first, else the format's first size
        if found is not None:
            return label_format, "4x6", found
        sizes = [size for fmt, size in offers if fmt == label_format]
        label_size = sizes[0] if sizes else "4x6"
    found = offers.get((label_format, label_size))
    if found is None:
        offered = tuple(LabelSpec(format=fmt, size=size) for fmt, size in offers)
        raise LabelFormatUnavailable(carrier=carrier, label_format=label_format, label_size=label_size, offered=offered)
    return label_format, label_size, found
