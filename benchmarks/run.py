"""`make bench`: the issue-12 estate table (benchmarks/estate.py), then every ``benchmarks/bench_*.py``.

A ``bench_*.py`` that defines ``main()`` has it called (through runpy, so its ``if __name__ == "__main__"`` block
does not run it twice); one without is run as a script. Each runs in its own process with the repository on
PYTHONPATH, so a new benchmark needs no edit here. Figures only, no asserts. ``DRIFTGUARD_BENCH_BIG=1`` adds the
45,000-VM estate to the table; ``DRIFTGUARD_BENCH_ONLY=name,...`` runs only those (``estate``, ``bench_plan`` ...).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def defines_main(script: Path) -> bool:
    tree = ast.parse(script.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body)


def command(script: Path) -> list[str]:
    if script.name != "estate.py" and defines_main(script):
        return [sys.executable, "-c", f"import runpy; runpy.run_path({str(script)!r})['main']()"]
    return [sys.executable, str(script)]


def main() -> None:
    only = {name for name in os.environ.get("DRIFTGUARD_BENCH_ONLY", "").split(",") if name}
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    failed: list[str] = []
    for script in [HERE / "estate.py", *sorted(HERE.glob("bench_*.py"))]:
        if only and script.stem not in only:
            continue
        print(f"\n== {script.name}", flush=True)
        if subprocess.run(command(script), cwd=HERE.parent, env=env, check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        sys.exit(f"benchmarks that failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
