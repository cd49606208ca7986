"""Item 1 in instructions: what each side of ``overhead.py`` executes per call, counted by valgrind.

    python benchmarks/instructions.py [--calls N] [--stack bare|requests] [--only GetAccountInfo,...] [--sim]

CPU time on a shared machine moves with whatever else runs there (caches, frequency, the other
core); the number of instructions a call executes does not. This runs the cases of item 1 under
``valgrind --tool=callgrind`` and counts, for each operation, the instructions of ``N`` calls of
the SDK, of the floor and (SOAP operations) of naive zeep, after a warm-up. The ratio sdk/floor
is the figure to compare an optimisation by, before and after, on a busy machine; it is not the
target's measure (CPU time, ``run.py``), since an instruction of lxml's C parser and one of the
interpreter's loop do not cost the same, but the two agree within a few tenths.

How: callgrind dumps its counts each time the process calls ``getppid`` (``--dump-before``), which
only the markers here call; the dump between two markers holds that phase's instructions alone.
Needs valgrind; takes a minute or two (the interpreter runs some 50 times slower under it).

``--sim`` also simulates the caches and the branch predictor, and prints beside the instructions an
estimate of the cycles (:data:`WEIGHTS`): the interpreter's code misses the caches and mispredicts
its indirect branches far more often per instruction than lxml's or json's C loops, which is most
of why the SDK's CPU time ratio is higher than its instruction ratio. The estimate follows CPU
time more closely than instructions do; it is still an estimate, to compare two versions by.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIDES = ("sdk", "floor", "naive")
#: Estimated cycles per event (``--sim``): an instruction, a first-level cache miss (code or data),
#: a mispredicted branch (conditional or indirect). Rough costs of a current x86-64 core.
WEIGHTS = {"Ir": 1, "I1mr": 12, "D1mr": 12, "Bcm": 16, "Bim": 16}


def _child(stack: str, calls: int, only: list[str]) -> None:
    """Inside valgrind: run each side ``calls`` times between two markers, and print the phases."""
    sys.path.insert(0, str(HERE))
    import overhead

    phases = []
    for name, fns in overhead._cases(stack):
        if only and name not in only:
            continue
        for side in SIDES:
            fn = fns.get(side)
            if fn is None:
                continue
            for _ in range(3):  # warm-up: caches, first-call costs
                fn()
            os.getppid()  # marker: everything before is dumped
            for _ in range(calls):
                fn()
            os.getppid()  # marker: the dump holds these calls only
            phases.append(f"{name}/{side}")
    print("\n".join(phases))


def _totals(directory: Path) -> list[dict[str, int]]:
    """The counts of each marker's dump by event (``Ir``, and with ``--sim`` the misses), in order
    (``out.1``, ``out.2``...; ``out`` itself is what ran after the last marker)."""
    counts = []
    for path in sorted(directory.glob("out.*"), key=lambda path: int(path.suffix[1:])):
        events: list[str] = []
        for line in path.read_text().splitlines():
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("totals:"):
                counts.append(dict(zip(events, map(int, line.split()[1:]), strict=True)))
                break
    return counts


def _interpreted(path: Path) -> int:
    """The instructions of a dump spent in the interpreter's own loop (``_PyEval_EvalFrameDefault``):
    a measure of the bytecode a call runs, which costs far more time per instruction than C code."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", str(path)], capture_output=True, text=True)
    return sum(
        int(line.split()[0].replace(",", ""))
        for line in out.stdout.splitlines()
        if "ceval.c:_PyEval_EvalFrameDefault" in line and line.split()[0].replace(",", "").isdigit()
    )


def cycles(counts: dict[str, int]) -> float:
    """The estimated cycles of ``counts`` (:data:`WEIGHTS`)."""
    return sum(weight * counts.get(event, 0) for event, weight in WEIGHTS.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--stack", choices=("bare", "requests"), default="bare")
    parser.add_argument("--only", default="", help="operations, comma-separated (default: all four)")
    parser.add_argument("--sim", action="store_true", help="simulate caches and branches: estimated cycles too")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    if args.child:
        _child(args.stack, args.calls, only)
        return
    with tempfile.TemporaryDirectory(prefix="onebalance-callgrind-") as tmp:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={tmp}/out",
                "--dump-before=getppid",
                *(["--cache-sim=yes", "--branch-sim=yes"] if args.sim else []),
                sys.executable,
                __file__,
                "--child",
                f"--calls={args.calls}",
                f"--stack={args.stack}",
                f"--only={args.only}",
            ],
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        )
        phases = out.stdout.splitlines()
        totals = _totals(Path(tmp))
        interpreted = {
            phase: _interpreted(Path(tmp) / f"out.{2 + 2 * i}") / args.calls for i, phase in enumerate(phases)
        }
    # Dumps: [before the first marker], then for each phase: [its calls], [until the next start marker].
    dumps = {phase: totals[1 + 2 * i] for i, phase in enumerate(phases)}
    per_call = {phase: counts["Ir"] / args.calls for phase, counts in dumps.items()}
    label = "codec alone" if args.stack == "bare" else "with requests"
    print(f"instructions per call ({label}, {args.calls} calls each, valgrind callgrind)")
    for name in dict.fromkeys(p.split("/")[0] for p in phases):
        sdk, floor = per_call[f"{name}/sdk"], per_call[f"{name}/floor"]
        line = f"  {name:16} sdk {sdk / 1000:8,.0f} k  floor {floor / 1000:8,.0f} k  sdk/floor {sdk / floor:5.2f}x"
        naive = per_call.get(f"{name}/naive")
        if naive:
            line += f"  naive zeep {naive / 1000:8,.0f} k ({naive / sdk:.1f}x the sdk)"
        print(line)
    print("of which in the interpreter's loop (bytecode run; _PyEval_EvalFrameDefault)")
    for name in dict.fromkeys(p.split("/")[0] for p in phases):
        sdk, floor = interpreted[f"{name}/sdk"], interpreted[f"{name}/floor"]
        print(f"  {name:16} sdk {sdk / 1000:8,.0f} k  floor {floor / 1000:8,.0f} k  sdk/floor {sdk / floor:5.2f}x")
    if args.sim:
        print("estimated cycles per call (instructions, cache misses, mispredicted branches: WEIGHTS)")
        for name in dict.fromkeys(p.split("/")[0] for p in phases):
            sdk, floor = (cycles(dumps[f"{name}/{side}"]) / args.calls for side in ("sdk", "floor"))
            per = {side: dumps[f"{name}/{side}"] for side in ("sdk", "floor")}
            misses = "  ".join(
                f"{event} {per['sdk'].get(event, 0) / args.calls / 1000:,.1f}k"
                f"/{per['floor'].get(event, 0) / args.calls / 1000:,.1f}k"
                for event in ("I1mr", "D1mr", "Bcm", "Bim")
            )
            print(f"  {name:16} sdk {sdk / 1000:8,.0f} k  floor {floor / 1000:8,.0f} k  sdk/floor {sdk / floor:5.2f}x")
            print(f"  {'':16} misses, sdk/floor: {misses}")


if __name__ == "__main__":
    main()
