"""The API's own description, generated from its routes and pydantic models."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

router = APIGatewayRouter()
_app: APIGatewayRestResolver | None = None


def bind(app: APIGatewayRestResolver) -> None:
    global _app
    _app = app


@router.get("/openapi.json", include_in_schema=False)
def openapi_document() -> dict[str, Any]:
    assert _app is not None
    return _app.get_openapi_schema(title="Developer portal API", version="1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
