"""Public names carry the path users import them from.

Classes and functions are defined in private modules (``onebalance.core._errors``) and re-exported by
their package. :func:`publish` gives each one its package as ``__module__``, so that tracebacks,
reprs and docs say ``onebalance.LabelNotFound``, the name to import and to catch, not
``onebalance.core._errors.LabelNotFound``; pickling finds them through the package too.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping

__all__ = ["publish"]


def publish(namespace: Mapping[str, object], package: str, names: Iterable[str]) -> None:
    """Set ``__module__`` to ``package`` on each class or function of ``names`` found in ``namespace``."""
    for name in names:
        obj = namespace.get(name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            obj.__module__ = package
