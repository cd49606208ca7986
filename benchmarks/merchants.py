"""Item 2 (and 5): start-up, and what each further merchant's client costs, beside zeep by hand.

* **first client**: a fresh interpreter imports the package and builds one client (the WSDL is
  compiled then); beside it, a fresh interpreter imports zeep and builds one zeep client from
  the same WSDL. Wall time of the whole child process's work, and its peak RSS.
* **each further client**: time (CPU) and memory (``tracemalloc``, what stays allocated while the
  clients live) per client, building many with distinct credentials in one process; beside it,
  what a user writing zeep by hand does per merchant: a new ``zeep.Client`` from the WSDL and a
  new ``requests.Session`` (its own connection pool).
* **10,000 merchants**: 10,000 clients built in one process: the time and memory they take.
"""

from __future__ import annotations

import gc
import hashlib
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

from _common import ROOT, WSDL, Row, fmt_bytes, fmt_us

ENDPOINT = "https://swsim.bench.test/swsim/swsimv111.asmx"
INTEGRATION = "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee"
TARGET = 0.01

_SDK_FIRST = f"""
import json, resource, time
t = time.perf_counter()
from onebalance import OneBalance
imported = time.perf_counter()
client = OneBalance(integration_id={INTEGRATION!r}, username="m-0", password="Bench-passw0rd",
                    endpoint={ENDPOINT!r})
built = time.perf_counter()
print(json.dumps({{"import": imported - t, "build": built - imported,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""

_ZEEP_FIRST = f"""
import json, resource, time
t = time.perf_counter()
import requests, zeep
from zeep.transports import Transport
imported = time.perf_counter()
client = zeep.Client({str(WSDL)!r}, transport=Transport(session=requests.Session()))
service = client.create_service("{{http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111}}SwsimV111Soap",
                                {ENDPOINT!r})
built = time.perf_counter()
print(json.dumps({{"import": imported - t, "build": built - imported,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""


def _child(code: str, runs: int) -> dict[str, float]:
    """The best of ``runs`` fresh interpreters running ``code``."""
    best: dict[str, float] = {"import": float("inf"), "build": float("inf"), "rss": float("inf")}
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        best = {k: min(best[k], result[k]) for k in best}
    return best


def sdk_client(i: int) -> object:
    from onebalance import OneBalance

    # Passwords as merchants' are: all different from their first characters on.
    password = hashlib.sha256(str(i).encode()).hexdigest()[:12] + "-Pw1"
    return OneBalance(integration_id=INTEGRATION, username=f"m-{i}", password=password, endpoint=ENDPOINT)


def zeep_client(i: int) -> object:
    import requests
    import zeep
    from zeep.transports import Transport

    session = requests.Session()
    client = zeep.Client(str(WSDL), transport=Transport(session=session, operation_timeout=30))
    return client.create_service("{http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111}SwsimV111Soap", ENDPOINT)


def per_client(make: Callable[[int], object], count: int, start: int) -> tuple[float, float, list[object]]:
    """CPU seconds and bytes (still allocated while they live) per client, building ``count`` of them."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cpu = time.process_time()
    keep = [make(start + i) for i in range(count)]
    cpu = time.process_time() - cpu
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return cpu / count, (after - before) / count, keep


def _cpu_per_client(make: Callable[[int], object], count: int, start: int) -> float:
    """CPU seconds per client without tracemalloc (which slows allocation down)."""
    gc.collect()
    cpu = time.process_time()
    keep = [make(start + i) for i in range(count)]
    cpu = time.process_time() - cpu
    del keep
    return cpu / count


def run(quick: bool) -> list[Row]:
    runs, sdk_n, zeep_n = (1, 200, 3) if quick else (3, 2000, 20)
    sdk_first = _child(_SDK_FIRST, runs)
    zeep_first = _child(_ZEEP_FIRST, runs)

    sdk_client(-1)  # this process's first client: the WSDL is compiled once, before measuring
    zeep_client(-1)
    _, sdk_mem, keep = per_client(sdk_client, sdk_n, 0)
    del keep
    _, zeep_mem, keep = per_client(zeep_client, zeep_n, 0)
    del keep
    # Fresh credentials every time: a client whose password the process saw already is cheaper.
    sdk_cpu = min(_cpu_per_client(sdk_client, sdk_n, (k + 1) * 10**6) for k in range(3))
    zeep_cpu = min(_cpu_per_client(zeep_client, zeep_n, (k + 1) * 10**6) for k in range(2))

    merchants = 2000 if quick else 10_000
    gc.collect()
    started = time.perf_counter()  # timed without tracemalloc, which slows every allocation down
    many = [sdk_client(10**7 + i) for i in range(merchants)]
    elapsed = time.perf_counter() - started
    del many
    gc.collect()
    tracemalloc.start()
    many = [sdk_client(2 * 10**7 + i) for i in range(merchants)]
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del many

    time_ratio = sdk_cpu / zeep_cpu
    mem_ratio = sdk_mem / zeep_mem
    return [
        Row(
            "2",
            "first client in a process: build (WSDL compiled), wall",
            f"{sdk_first['build'] * 1000:,.1f} ms = {sdk_first['build'] / zeep_first['build']:.2f}x zeep",
            f"zeep client from the WSDL {zeep_first['build'] * 1000:,.1f} ms",
        ),
        Row(
            "2",
            "first client in a process: import, wall",
            f"{sdk_first['import'] * 1000:,.0f} ms = {sdk_first['import'] / zeep_first['import']:.2f}x zeep",
            f"import zeep + requests {zeep_first['import'] * 1000:,.0f} ms; peak RSS {fmt_bytes(sdk_first['rss'])} "
            f"vs zeep {fmt_bytes(zeep_first['rss'])}",
        ),
        Row(
            "2",
            "each further client: CPU / zeep's",
            f"{time_ratio:.4f}x ({fmt_us(sdk_cpu)})",
            f"zeep client + session {fmt_us(zeep_cpu)}",
            f"< {TARGET}x",
            time_ratio < TARGET,
        ),
        Row(
            "2",
            "each further client: memory / zeep's",
            f"{mem_ratio:.4f}x ({fmt_bytes(sdk_mem)})",
            f"zeep client + session {fmt_bytes(zeep_mem)}",
            f"< {TARGET}x",
            mem_ratio < TARGET,
        ),
        Row(
            "2",
            f"{merchants:,} merchants' clients in one process",
            f"{elapsed:.2f} s, {fmt_bytes(held)}",
            f"zeep by hand: ~{zeep_cpu * merchants:,.0f} s CPU, ~{fmt_bytes(zeep_mem * merchants)}",
        ),
    ]
