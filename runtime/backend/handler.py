"""The backend API: one Powertools resolver, its routes split into routers by capability."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.routers import accounts, admin_catalog, apikey, catalog, feedback, marketplace, me, subscriptions, system
from portal_common.errors import PortalError
from portal_common.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def _cors() -> CORSConfig:
    origins = settings().allowed_origins or ["*"]
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )


app = APIGatewayRestResolver(enable_validation=True, cors=_cors(), strip_prefixes=["/api"])
app.include_router(system.router)
app.include_router(me.router)
app.include_router(catalog.router)
app.include_router(admin_catalog.router)
app.include_router(accounts.router)
app.include_router(apikey.router)
app.include_router(subscriptions.router)
app.include_router(feedback.router)
app.include_router(marketplace.router)
system.bind(app)


@app.exception_handler(PortalError)
def _portal_error(error: PortalError) -> Response:
    return Response(
        status_code=error.status_code,
        content_type=content_types.APPLICATION_JSON,
        body={"message": str(error)},
    )


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response:
    # Pydantic's messages name the field and the rule, never the code; the input itself is left out.
    problems = "; ".join(
        f"{' '.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()
    )
    return Response(
        status_code=422,
        content_type=content_types.APPLICATION_JSON,
        body={"message": f"Fix the request: {problems}."},
    )


@app.not_found
def _not_found(_: Exception) -> Response:
    return Response(
        status_code=404,
        content_type=content_types.APPLICATION_JSON,
        body={"message": f"There is no {app.current_event.http_method} {app.current_event.path} in this API."},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
