"""The compiled schema's objects: simple types and their rules, fields, choices, complex types, operations.

:class:`~._schema.Schema` builds them from the WSDL; the codec (``_codec``) reads and writes values
with them. Each type keeps what the codec needs precomputed when the WSDL is compiled: a simple
type's reader (how its text is read, fastest first), a complex type's fields by name and by Clark
tag, how often each particle must occur, and the lenient reader's table (see docs/performance.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: xs integer types and their bounds (None: unbounded, but the text is capped in length).
INTEGER_BOUNDS: dict[str, tuple[int, int] | None] = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "integer": None,
}
#: The bases ``parse_simple`` turns into something other than the text itself.
TYPED_BASES = frozenset(INTEGER_BOUNDS) | {"boolean", "decimal", "double", "float", "dateTime", "base64Binary"}


class SchemaError(ValueError):
    """A document or value does not fit the schema. ``element`` names where."""

    def __init__(self, message: str, element: str = "") -> None:
        super().__init__(message)
        self.element = element


#: How a simple type's text is read: as is (a string without facets), through ``BOOLEANS`` (a
#: boolean without facets), checked and kept (a string with facets), as an integer or a decimal
#: (without facets), or by ``parse_simple`` (everything else). Every fast way gives the same value
#: as ``parse_simple`` and leaves what it would refuse to it.
AS_IS, BOOLEAN, PARSED, CHECKED, INTEGER_VALUE, DECIMAL_VALUE = 0, 1, 2, 4, 5, 6
#: A complex type's kind in the lenient reader's table.
COMPLEX = 3
#: The lenient reader's finer ways (``Complex.loose``): a string checked by its length only, or its
#: enumeration only, against the limit beside it; a double or float, or base64 bytes, without facets.
LENGTH_CHECKED, ENUM_CHECKED, DOUBLE_VALUE, BYTES_VALUE = 7, 8, 9, 10
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class Simple:
    name: str
    base: str
    enumeration: frozenset[str] | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    #: ``AS_IS``, ``BOOLEAN``, ``CHECKED``, ``INTEGER_VALUE``, ``DECIMAL_VALUE`` or ``PARSED``
    #: (derived from the above), and an integer type's bounds.
    reader: int = field(init=False, default=PARSED, compare=False)
    bounds: tuple[int, int] | None = field(init=False, default=None, compare=False)
    #: True when ``check`` has nothing to check.
    unchecked: bool = field(init=False, default=False, compare=False)

    def __post_init__(self) -> None:
        unchecked = self.enumeration is None and self.min_length is None and self.max_length is None
        unchecked = unchecked and self.pattern is None
        reader = PARSED
        if unchecked and self.base == "boolean":
            reader = BOOLEAN
        elif unchecked and self.base not in TYPED_BASES:
            reader = AS_IS
        elif self.base not in TYPED_BASES:
            reader = CHECKED
        elif unchecked and self.base in INTEGER_BOUNDS:
            reader = INTEGER_VALUE
            object.__setattr__(self, "bounds", INTEGER_BOUNDS[self.base])
        elif unchecked and self.base == "decimal":
            reader = DECIMAL_VALUE
        object.__setattr__(self, "unchecked", unchecked)
        object.__setattr__(self, "reader", reader)

    def check(self, text: str, where: str) -> None:
        if self.enumeration is not None and text not in self.enumeration:
            raise SchemaError(
                f"The value '{text}' is invalid according to its datatype '{self.name}' - "
                "The Enumeration constraint failed.",
                where,
            )
        if self.max_length is not None and len(text) > self.max_length:
            raise SchemaError(
                f"The '{where}' element is invalid - The actual length is greater than the MaxLength value.", where
            )
        if self.min_length is not None and len(text) < self.min_length:
            raise SchemaError(
                f"The '{where}' element is invalid - The actual length is less than the MinLength value.", where
            )
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise SchemaError(f"The '{where}' element is invalid - The Pattern constraint failed.", where)


@dataclass(slots=True)
class Field:
    name: str
    ns: str
    type_ref: tuple[str, str]
    min_occurs: int = 1
    max_occurs: int | None = 1
    nillable: bool = False
    type: Simple | Complex | None = None
    #: Derived once the schema is compiled (see ``compile``): the Clark tag, whether it repeats,
    #: and its start and end tags as text in its own default namespace.
    tag: str = ""
    repeats: bool = False
    start: str = ""
    end: str = ""

    @property
    def repeated(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1

    def compile(self) -> None:
        self.tag = f"{{{self.ns}}}{self.name}"
        self.repeats = self.repeated
        self.start = f"<{self.name}>"
        self.end = f"</{self.name}>"


@dataclass(slots=True)
class Choice:
    options: list[Field]
    min_occurs: int = 1
    #: None: unbounded. A choice that repeats lets each option occur again (v135's CancelIndicium).
    max_occurs: int | None = 1

    @property
    def repeats(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1

    @property
    def required(self) -> bool:
        """XSD: a choice whose every option may occur zero times is satisfied by nothing."""
        return self.min_occurs > 0 and all(o.min_occurs > 0 for o in self.options)


#: How the fast writer (``_writer._fast_into``) writes a field of a complex type (``Complex.plan``): one
#: simple value, unchecked (``W_TEXT``), checked by its length (``W_LENGTH``), by its enumeration
#: (``W_ENUM``) or by ``Simple.check`` (``W_CHECK``); a complex value (``W_NODE``); a field that repeats
#: (``W_OTHER``, as is a field of another namespace than its parent's: see ``_writer._walk``).
W_TEXT, W_LENGTH, W_ENUM, W_CHECK, W_NODE, W_OTHER = 0, 1, 2, 3, 4, 5
#: A field in the fast writer's plan: its kind, start and end tags, type, the limit its kind checks
#: (the lengths allowed as a range, the enumeration, or None), the field, and whether a None may not be passed over.
Write = tuple[int, str, str, "Simple | Complex", Any, "Field", bool]
#: A walk of the fast writer: the namespace it was made for, and the fields of a value's keys in
#: schema order, each with its plan (``_writer._walk``).
Walk = tuple[str, tuple[tuple[str, int, str, str, "Simple | Complex", Any, "Field", bool], ...]]
_NO_MORE = 2**63
#: The fewest boolean fields a type has for its flags to be read in one pass (``Complex.flags``), and
#: the fewest string fields for its texts to be (``Complex.texts``).
_FEWEST_FLAGS = 4


def _write(f: Field, choice: Choice | None) -> Write:
    ftype = f.type
    assert ftype is not None
    kind: int
    limit: Any = None
    if f.repeats:
        kind = W_OTHER
    elif isinstance(ftype, Complex):
        kind = W_NODE
    elif ftype.unchecked:
        kind = W_TEXT
    elif ftype.enumeration is None and ftype.pattern is None:
        most = _NO_MORE if ftype.max_length is None else ftype.max_length
        kind, limit = W_LENGTH, range(ftype.min_length or 0, most + 1)  # ``in`` is one test, in C
    elif ftype.pattern is None and ftype.min_length is None and ftype.max_length is None:
        kind, limit = W_ENUM, ftype.enumeration
    else:
        kind = W_CHECK
    return (kind, f.start, f.end, ftype, limit, f, choice is None and f.min_occurs > 0)


#: The lenient reader's view of a field: name, repeats, the other options of its choice, nillable,
#: how to read it (``COMPLEX``, a simple type's ``reader`` or one of the finer ways), its type, and
#: the limit a finer way checks (the lengths or an integer's bounds as a range, the enumeration) or None.
Loose = tuple[str, bool, tuple[str, ...], bool, int, "Simple | Complex", Any]
#: The lenient reader's table (``Complex.reads``): name, how to read it, type, limit, and None or (repeats,
#: the other options of its choice, nillable).
Read = tuple[str, int, "Simple | Complex", Any, "tuple[bool, tuple[str, ...], bool] | None"]


def _loose(ftype: Simple | Complex) -> tuple[int, Any]:
    """How the lenient reader reads a value of ``ftype``, and the limit it checks."""
    if isinstance(ftype, Complex):
        return COMPLEX, None
    if ftype.reader == CHECKED and ftype.pattern is None:
        if ftype.enumeration is None:  # the lengths allowed, as a range: ``in`` is one test, in C
            most = _NO_MORE if ftype.max_length is None else ftype.max_length
            return LENGTH_CHECKED, range(ftype.min_length or 0, most + 1)
        if ftype.min_length is None and ftype.max_length is None:
            return ENUM_CHECKED, ftype.enumeration
    if ftype.reader == INTEGER_VALUE:  # its bounds as a range (unbounded: what 40 digits can write)
        least, most = ftype.bounds or (-(10**40), 10**40)
        return INTEGER_VALUE, range(least, most + 1)
    if ftype.unchecked and ftype.base in ("double", "float"):
        return DOUBLE_VALUE, None
    if ftype.unchecked and ftype.base == "base64Binary":
        return BYTES_VALUE, None
    return ftype.reader, None


@dataclass(slots=True)
class Complex:
    name: str
    particles: list[Field | Choice] = field(default_factory=list)
    base: tuple[str, str] | None = None
    by_name: dict[str, tuple[int, Field]] = field(default_factory=dict)
    #: The same by Clark tag (``{ns}Name``), and how many times each particle must occur.
    by_tag: dict[str, tuple[int, Field]] = field(default_factory=dict)
    need: list[int] = field(default_factory=list)
    #: For the lenient reader: each field by Clark tag with its particle's other options (a choice's
    #: siblings, which may not also occur), and the required particles' names.
    loose: dict[str, Loose] = field(default_factory=dict)
    #: The same as the lenient reader reads it, each field by Clark tag: name, kind, type, limit, and
    #: None for a field of its own particle that occurs once and may not be nil (most fields), else
    #: whether it repeats, its choice's other options, whether it may be nil.
    reads: dict[str, Read] = field(default_factory=dict)
    #: (index, name, minimum) of each required field, or (index, "", 1) of a required choice.
    required_particles: list[tuple[int, str, int]] = field(default_factory=list)
    #: Their names, when each is a field that must occur once (no required choice, no minimum above
    #: one): the lenient reader then checks them all at once. None otherwise.
    required_fields: frozenset[str] | None = None
    #: For a type of flags (Capabilities: 119 booleans and one decimal): its boolean fields (of their own
    #: particle, not repeated) by Clark tag, read in one pass (``_codec._read_flags``); the tags of its
    #: other fields and of its nillable flags. Empty when the type is not mostly such booleans.
    flags: dict[str, str] = field(default_factory=dict)
    flag_others: tuple[str, ...] = ()
    flag_nillable: tuple[str, ...] = ()
    #: For a type of texts (an address: strings, some with limits to their length, each of its own
    #: particle, once, never nil): each field's name by Clark tag, read in one pass
    #: (``_codec._read_texts``), and the lengths the limited ones' texts may have, by name. Empty otherwise.
    texts: dict[str, str] = field(default_factory=dict)
    text_lengths: dict[str, range] = field(default_factory=dict)
    #: For the careful writer (``_writer._encode_into``): each field by name with its place in schema order
    #: (choices' options in their order), its choice (None: a particle of its own) and the names of
    #: the choice's options when it is the first of them (else ``()``); every field's name in that
    #: order; the required fields' names; the choices, with their options' names.
    rank: dict[str, tuple[int, Field, Choice | None, tuple[str, ...]]] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    required_names: frozenset[str] = frozenset()
    choices: list[tuple[Choice, tuple[str, ...]]] = field(default_factory=list)
    #: For the fast writer: each field's place in schema order, and how it is written, by name.
    order: dict[str, int] = field(default_factory=dict)
    plan: dict[str, Write] = field(default_factory=dict)
    #: The fast writer's walks: for each set of keys (in a value's order) its values came with, those
    #: fields in schema order with their plans (``_writer._walk``).
    walks: dict[tuple[str, ...], Walk] = field(default_factory=dict, compare=False, repr=False)

    def index(self) -> None:
        self.by_name = {}
        self.by_tag = {}
        for i, p in enumerate(self.particles):
            for f in p.options if isinstance(p, Choice) else [p]:
                f.compile()
                if isinstance(p, Choice) and p.repeats:
                    f.repeats = True  # each option may come again, as a list
                self.by_name[f.name] = (i, f)
                self.by_tag[f.tag] = (i, f)
        self.need = [int(p.required) if isinstance(p, Choice) else p.min_occurs for p in self.particles]
        self.loose = {}
        self.reads = {}
        self.required_particles = []
        for i, p in enumerate(self.particles):
            options = p.options if isinstance(p, Choice) else [p]
            for f in options:
                assert f.type is not None
                kind, limit = _loose(f.type)
                repeated_choice = isinstance(p, Choice) and p.repeats
                siblings = () if repeated_choice else tuple(o.name for o in options if o is not f)
                self.loose[f.tag] = (f.name, f.repeats, siblings, f.nillable, kind, f.type, limit)
                unusual = (f.repeats, siblings, f.nillable) if f.repeats or siblings or f.nillable else None
                self.reads[f.tag] = (f.name, kind, f.type, limit, unusual)
            if self.need[i]:
                self.required_particles.append((i, "" if isinstance(p, Choice) else p.name, self.need[i]))
        self._index_flags()
        self._index_texts()
        plain = all(name and minimum == 1 for _, name, minimum in self.required_particles)
        self.required_fields = frozenset(name for _, name, _ in self.required_particles) if plain else None
        self.rank = {}
        self.choices = []
        required = []
        for p in self.particles:
            if isinstance(p, Choice):
                names = tuple(o.name for o in p.options)
                self.choices.append((p, names))
                for o in p.options:
                    self.rank[o.name] = (len(self.rank), o, p, names if o is p.options[0] else ())
            else:
                self.rank[p.name] = (len(self.rank), p, None, ())
                if p.min_occurs:
                    required.append(p.name)
        self.required_names = frozenset(required)
        self.names = tuple(self.rank)
        self.order = {name: place for name, (place, _, _, _) in self.rank.items()}
        self.plan = {name: _write(f, choice) for name, (_, f, choice, _) in self.rank.items()}

    def _index_flags(self) -> None:
        flags: dict[str, str] = {}
        nillable = []
        for p in self.particles:
            if isinstance(p, Field) and not p.repeats and self.loose[p.tag][4] == BOOLEAN:
                flags[p.tag] = p.name
                if p.nillable:
                    nillable.append(p.tag)
        others = tuple(tag for tag in self.loose if tag not in flags)
        # One pass pays where flags are most of the type: the other fields take a second (lxml's, in C).
        if len(flags) >= _FEWEST_FLAGS and len(others) * 4 <= len(flags):
            self.flags, self.flag_others, self.flag_nillable = flags, others, tuple(nillable)
        else:
            self.flags, self.flag_others, self.flag_nillable = {}, (), ()

    def _index_texts(self) -> None:
        texts: dict[str, str] = {}
        lengths: dict[str, range] = {}
        for tag, (name, kind, _, limit, unusual) in self.reads.items():
            if unusual is not None or kind not in (AS_IS, LENGTH_CHECKED):
                texts, lengths = {}, {}
                break
            texts[tag] = name
            if kind == LENGTH_CHECKED:
                lengths[name] = limit
        # One pass pays for a type of several fields (a handful of elements a call).
        self.texts, self.text_lengths = (texts, lengths) if len(texts) >= _FEWEST_FLAGS else ({}, {})

    def lookup(self, name: str) -> tuple[int, Field] | None:
        return self.by_name.get(name)


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    soap_action: str
    input: Field
    output: Field
