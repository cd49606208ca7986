"""Item 1 in bytecodes: how much Python each side of ``overhead.py`` runs per call, counted exactly.

    python benchmarks/bytecodes.py [--stack bare|requests] [--only GetAccountInfo,...] [--by-function N]

The SDK's CPU time per call is further above the floor's than its instruction count is
(``instructions.py``): the floor's work is mostly C (lxml's parser, ``json``), whose instructions
run several to a cycle, while the interpreter's loop runs one bytecode in tens of instructions and
misses the caches and branch predictor far more often. The bytecodes a call runs are thus the
measure to cut. This counts them with ``sys.settrace`` opcode events: the same count on every run,
whatever else the machine is doing, and in seconds rather than valgrind's minutes. ``--by-function``
lists the ``N`` functions that run the most (per call), to see where they go.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
CALLS = 20


def count(fn: Any, calls: int = CALLS) -> tuple[float, collections.Counter[str]]:
    """Bytecodes per call of ``fn`` (after a warm-up), and per call by function (``file:name``)."""
    for _ in range(calls):
        fn()
    by_function: collections.Counter[str] = collections.Counter()

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            code = frame.f_code
            by_function[f"{Path(code.co_filename).name}:{code.co_name}"] += 1
        return local

    def start(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return local

    sys.settrace(start)
    try:
        for _ in range(calls):
            fn()
    finally:
        sys.settrace(None)
    return sum(by_function.values()) / calls, by_function


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--stack", choices=("bare", "requests"), default="bare")
    parser.add_argument("--only", default="", help="operations, comma-separated (default: all four)")
    parser.add_argument("--by-function", type=int, default=0, metavar="N")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import overhead

    only = [s.strip() for s in args.only.split(",") if s.strip()]
    label = "codec alone" if args.stack == "bare" else "with requests"
    print(f"bytecodes per call ({label}, {CALLS} calls each, sys.settrace)")
    for name, fns in overhead._cases(args.stack):
        if only and name not in only:
            continue
        sdk, sdk_by = count(fns["sdk"])
        floor, floor_by = count(fns["floor"])
        print(f"  {name:16} sdk {sdk:7,.0f}  floor {floor:7,.0f}  sdk/floor {sdk / floor:5.2f}x")
        for side, by in (("sdk", sdk_by), ("floor", floor_by)) if args.by_function else ():
            print(f"    {side}:")
            for function, n in by.most_common(args.by_function):
                print(f"      {n / CALLS:7,.0f}  {function}")


if __name__ == "__main__":
    main()
