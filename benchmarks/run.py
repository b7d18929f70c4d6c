"""`make bench`: every benchmark with its default arguments, one after the other. Figures only, no asserts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in sorted(HERE.glob("bench_*.py")):
    print(f"\n== {script.name}", flush=True)
    subprocess.run(
        [sys.executable, str(script)], check=True, cwd=HERE.parent, env={**os.environ, "PYTHONPATH": str(HERE.parent)}
    )
