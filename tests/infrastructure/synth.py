"""Helpers to synthesize test stacks the way `cdk synth` would, with Lambda bundling skipped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]
SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}


def cdk_json_context() -> dict[str, Any]:
    """The feature flags in cdk.json, which `cdk synth` applies; tests apply the same."""
    return json.loads((ROOT / "cdk.json").read_text())["context"]


def new_app(outdir: Path | None = None, **context: Any) -> cdk.App:
    """An app with cdk.json's feature flags and bundling skipped, as `cdk synth` with that context would be."""
    return cdk.App(
        outdir=None if outdir is None else str(outdir), context={**cdk_json_context(), **SKIP_BUNDLING, **context}
    )


def portal_stack(build: Callable[[cdk.Stack], Any], **context: Any) -> tuple[cdk.Stack, Any, Template]:
    """Synthesize a stack holding whatever `build` adds; return it, `build`'s result and its template."""
    app = new_app(**context)
    stack = cdk.Stack(app, "TestStack", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    built = build(stack)
    return stack, built, Template.from_stack(stack)
