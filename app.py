#!/usr/bin/env python3
"""Example app: one stack holding a DevPortal, configured through CDK context.

The context keys are the original portal's template parameters, so existing overrides carry over:

    npx cdk deploy -c AccountRegistrationMode=request -c DevPortalAdminEmail=admin@example.com
"""

from __future__ import annotations

import aws_cdk as cdk

from devportal_constructs.example import example_stack

app = cdk.App()
example_stack(app)
app.synth()
