"""Infrastructure tests synthesize few stacks, once per module, with Lambda bundling skipped."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from tests.infrastructure.synth import portal_stack


@pytest.fixture(scope="module")
def minimal_portal() -> tuple[cdk.Stack, Any, Template]:
    from devportal_constructs import DevPortal

    return portal_stack(lambda stack: DevPortal(stack, "DevPortal"))
