"""The signed-in user's API key: look at it (its value only on explicit reveal) and rotate it."""

from __future__ import annotations

from typing import Annotated, TypeVar

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from backend.identity import registered
from portal_common import keys

router = APIGatewayRouter()
Model = TypeVar("Model", bound=BaseModel)

# A key's value must not linger in a browser's or a proxy's cache.
_PRIVATE = {"Cache-Control": "no-store"}


def _private(model: Model) -> Response[Model]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=model, headers=_PRIVATE)


@router.get("/apikey")
def get_api_key(reveal: Annotated[bool, Query()] = False) -> Response[keys.ApiKey]:
    """The caller's key: its id and state, and its value when ``reveal=true``."""
    who, account = registered(router)
    record, _ = keys.own_key(account, who.email)
    if record.get("retiredApiKeyIds"):
        keys.delete_retired(record)
    return _private(keys.describe_key(record, reveal=reveal))


@router.post("/apikey/rotate")
def rotate_api_key() -> Response[keys.Rotation]:
    """A new key in the same usage plans; the old one is deleted. Answers with the new key's value."""
    who, account = registered(router)
    record, _ = keys.own_key(account, who.email)
    return _private(keys.rotate_key(record, who.email))
