"""Old field names, kept for one release: the one mechanism every renamed model uses.

A field renamed so that the models spell the same thing one way (docs/reference/names.md) keeps its
old name for one release. A model lists its old names in ``__old_names__`` and derives from
:class:`Renamed`, which gives it, with a :class:`DeprecationWarning` naming the new name:

- the old keyword when it is built or validated (``Quote(total_charged=...)``, a dict or JSON with
  the old key), mapped to the new field before any field is checked;
- the old attribute, read (``quote.total_charged``) and, on a model that is not frozen, set.

A method whose keywords name the same fields (``set_auto_buy(purchase_amount=...)``) takes its old
keywords the same way, through :func:`old_keywords`.

Nothing else knows the old names: ``model_fields``, the docs and ``model_dump`` hold the new ones only.
Two kinds of old name: a field renamed (``total_charged`` -> ``total``), and a field that became one
item of a tuple (``address1``, ``address2`` -> ``street_lines[0]``, ``street_lines[1]``).

Records the SDK wrote under the old names (receipts and refill entries in SQLite or PostgreSQL)
load through the same mapping without a warning: the stores validate with ``context=STORED``. The
command line's ``--json`` output writes the old keys beside the new ones for the same release:
``model_dump(mode="json", context=WITH_OLD_NAMES)``.

When the old names go (the next release), the properties, the warning and ``WITH_OLD_NAMES`` go;
the mapping of ``STORED`` records stays for as long as such records may be on disk.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final, ParamSpec, TypeVar

import pydantic
from pydantic import (
    BaseModel,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    model_serializer,
    model_validator,
)

from ._errors import ValidationError

__all__ = ["STORED", "WITH_OLD_NAMES", "OldName", "Renamed", "old_keywords"]

P = ParamSpec("P")
R = TypeVar("R")

_STORED_KEY = "onebalance.stored"
_OLD_KEYS_KEY = "onebalance.old_names"
#: Validation context of a record written by an earlier release: old names map without a warning.
STORED: Final = {_STORED_KEY: True}
#: Serialization context that writes each old name beside the new one (the CLI's JSON, for one release).
WITH_OLD_NAMES: Final = {_OLD_KEYS_KEY: True}

#: Frames inside these directories are not the caller a warning points at.
_INSIDE = (str(Path(pydantic.__file__).parent), str(Path(__file__).parents[1]))


@dataclass(frozen=True)
class OldName:
    """``old`` is the name of ``new`` until the next release; with ``item``, it was that item of the
    tuple ``new`` (``OldName("address2", "street_lines", 1)``)."""

    old: str
    new: str
    item: int | None = None


def _warn(owner: str, name: OldName) -> None:
    new = name.new if name.item is None else f"{name.new}[{name.item}]"
    frame, level = sys._getframe(1), 2  # stacklevel 2 is the caller of this function
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INSIDE):
        frame, level = frame.f_back, level + 1
    warnings.warn(
        f"{owner}.{name.old} is the old name of {new}; it goes in the next release",
        DeprecationWarning,
        stacklevel=level,
    )


def _item(value: Any, item: int) -> Any:
    return value[item] if isinstance(value, (tuple, list)) and len(value) > item else None


def _lines(items: dict[int, Any]) -> tuple[Any, ...]:
    return tuple(items[i] for i in sorted(items) if items[i] not in (None, ""))


def new_names(owner: str, names: tuple[OldName, ...], data: dict[str, Any], *, warn: bool) -> dict[str, Any]:
    """``data`` with each old key of ``names`` under its new name; ``owner`` is what a warning names."""
    data = dict(data)
    items: dict[str, dict[int, Any]] = {}
    for name in names:
        if name.old not in data:
            continue
        if warn:
            _warn(owner, name)
        if name.new in data:
            raise ValidationError(
                f"{name.new}: given twice ({name.old} is its old name); give {name.new} only", field=name.new
            )
        value = data.pop(name.old)
        if name.item is None:
            data[name.new] = value
        else:
            items.setdefault(name.new, {})[name.item] = value
    for new, values in items.items():
        data[new] = _lines(values)
    return data


def old_keywords(*names: OldName) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A function (or method) whose keywords were renamed: the old keywords still work for one
    release, with the same warning as a model's old names."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if any(name.old in kwargs for name in names):
                kwargs = new_names(function.__qualname__, names, kwargs, warn=True)  # type: ignore[assignment]
            return function(*args, **kwargs)

        return call

    return decorate


def _attribute(model: type, name: OldName) -> property:
    def read(self: BaseModel) -> Any:
        _warn(model.__name__, name)
        value = getattr(self, name.new)
        return value if name.item is None else _item(value, name.item)

    def write(self: BaseModel, value: Any) -> None:
        _warn(model.__name__, name)
        if name.item is not None:
            lines = dict(enumerate(getattr(self, name.new)))
            lines[name.item] = value
            value = _lines(lines)
        setattr(self, name.new, value)

    return property(read, write, doc=f"Deprecated: the old name of ``{name.new}``.")


class Renamed(BaseModel):
    """A model some of whose fields had other names: ``__old_names__`` lists them (see the module)."""

    __old_names__: ClassVar[tuple[OldName, ...]] = ()
    #: The old keys of ``__old_names__``, looked for at once in what a model is given.
    __old_keys__: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name in cls.__dict__.get("__old_names__", ()):
            setattr(cls, name.old, _attribute(cls, name))
        cls.__old_keys__ = frozenset(name.old for name in cls.__old_names__)

    @model_validator(mode="before")
    @classmethod
    def _from_old_names(cls, data: Any, info: ValidationInfo) -> Any:
        # The usual case, data without an old key, is told in one set operation: nothing to rename.
        if not isinstance(data, dict) or data.keys().isdisjoint(cls.__old_keys__):
            return data
        return new_names(cls.__name__, cls.__old_names__, data, warn=not (info.context or {}).get(_STORED_KEY))

    # No return annotation: pydantic would take it as the serialized type (Any would blank the JSON schema).
    @model_serializer(mode="wrap")
    def _with_old_names(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]
        data = handler(self)
        if isinstance(data, dict) and (info.context or {}).get(_OLD_KEYS_KEY):
            for name in self.__old_names__:
                if name.new in data:
                    value = data[name.new]
                    data[name.old] = value if name.item is None else _item(value, name.item)
        return data
