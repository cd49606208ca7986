"""The base of every carrier-neutral model: frozen, strict, and raising the SDK's own errors.

pydantic's ``ValidationError`` never reaches a caller. A validator that finds a problem raises
:class:`onebalance.ValidationError` (or a subclass such as ``InvalidAmount``) naming the field; the
base class turns everything else pydantic refuses into a ``ValidationError`` too. For a nested
model the field is the whole path (``recipient.postal_code``, ``parcels.0.weight``), so a form can
point at the right box. Messages never carry the value that was refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict
from typing_extensions import Self

from onebalance.core import AuthenticationFailed, OneBalanceError, ValidationError

__all__ = ["CarrierModel", "built", "credentials_refused", "fail", "fill", "one_or_more", "to_decimal", "translate"]

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def credentials_refused(carrier: str, said: str, **common: Any) -> AuthenticationFailed:
    """The error for a token request the carrier refused. UPS and FedEx answer a wrong client secret
    as they answer an unknown client id (UPS: "ClientId is Invalid"), so the message names the secret
    first: it is what a person mistypes, while the id is copied from the carrier's app page."""
    return AuthenticationFailed(
        f"The {carrier} client secret is wrong (or the client id): {carrier} refused them when asked for a token; "
        f"it answers {said!r} for either",
        **common,
    )


def fail(field: str, text: str, cls: type[ValidationError] = ValidationError) -> NoReturn:
    """Raise ``cls`` for ``field`` with the message ``"<field>: <text>"``."""
    raise cls(f"{field}: {text}", field=field)


def one_or_more(value: Any, field: str, item: type | tuple[type, ...], most: int, empty: str, many: str) -> Any:
    """A list field's input: one ``item`` becomes a one-item tuple; a list or tuple must hold 1 to
    ``most`` (else ``fail`` with ``empty`` or ``many``); anything else is left to pydantic."""
    if isinstance(value, item):
        return (value,)
    if isinstance(value, (list, tuple)):
        if not value:
            fail(field, empty)
        if len(value) > most:
            fail(field, many)
    return value


def to_decimal(value: Any, field: str, cls: type[ValidationError] = ValidationError, *, floats: bool = True) -> Decimal:
    """A finite Decimal from an int, str, Decimal (or float, when ``floats``), else ``cls`` naming ``field``."""
    if isinstance(value, bool):
        fail(field, "must be a number, not a boolean", cls)
    if isinstance(value, float) and not floats:
        fail(field, "must be a Decimal, an int or a string such as '9.45', never a float", cls)
    if not isinstance(value, (int, float, str, Decimal)):
        fail(field, "must be a number", cls)
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        fail(field, "must be a number such as 12.5", cls)
    if not number.is_finite():
        fail(field, "must be a finite number", cls)
    return number


def _path(loc: tuple[int | str, ...], own: str | None) -> str | None:
    """The full dotted path of a problem: pydantic's location joined with the field our error named."""
    parts = [str(p) for p in loc]
    if own:
        own_parts = own.split(".")
        parts = parts[:-1] + own_parts if parts and parts[-1] == own_parts[0] else parts + own_parts
    return ".".join(parts) or None


def translate(exc: pydantic.ValidationError) -> OneBalanceError:
    """pydantic's error as the SDK's: our own error (with its full path) if a validator raised one."""
    first = exc.errors(include_url=False, include_input=False)[0]
    original = (first.get("ctx") or {}).get("error")
    if isinstance(original, ValidationError):
        own = original.field
        path = _path(first["loc"], own)
        if path != own:
            prefix = f"{own}: "
            text = original.message.removeprefix(prefix) if own else original.message
            original.message = f"{path}: {text}" if path else text
            original.args = (original.message,)
            original.field = path
        return original
    if isinstance(original, OneBalanceError):
        return original
    field = _path(first["loc"], None)
    message = str(first["msg"]).removeprefix("Value error, ")
    return ValidationError(f"{field}: {message}" if field else message, field=field)


class CarrierModel(BaseModel):
    """Frozen, no unknown fields, whitespace stripped; every refusal is an SDK ``ValidationError``."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    def __init__(self, **data: Any) -> None:
        # Errors are raised outside the except block so that pydantic's (which shows the input)
        # does not ride along as __context__.
        error: OneBalanceError | None = None
        try:
            # What BaseModel.__init__ does (without its extra frame): validate ``data`` into ``self``.
            self.__pydantic_validator__.validate_python(data, self_instance=self)
        except pydantic.ValidationError as exc:
            error = translate(exc)
        except TypeError as exc:  # a nested model given a mapping its __init__ does not take
            error = ValidationError(f"{type(self).__name__}: {exc}")
        if error is not None:
            raise error

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: build a new one, or use model_copy(update=...)")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, a new model validated like any other (never an unchecked one)."""
        if not update:
            return super().model_copy(deep=deep)
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update)
        return self.model_validate(data)

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        """Like pydantic's, but raising the SDK's errors (the mapping layers build models this way)."""
        error: OneBalanceError | None = None
        try:
            return super().model_validate(obj, **options)
        except pydantic.ValidationError as exc:
            error = translate(exc)
        raise error

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        """Like pydantic's, but raising the SDK's errors."""
        error: OneBalanceError | None = None
        try:
            return super().model_validate_json(json_data, **options)
        except pydantic.ValidationError as exc:
            error = translate(exc)
        raise error


def built(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """The model of ``cls`` that validating ``values`` would give, made without validating them: for a fast
    path whose inputs are already in their final form (every field, defaults included, in ``values``;
    ``fields_set`` the fields the caller named). Each fast path falls back to the model's own validation
    for anything else, and a test compares it with that validation field by field (``tests/test_fast_models.py``),
    which is also what notices if pydantic ever lays its models out otherwise."""
    model = cls.__new__(cls)
    fill(model, values, fields_set)
    return model


def fill(model: BaseModel, values: dict[str, Any], fields_set: set[str]) -> None:
    """What validation sets on ``model`` for ``values`` already valid (:func:`built`, from ``__init__``)."""
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
