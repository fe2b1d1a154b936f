"""`devportal synth`: synthesize the example app into cdk.out, as `cdk synth` would, and summarize it."""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


def _context_from_cdk_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()).get("context", {}))


def _parse_context(pairs: Sequence[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise SystemExit(f"devportal synth: -c takes KEY=VALUE, got {pair!r}")
        context[key] = value
    return context


def summarize(outdir: Path) -> str:
    """A few lines per stack: its template, resource counts by type, and its outputs."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    lines = []
    for name, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_path = outdir / artifact["properties"]["templateFile"]
        template = json.loads(template_path.read_text())
        resources = template.get("Resources", {})
        counts = collections.Counter(resource["Type"] for resource in resources.values())
        lines.append(f"Stack {name}: {len(resources)} resources, template {template_path}")
        for resource_type, count in sorted(counts.items()):
            lines.append(f"  {count:3d}  {resource_type}")
        outputs = template.get("Outputs", {})
        if outputs:
            lines.append("  Outputs: " + ", ".join(sorted(outputs)))
    return "\n".join(lines)


def synth(outdir: Path, context: dict[str, Any]) -> None:
    import aws_cdk as cdk

    from devportal_constructs.example import example_stack

    app = cdk.App(outdir=str(outdir), context=context)
    example_stack(app)
    app.synth()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="devportal synth", description=__doc__)
    parser.add_argument("--output", "-o", default="cdk.out", help="cloud assembly folder (default: cdk.out)")
    parser.add_argument("--context", "-c", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--cdk-json", default="cdk.json", help="feature flags and context to apply")
    args = parser.parse_args(argv)

    outdir = Path(args.output).resolve()
    context = {**_context_from_cdk_json(Path(args.cdk_json)), **_parse_context(args.context)}
    started = time.perf_counter()
    try:
        synth(outdir, context)
    except ValueError as error:
        print(f"devportal synth: {error}", file=sys.stderr)
        return 1
    print(f"Synthesized in {time.perf_counter() - started:.1f} s into {outdir}")
    print(summarize(outdir))
    return 0
