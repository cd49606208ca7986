"""``PerObject``: one value per live object, the same from every thread, gone with the object (the
USPS client's known account, the auto-refill back-off and the refill journal rely on it)."""

from __future__ import annotations

import gc
import threading

from onebalance.core import PerObject


class _Key:
    pass


def test_one_value_per_object_made_once_from_every_thread_and_gone_with_it() -> None:
    made: list[_Key] = []
    per: PerObject[_Key, object] = PerObject(lambda key: made.append(key) or object())
    keys = [_Key(), _Key()]
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(per(keys[0]))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(value) for value in seen}) == 1 and made == [keys[0]]
    assert per(keys[1]) is not per(keys[0]) and len(made) == 2
    keys.clear()
    made.clear()
    gc.collect()
    assert len(per._values) == 0
