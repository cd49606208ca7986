"""Item 1 in instructions: what each side of ``overhead.py`` executes per call, counted by valgrind.

    python benchmarks/instructions.py [--calls N] [--stack bare|requests] [--only GetAccountInfo,...]

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


def _totals(directory: Path) -> list[int]:
    """The instruction count of each marker's dump, in order (``out.1``, ``out.2``...; ``out`` itself
    is what ran after the last marker)."""
    counts = []
    for path in sorted(directory.glob("out.*"), key=lambda path: int(path.suffix[1:])):
        for line in path.read_text().splitlines():
            if line.startswith("totals:"):
                counts.append(int(line.split()[1]))
                break
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--stack", choices=("bare", "requests"), default="bare")
    parser.add_argument("--only", default="", help="operations, comma-separated (default: all four)")
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
    # Dumps: [before the first marker], then for each phase: [its calls], [until the next start marker].
    per_call = {phase: totals[1 + 2 * i] / args.calls for i, phase in enumerate(phases)}
    label = "codec alone" if args.stack == "bare" else "with requests"
    print(f"instructions per call ({label}, {args.calls} calls each, valgrind callgrind)")
    for name in dict.fromkeys(p.split("/")[0] for p in phases):
        sdk, floor = per_call[f"{name}/sdk"], per_call[f"{name}/floor"]
        line = f"  {name:16} sdk {sdk / 1000:8,.0f} k  floor {floor / 1000:8,.0f} k  sdk/floor {sdk / floor:5.2f}x"
        naive = per_call.get(f"{name}/naive")
        if naive:
            line += f"  naive zeep {naive / 1000:8,.0f} k ({naive / sdk:.1f}x the sdk)"
        print(line)


if __name__ == "__main__":
    main()
