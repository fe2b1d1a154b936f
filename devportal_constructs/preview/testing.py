"""Helpers for tests and scripts driving a running preview: sign in as the web client does, read the outbox."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from .srp import Client


def sign_in(cognito: Any, *, pool_id: str, client_id: str, email: str, password: str) -> dict[str, str]:
    """Sign in with USER_SRP_AUTH (the portal client's flow); return the AuthenticationResult (tokens)."""
    srp = Client(pool_id=pool_id, username=email, password=password)
    started = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=srp.auth_parameters())
    answered = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=started["ChallengeName"],
        ChallengeResponses=srp.respond(started["ChallengeParameters"]),
    )
    return dict(answered["AuthenticationResult"])


def outbox(url: str) -> list[dict[str, Any]]:
    """The emails of the preview at `url`, newest first."""
    with urllib.request.urlopen(f"{url}/_preview/outbox.json", timeout=10) as response:
        return list(json.loads(response.read()))


def latest_code(url: str, email: str) -> str:
    """The last code or temporary password mailed to `email`; fails when none was sent."""
    for sent in outbox(url):
        if sent["to"] == email and sent.get("code"):
            return str(sent["code"])
    raise AssertionError(f"the outbox holds no code for {email}")
