"""Forked workers (pre-fork servers, multiprocessing): no lock held by a parent thread, no shared connections."""

from __future__ import annotations

import logging
import os

import pytest

from onebalance.core import _redact, _transport

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")


def _in_child(check: object) -> int:
    """Run ``check`` in a forked child; its exit status (124 if it hangs for 10 s)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        import signal

        signal.alarm(10)
        try:
            os._exit(0 if check() else 1)  # type: ignore[operator]
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_child_forked_while_a_thread_masks_a_secret_can_still_log() -> None:
    _redact.register_secret("fork-secret-value")
    logger = logging.getLogger("onebalance.test_fork")
    with _redact._registry._lock:  # a parent thread in the middle of masking when the process forks

        def logs() -> bool:
            record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "pw=fork-secret-value", (), None)
            for f in logging.getLogger("onebalance").filters:
                f.filter(record)
            return "fork-secret-value" not in record.getMessage()

        assert _in_child(logs) == 0


def test_a_forked_child_does_not_share_the_parents_connections() -> None:
    parent = _transport.shared_session()
    assert _in_child(lambda: _transport.shared_session() is not parent) == 0
    assert _transport.shared_session() is parent
