"""Who may get tokens: registered accounts only; an accepted invitation becomes a registered account."""

from __future__ import annotations

import copy
from typing import Any

from portal_common import registration


def check_token_request(event: dict[str, Any]) -> dict[str, Any]:
    """Refuse tokens to pending and denied accounts; otherwise return the event, with groups updated.

    Handles version 2 pre token generation events. When the account has just become registered (first
    sign-in after an invitation, or a user the portal has not seen before), the registered group is added
    to the tokens being issued, so the caller need not sign in again to use it.
    """
    request = event["request"]
    attributes = request.get("userAttributes") or {}
    group_configuration = request.get("groupConfiguration") or {}
    groups = list(group_configuration.get("groupsToOverride") or [])
    record, groups_after = registration.ensure_account(
        user_id=attributes["sub"],
        username=event["userName"],
        email=attributes.get("email", ""),
        groups=groups,
        user_pool_id=event["userPoolId"],
    )
    registration.check_may_sign_in(record)
    if groups_after != groups:
        override = copy.deepcopy(group_configuration)
        override["groupsToOverride"] = groups_after
        response = event.get("response") or {}
        details = response.get("claimsAndScopeOverrideDetails") or {}
        details["groupOverrideDetails"] = override
        response["claimsAndScopeOverrideDetails"] = details
        event["response"] = response
    return event
