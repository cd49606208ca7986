"""Item 4: the sandbox's speed, so that integration suites stay fast.

* **over HTTP**: the sandbox server runs in its own process (``_serve.py``); this process sends
  GetAccountInfo requests (Credentials, one account per connection) from several threads over
  keep-alive connections with ``http.client`` (a load generator far lighter than the server) for a
  fixed time. Reference, same run: the same server answering a canned response without
  dispatching (the HTTP server's own ceiling on this machine).
* **in-process**: ``Sandbox.handle`` (the dispatcher: parse, validate, authenticate, run, write)
  for GetAccountInfo, in this process. Reference, same run: the XML work alone with lxml
  (parse the request, parse and serialize the response).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _common import Row, cpu_per_call, until_stable, worst
from _serve import get_account_info_request
from lxml import etree

from onebalance.sandbox import Sandbox

ACTION = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135/GetAccountInfo"
HTTP_TARGET = 1500
IN_PROCESS_TARGET = 3000
SERVE = Path(__file__).resolve().parent / "_serve.py"


@contextmanager
def server(*args: str) -> Iterator[dict[str, Any]]:
    """The sandbox server in a child process; yields its JSON line."""
    child = subprocess.Popen(
        [sys.executable, str(SERVE), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        yield {**json.loads(child.stdout.readline()), "pid": child.pid}
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)


def load(info: dict[str, Any], threads: int, seconds: float) -> float:
    """Requests per second answered 200 from ``threads`` keep-alive connections during ``seconds``."""
    url = urlsplit(info["url"])
    bodies = [get_account_info_request(name) for name in info["usernames"]]
    counts = [0] * threads
    stop = threading.Event()
    go = threading.Barrier(threads + 1)

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        body = bodies[i % len(bodies)]
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTION}"'}
        go.wait()
        while not stop.is_set():
            conn.request("POST", url.path, body, headers)
            reply = conn.getresponse()
            reply.read()
            if reply.status != 200:
                raise RuntimeError(f"HTTP {reply.status}")
            counts[i] += 1
        conn.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    go.wait()
    time.sleep(seconds / 4)  # warm-up: connections open, caches warm
    started, before = time.perf_counter(), sum(counts)
    time.sleep(seconds)
    elapsed, after = time.perf_counter() - started, sum(counts)
    stop.set()
    for w in workers:
        w.join()
    return (after - before) / elapsed


def run(quick: bool) -> list[Row]:
    seconds = 2.0 if quick else 8.0
    threads, repeats = 8, (3 if quick else 5)
    with server("--accounts", str(threads)) as info:
        http = until_stable(lambda: load(info, threads, seconds / 2), repeats, higher_is_better=True)
    with server("--accounts", str(threads), "--canned") as info:
        canned = until_stable(lambda: load(info, threads, seconds / 2), repeats, higher_is_better=True)
    http_rate, ceiling = http.value, canned.value

    box = Sandbox()
    box.create_account("bench-0", "Bench-passw0rd", balance="100.00")
    request = get_account_info_request("bench-0")
    response = box.handle(request, ACTION).body

    def xml_floor() -> object:
        etree.fromstring(request)
        return etree.tostring(etree.fromstring(response), xml_declaration=True, encoding="utf-8")

    n, rounds = (300, 4) if quick else (3000, 8)
    stables = cpu_per_call({"sandbox": lambda: box.handle(request, ACTION), "floor": xml_floor}, n, rounds)
    times = {name: s.value for name, s in stables.items()}
    in_process = 1 / times["sandbox"]
    return [
        Row(
            "4",
            f"sandbox over HTTP, GetAccountInfo ({threads} connections), req/s",
            f"{http_rate:,.0f}",
            f"the same server answering a canned response: {ceiling:,.0f} req/s (sandbox = {http_rate / ceiling:.2f}x)",
            f">= {HTTP_TARGET:,}",
            http_rate >= HTTP_TARGET,
            worst([http, canned]),
        ),
        Row(
            "4",
            "sandbox in-process, GetAccountInfo, ops/s (one core)",
            f"{in_process:,.0f}",
            f"lxml alone (parse request, parse + write response): {1 / times['floor']:,.0f}/s (sandbox = "
            f"{times['floor'] / times['sandbox']:.2f}x)",
            f">= {IN_PROCESS_TARGET:,}",
            in_process >= IN_PROCESS_TARGET,
            worst(stables.values()),
        ),
    ]
