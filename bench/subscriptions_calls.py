"""Counts the AWS calls ``GET /subscriptions`` makes in accounts with 5 and with 200 usage plans, in moto.

    python bench/subscriptions_calls.py     # prints the calls per account size; exits 1 when they differ

The developer's key is in two plans either way. The count must not grow with the account's plans, because the
backend asks ``GetUsagePlans(keyId=...)`` for the key's plans rather than reading every plan.
``tests/runtime/test_subscriptions.py`` asserts the same; this prints it.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_SIZES = (5, 200)


def measure(account_plans: int) -> Counter[str]:
    import pytest
    from moto import mock_aws

    from portal_common.aws import reset_clients
    from portal_common.settings import settings
    from tests.runtime.self_service import count_calls, self_service

    reset_clients()
    settings.cache_clear()
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        portal = self_service(monkeypatch)
        plan_ids = [portal.plan(f"Plan {index}", [f"api{index:07d}_prod"]) for index in range(account_plans)]
        portal.publish({f"api{index:07d}_prod": f"API {index}" for index in range(2)}, plan_ids[:2])
        for plan_id in plan_ids[:2]:
            assert portal.call("PUT", f"/subscriptions/{plan_id}", portal.dev).status == 200
        calls = count_calls(monkeypatch)
        reply = portal.call("GET", "/subscriptions", portal.dev)
        assert reply.status == 200 and len(reply.body) == 2, reply.body
        return Counter(calls)


def main() -> int:
    for path in (ROOT / "runtime", ROOT):
        sys.path.insert(0, str(path))
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "DevPortalBench",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }.items():
        os.environ[key] = value
    os.environ.pop("AWS_PROFILE", None)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    counts = {size: measure(size) for size in ACCOUNT_SIZES}
    for size, calls in counts.items():
        detail = ", ".join(f"{name} x{count}" for name, count in sorted(calls.items()))
        print(f"{size:>4} usage plans: {sum(calls.values())} AWS calls ({detail})")
    same = len({tuple(sorted(calls.items())) for calls in counts.values()}) == 1
    print("same for every account size" if same else "DIFFERENT: the calls grow with the account's usage plans")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
