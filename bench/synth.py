"""Warm synth time of the example app next to an empty stack's, measured in the same run.

Each app is synthesized as `cdk synth` runs it, in a fresh Python process (jsii and aws-cdk-lib load every time),
into its own cloud-assembly folder, with caches warm: one run of each first, then the median of --runs. The Lambda
bundle comes from the content-hash cache, as it does for an operator's second synth. Budget: ratio <= 2.0.

    python bench/synth.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 2.0

EMPTY_APP = """
import aws_cdk as cdk
app = cdk.App()
cdk.Stack(app, "EmptyStack")
app.synth()
"""


def timed_run(script: Path, outdir: Path) -> float:
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def median_time(script: Path, outdir: Path, runs: int) -> float:
    timed_run(script, outdir)  # warm-up: OS caches, bundle cache, cloud-assembly folder
    return statistics.median(timed_run(script, outdir) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        empty_script = scratch_dir / "empty_app.py"
        empty_script.write_text(EMPTY_APP)
        empty = median_time(empty_script, scratch_dir / "empty.out", args.runs)
        portal = median_time(ROOT / "app.py", scratch_dir / "portal.out", args.runs)
    ratio = portal / empty
    print(f"empty stack   {empty:6.2f} s (median of {args.runs} warm runs)")
    print(f"example app   {portal:6.2f} s (median of {args.runs} warm runs)")
    print(f"ratio         {ratio:6.2f}   (budget {BUDGET})")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
