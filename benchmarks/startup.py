"""Start-up benchmark: how long a command takes past the interpreter's own start, side by side in one run.

    .venv/bin/python benchmarks/startup.py

Each command runs --repeat times in a fresh process (stdout piped to /dev/null), interleaved with a bare interpreter
(`python -c pass`); the medians are reported, and each command's time past the bare interpreter. `list` runs at 80
columns (one alert per block) and at 160 (the table, its summaries wrapped). Targets: `--version` <= 0.1 s, `list`
and `explain` <= 0.2 s past the interpreter's start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tables import markdown_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "virt-doctor"
COMMANDS = {"--version": ["--version"], "list (80 columns)": ["list"], "list (160 columns)": ["list"],
            "explain": ["explain", "VirtHandlerDown"], "--help": ["--help"], "scan --help": ["scan", "--help"]}
TARGETS = {"--version": 0.1, "list (80 columns)": 0.2, "list (160 columns)": 0.2, "explain": 0.2}


def timed(args: list[str], columns: str = "80") -> float:
    started = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": columns})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"(bare interpreter)": [], **{name: [] for name in COMMANDS}}
    for _ in range(args.repeat):  # interleaved: a busy moment weighs on every command alike
        runs["(bare interpreter)"].append(timed([sys.executable, "-c", "pass"]))
        for name, argv in COMMANDS.items():
            runs[name].append(timed([str(CLI), *argv], "160" if "160" in name else "80"))
    bare = statistics.median(runs["(bare interpreter)"])
    medians = {name: statistics.median(times) for name, times in runs.items()}
    print(markdown_table(
        ["command", "median s", "past the interpreter s", "target", "met"],
        ([f"`{name}`", f"{median:.3f}", f"{median - bare:.3f}", f"<= {TARGETS[name]}" if name in TARGETS else "",
          "" if name not in TARGETS else "yes" if median - bare <= TARGETS[name] else "no"]
         for name, median in medians.items()), text={0, 4}))


if __name__ == "__main__":
    main()
