"""Files only their owner may read: the modes a store checks, and a SQLite store file made private."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from onebalance.core import ConfigurationError

__all__ = ["check_private", "private_file", "read_private"]


def check_private(
    info: os.stat_result,
    path: Path,
    name: str,
    *,
    not_regular: Exception,
    why: str = "it must not be accessible by group or others",
    fix: str = "set mode 0600",
) -> None:
    """Refuse (``not_regular``) what is not a regular file, and (:class:`ConfigurationError`) a file
    that group or others may access: ``{name} {path} has mode 0644: {why}; {fix} (chmod 600 {path})``."""
    if not stat.S_ISREG(info.st_mode):
        raise not_regular
    if info.st_mode & 0o077:
        raise ConfigurationError(
            f"{name} {path} has mode {stat.S_IMODE(info.st_mode):04o}: {why}; {fix} (chmod 600 {path})"
        )


def read_private(
    path: Path,
    name: str,
    *,
    cannot_read: Callable[[str], Exception],
    not_regular: Exception,
    missing: bytes | None = None,
    why: str = "it must not be accessible by group or others",
    fix: str = "set mode 0600",
) -> bytes:
    """What ``path`` holds, checked as :func:`check_private` says on the descriptor read from.

    A file that cannot be opened raises ``cannot_read(reason)``; a missing one reads as ``missing``
    when that is given.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        if missing is not None and isinstance(exc, FileNotFoundError):
            return missing
        raise cannot_read(exc.strerror or type(exc).__name__) from None
    with os.fdopen(fd, "rb") as f:
        check_private(os.fstat(f.fileno()), path, name, not_regular=not_regular, why=why, fix=fix)
        return f.read()


def _create_private(path: Path) -> os.stat_result:
    """Create ``path`` (mode 0600) and stat it; if another process made it first, stat that one."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return os.stat(path)
    try:  # a file nobody had open: closing this descriptor releases no one's lock
        return os.fstat(fd)
    finally:
        os.close(fd)


def private_file(path: Path, what: str) -> None:
    """Create ``path`` with mode 0600 if it is missing; refuse one that group or others may access.

    An existing file is only looked at (``stat``), never opened: closing a descriptor of a SQLite
    file releases every POSIX lock the process holds on it, those of its open connections included,
    and another process's SQLite then takes the WAL for unused and resets it under them (writes
    made since were invisible to this process's connections).
    """
    try:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            info = _create_private(path)
    except FileNotFoundError:
        raise ConfigurationError(f"cannot use {path} as {what}: the directory {path.parent} does not exist") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot use {path} as {what}: {exc.strerror}") from None
    check_private(
        info,
        path,
        what,
        not_regular=ConfigurationError(f"cannot use {path} as {what}: it is not a regular file"),
        why="it holds the merchants' encrypted credentials, so it must not be accessible by group or others",
    )
