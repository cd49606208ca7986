"""Benchmarks: one command, one table. Every figure is a ratio to a reference measured in the same run.

    python benchmarks/run.py [--quick] [--only 1,2,...]

1. client CPU per operation with the network taken out, beside the hand-written floor (the request
   as text, the environment read once, as the SDK does) and zeep;
2. start-up (and import, against zeep, requests and lxml), and the time and memory each further
   merchant's client adds, beside zeep by hand and zeep used well;
3. label purchases per second from 32 threads against the sandbox server with 50 ms per call,
   (a) across 32 accounts and (b) on one account, beside the ideal (threads / latency) and zeep;
4. the sandbox's speed: requests per second over HTTP and operations per second in-process;
5. the naive baseline (zeep by hand: a client and a session per merchant) beside 1 to 3, and zeep
   used well (a shared Document, one shared service with per-merchant tokens) beside 2 and 3.
6. round trips per label and per rate shop for each carrier, and a USPS label's latency at 50 ms and
   150 ms a round trip (``roundtrips.py``).

Every timed figure is repeated until its best runs agree within 10 % (or says they did not), and
the load average is printed before and after each item (issue 19, item 4).

See docs/performance.md for what each figure means and the results of the last full run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import time
from pathlib import Path

from _common import AGREE, SPREAD, Row, load_average


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()} ({platform.system()})"


ITEMS = {"1": "overhead", "2": "merchants", "3": "latency", "4": "sandbox_speed"}


def busy(load: float) -> str:
    """The load average, and whether other work on the machine skews the figures."""
    cores = os.cpu_count() or 1
    if load > cores:
        return f"{load:.2f} on {cores} cores: the machine is BUSY, these figures are not trustworthy"
    if load > cores / 2:
        return f"{load:.2f} on {cores} cores: other work on the machine may skew the figures"
    return f"{load:.2f} on {cores} cores: quiet"


def table(rows: list[Row]) -> str:
    header = ("item", "measure", "measured", "target", "met", "spread", "reference (same run)")
    cells = [header] + [
        (
            r.item,
            r.name,
            r.measured,
            r.target or "-",
            {True: "yes", False: "NO", None: "-"}[r.met],
            r.spread or "-",
            r.reference,
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header) - 1)]
    lines = []
    for i, c in enumerate(cells):
        lines.append("  ".join(c[j].ljust(widths[j]) for j in range(len(widths))) + "  " + c[-1])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 20)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (fewer iterations, shorter windows)")
    parser.add_argument("--only", default="1,2,3,4,6", help="which items to run (5 runs beside each), e.g. 1,4")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",")}
    print(f"machine: {machine()}", flush=True)
    print(f"load average at start: {busy(load_average())}", flush=True)
    started = time.perf_counter()
    rows: list[Row] = []
    loads: list[str] = []
    for item in ("1", "2", "3", "4"):
        if item not in only:
            continue
        module = importlib.import_module(ITEMS[item])
        before = load_average()
        rows += module.run(args.quick)
        after = load_average()
        loads.append(f"item {item}: load average {before:.2f} before, {after:.2f} after")
        print(loads[-1], flush=True)
    if "6" in only:  # 6: round trips per label and per rate shop, a label's latency (roundtrips.py)
        before = load_average()
        rows += importlib.import_module("roundtrips").run(args.quick)
        loads.append(f"item 6: load average {before:.2f} before, {load_average():.2f} after")
        print(loads[-1], flush=True)
    print()
    print(table(rows))
    unstable = [r for r in rows if "NOT" in r.spread]
    print(
        f"\n{sum(r.met is True for r in rows)} of {sum(r.met is not None for r in rows)} targets met "
        f"({time.perf_counter() - started:.0f} s; load average at the end: {busy(load_average())})"
    )
    print("load average around each item: " + "; ".join(loads))
    print(
        f"spread: each figure is the median of the {AGREE} best of repeated runs; "
        + (
            f"{len(unstable)} figure(s) did NOT settle under {SPREAD:.0%}: " + ", ".join(r.name for r in unstable)
            if unstable
            else f"all repeated figures settled under {SPREAD:.0%}"
        )
    )


if __name__ == "__main__":
    main()
