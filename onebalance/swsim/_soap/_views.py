"""What of an answer the caller reads: the lenient reader restricted to those fields.

A CreateIndicium answer echoes the whole rate it printed (its addresses, weights, dates, some forty
elements), and the label needs four values of it. :class:`Reads` names the fields a caller uses;
:meth:`Reads.view` makes, once per response type, a reader's view of that type that holds only
those fields (and, inside a field named with its own ``Reads``, only those of its fields). The
lenient reader (``_codec._decode_loose``) reads through a view as through the type itself, so what
is read is decoded and checked exactly as before, a required field among them is still required,
and every other element is passed over unread, as elements a later version adds already are.

The answer's ``Authenticator`` (the rolling token a conversation goes on with) is always read.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import Any

from ._types import COMPLEX, Choice, Complex

__all__ = ["Reads"]

#: Read whatever a caller names: the token the conversation goes on with.
_ALWAYS = frozenset({"Authenticator"})


class Reads:
    """The fields of an answer a caller reads, by their names in the schema; a field given as a
    keyword with a ``Reads`` of its own is read as far as that one says, any other field whole.

    ``Reads("TrackingNumber", "PostageBalance", Rate=Reads("Amount", "AddOns"))``
    """

    __slots__ = ("_lock", "_views", "fields", "nested")

    def __init__(self, *fields: str, **nested: Reads) -> None:
        self.fields = frozenset(fields) | frozenset(nested)
        self.nested: Mapping[str, Reads] = dict(nested)
        #: Each response type's view, by the type's identity (the type is kept with it, so that its id
        #: cannot be another's while the view is kept).
        self._views: dict[int, tuple[Complex, Complex]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        parts = [repr(name) for name in sorted(self.fields - set(self.nested))]
        parts += [f"{name}={reads!r}" for name, reads in sorted(self.nested.items())]
        return f"Reads({', '.join(parts)})"

    def view(self, ctype: Complex) -> Complex:
        """``ctype`` as the lenient reader sees it through these reads (made once per type)."""
        known = self._views.get(id(ctype))
        if known is not None:
            return known[1]
        with self._lock:
            known = self._views.get(id(ctype))
            if known is None:
                known = self._views[id(ctype)] = (ctype, self._make(ctype))
            return known[1]

    def _make(self, ctype: Complex) -> Complex:
        names = {entry[0] for entry in ctype.reads.values()}
        unknown = self.fields - names
        if unknown:
            raise ValueError(f"{ctype.name} has no field {', '.join(sorted(unknown))} to read")
        wanted = self.fields | (_ALWAYS & names)
        reads = {}
        for tag, entry in ctype.reads.items():
            name, kind, ftype, limit, unusual = entry
            if name not in wanted:
                continue
            inner = self.nested.get(name)
            if inner is not None:
                if kind != COMPLEX:
                    raise ValueError(f"{ctype.name}.{name} has no fields of its own to read")
                entry = (name, kind, inner.view(ftype), limit, unusual)  # type: ignore[arg-type]
            reads[tag] = entry
        # A required choice (its name "") stays required when one of its options is read.
        required = [
            (index, name, minimum)
            for index, name, minimum in ctype.required_particles
            if name in wanted or (not name and any(option.name in wanted for option in _options(ctype, index)))
        ]
        plain = all(name and minimum == 1 for _, name, minimum in required)
        return dataclasses.replace(
            ctype,
            reads=reads,
            required_particles=required,
            required_fields=frozenset(name for _, name, _ in required) if plain else None,
            # a type of flags is read by its own loop over every flag: a view reads field by field
            flags={},
            flag_others=(),
            flag_nillable=(),
        )


def _options(ctype: Complex, index: int) -> list[Any]:
    """The options of the choice at ``index`` (none for a field)."""
    particle = ctype.particles[index]
    return list(particle.options) if isinstance(particle, Choice) else []
