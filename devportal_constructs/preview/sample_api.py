"""A small PetStore REST API in the emulated API Gateway, served locally with API Gateway's key enforcement.

The API has stages ``dev`` and ``prod`` and two usage plans, ``Free`` (both stages) and ``Pro`` (prod).
Requests to ``/sample-api/{stage}/...`` are refused as API Gateway refuses them:

- no ``x-api-key``, an unknown key or a disabled key: 403 ``Forbidden``;
- a key in no usage plan that includes the stage: 403 ``Forbidden``;
- over the plan's throttle: 429 ``Too Many Requests``; over its quota: 429 ``Limit Exceeded``.

Each accepted request counts towards the key's usage that day, and ``GetUsage`` is answered from these
counts, since the emulation lacks that call.

``GetExport`` of the PetStore's stages is answered here too (``export``): moto's export is not a valid
Swagger document and names AWS's host, so the admin's Show would publish a broken spec that calls nobody.
The export is API Gateway's: Swagger 2.0 or OpenAPI 3.0, JSON or YAML, every method secured by the
``api_key`` scheme, API Gateway's extensions only when asked, and the server is this preview's
``/sample-api/{stage}``.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml
from werkzeug.wrappers import Request, Response

from .gateway import TokenBucket

API_NAME = "PetStore"
STAGES = ("dev", "prod")
PLANS: tuple[dict[str, Any], ...] = (
    {
        "name": "Free",
        "description": "Try the PetStore: 10 requests a second, 1,000 a day.",
        "throttle": {"rateLimit": 10.0, "burstLimit": 20},
        "quota": {"limit": 1000, "period": "DAY"},
        "stages": ("dev", "prod"),
    },
    {
        "name": "Pro",
        "description": "Production traffic: 100 requests a second, 100,000 a month.",
        "throttle": {"rateLimit": 100.0, "burstLimit": 200},
        "quota": {"limit": 100000, "period": "MONTH"},
        "stages": ("prod",),
    },
)
_ROUTES = (("GET", "/pets"), ("POST", "/pets"), ("GET", "/pets/{petId}"))
_DESCRIPTION = "A sample API: pets for sale."
_MOCK_TEMPLATES = {"application/json": '{"statusCode": 200}'}
_API_KEY_SCHEME = {"type": "apiKey", "name": "x-api-key", "in": "header"}
EXPORT_TYPES = ("swagger", "oas30")
EXPORT_EXTENSIONS = ("integrations", "authorizers", "apigateway", "postman")
_EXPORT_FORMATS = {"application/json": "json", "application/yaml": "yaml"}
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type,x-api-key",
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
}
_SEED_PETS = (
    {"id": 1, "type": "dog", "price": 249.99},
    {"id": 2, "type": "cat", "price": 124.99},
    {"id": 3, "type": "fish", "price": 0.99},
)


def create_sample_api(apigateway: Any) -> str:
    """Create the PetStore API, its stages and usage plans in the emulation; return the API's id."""
    api = apigateway.create_rest_api(name=API_NAME, description=_DESCRIPTION, apiKeySource="HEADER")
    api_id = api["id"]
    root = next(item["id"] for item in apigateway.get_resources(restApiId=api_id)["items"] if item["path"] == "/")
    pets = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = apigateway.create_resource(restApiId=api_id, parentId=pets, pathPart="{petId}")["id"]
    for method, path in _ROUTES:
        resource = pet if path.endswith("}") else pets
        apigateway.put_method(
            restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE", apiKeyRequired=True
        )
        apigateway.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=method,
            type="MOCK",
            requestTemplates=_MOCK_TEMPLATES,
        )
    for stage in STAGES:
        apigateway.create_deployment(restApiId=api_id, stageName=stage, description=f"{stage} stage")
    for plan in PLANS:
        apigateway.create_usage_plan(
            name=plan["name"],
            description=plan["description"],
            apiStages=[{"apiId": api_id, "stage": stage} for stage in plan["stages"]],
            throttle=plan["throttle"],
            quota=plan["quota"],
        )
    return api_id


_PET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "price"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "type": {"type": "string", "enum": ["dog", "cat", "fish", "bird"]},
        "price": {"type": "number", "minimum": 0},
    },
}


def _info(stage: str) -> dict[str, str]:
    return {
        "title": API_NAME,
        "version": "1.0.0",
        "description": f"A sample API: pets for sale ({stage} stage). Subscribe to a plan to get a key.",
    }


def openapi_document(*, api_id: str, stage: str, base_url: str) -> dict[str, Any]:
    """The stage's OpenAPI 3.0 document, as the preview publishes it at start."""
    return {
        "openapi": "3.0.3",
        "info": _info(stage),
        "servers": [{"url": f"{base_url}/sample-api/{stage}"}],
        "x-amazon-apigateway-api-key-source": "HEADER",
        "security": [{"api_key": []}],
        "components": {
            "securitySchemes": {"api_key": dict(_API_KEY_SCHEME)},
            "schemas": {"Pet": copy.deepcopy(_PET_SCHEMA)},
        },
        "paths": {
            "/pets": {
                "get": {
                    "summary": "List the pets for sale",
                    "operationId": "listPets",
                    "responses": {
                        "200": {
                            "description": "The pets",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
                                }
                            },
                        }
                    },
                },
                "post": {
                    "summary": "Offer a pet for sale",
                    "operationId": "createPet",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
                    },
                    "responses": {
                        "201": {"description": "The pet, with its id"},
                        "400": {"description": "The pet is not valid"},
                    },
                },
            },
            "/pets/{petId}": {
                "get": {
                    "summary": "Show one pet",
                    "operationId": "getPet",
                    "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "The pet"}, "404": {"description": "No such pet"}},
                }
            },
        },
    }


def swagger_document(*, stage: str, base_url: str) -> dict[str, Any]:
    """The stage's Swagger 2.0 document: the same operations as ``openapi_document``."""
    scheme, _, host = base_url.partition("://")
    pets = {"type": "array", "items": {"$ref": "#/definitions/Pet"}}
    return {
        "swagger": "2.0",
        "info": _info(stage),
        "host": host,
        "basePath": f"/sample-api/{stage}",
        "schemes": [scheme],
        "paths": {
            "/pets": {
                "get": {
                    "summary": "List the pets for sale",
                    "operationId": "listPets",
                    "produces": ["application/json"],
                    "responses": {"200": {"description": "The pets", "schema": pets}},
                },
                "post": {
                    "summary": "Offer a pet for sale",
                    "operationId": "createPet",
                    "consumes": ["application/json"],
                    "produces": ["application/json"],
                    "parameters": [
                        {"in": "body", "name": "Pet", "required": True, "schema": {"$ref": "#/definitions/Pet"}}
                    ],
                    "responses": {
                        "201": {"description": "The pet, with its id"},
                        "400": {"description": "The pet is not valid"},
                    },
                },
            },
            "/pets/{petId}": {
                "get": {
                    "summary": "Show one pet",
                    "operationId": "getPet",
                    "produces": ["application/json"],
                    "parameters": [{"name": "petId", "in": "path", "required": True, "type": "integer"}],
                    "responses": {"200": {"description": "The pet"}, "404": {"description": "No such pet"}},
                }
            },
        },
        "securityDefinitions": {"api_key": dict(_API_KEY_SCHEME)},
        "definitions": {"Pet": copy.deepcopy(_PET_SCHEMA)},
    }


class ExportRefused(Exception):
    """API Gateway refuses the export: ``status`` and ``error_type`` are its answer, the message its text."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


def export(
    *, api_id: str, stage: str, export_type: str, extensions: str, accept: str, base_url: str
) -> tuple[str, bytes, str]:
    """API Gateway's ``GetExport`` of a PetStore stage: its content type, body and file name.

    As API Gateway exports a deployed stage, each method carries ``security: api_key`` (the methods require
    a key); ``integrations`` and ``apigateway`` add each method's ``x-amazon-apigateway-integration``,
    ``apigateway`` also the API's key source. The PetStore has no authorizer, so ``authorizers`` adds nothing,
    and ``postman`` adds nothing that is API Gateway's either. Raises ExportRefused as API Gateway refuses.
    """
    if stage not in STAGES:
        raise ExportRefused(404, "NotFoundException", "Invalid stage identifier specified")
    if export_type not in EXPORT_TYPES:
        raise ExportRefused(
            400, "BadRequestException", f"No API exporter for type '{export_type}'; use {' or '.join(EXPORT_TYPES)}"
        )
    asked = [part.strip() for part in extensions.split(",") if part.strip()]
    unknown = [name for name in asked if name not in EXPORT_EXTENSIONS]
    if unknown:
        raise ExportRefused(
            400,
            "BadRequestException",
            f"Invalid extensions {', '.join(unknown)}; use any of {', '.join(EXPORT_EXTENSIONS)}",
        )
    media_type = next((name for name in _EXPORT_FORMATS if name in (accept or "application/json")), None)
    if media_type is None:
        raise ExportRefused(
            400, "BadRequestException", f"Unsupported Accept {accept!r}; use {' or '.join(_EXPORT_FORMATS)}"
        )
    if export_type == "swagger":
        document = swagger_document(stage=stage, base_url=base_url)
    else:
        document = openapi_document(api_id=api_id, stage=stage, base_url=base_url)
        del document["x-amazon-apigateway-api-key-source"], document["security"]
    integrations = "integrations" in asked or "apigateway" in asked
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation["security"] = [{"api_key": []}]
            if integrations and (method.upper(), path) in _ROUTES:
                operation["x-amazon-apigateway-integration"] = {
                    "type": "mock",
                    "requestTemplates": dict(_MOCK_TEMPLATES),
                    "passthroughBehavior": "when_no_match",
                }
    if "apigateway" in asked:
        document["x-amazon-apigateway-api-key-source"] = "HEADER"
    file_format = _EXPORT_FORMATS[media_type]
    body = (
        json.dumps(document, indent=2).encode()
        if file_format == "json"
        else yaml.safe_dump(document, sort_keys=False).encode()
    )
    suffix = "".join(f"-{name}" for name in asked)
    return media_type, body, f"{API_NAME}-{stage}-{export_type}{suffix}.{file_format}"


def _period_start(day: date, period: str, offset: int) -> date:
    if period == "WEEK":
        return day - timedelta(days=(day.weekday() - offset) % 7)
    if period == "MONTH":
        return day.replace(day=1) + timedelta(days=offset)
    return day


class UsageLedger:
    """Accepted requests per usage plan, API key and UTC day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def record(self, plan_id: str, key_id: str, day: date | None = None) -> None:
        with self._lock:
            self._counts[(plan_id, key_id, (day or datetime.now(UTC).date()).isoformat())] += 1

    def dump(self) -> list[list[Any]]:
        with self._lock:
            return [[plan, key, day, count] for (plan, key, day), count in self._counts.items()]

    def load(self, rows: list[list[Any]]) -> None:
        with self._lock:
            for plan, key, day, count in rows:
                self._counts[(plan, key, day)] = int(count)

    def used(self, plan_id: str, key_id: str, start: date, end: date) -> int:
        with self._lock:
            return sum(
                count
                for (plan, key, day), count in self._counts.items()
                if plan == plan_id and key == key_id and start.isoformat() <= day <= end.isoformat()
            )

    def throttled(self, plan_id: str, key_id: str, throttle: Mapping[str, Any] | None) -> bool:
        if not throttle:
            return False
        with self._lock:
            bucket = self._buckets.get((plan_id, key_id))
            rate, burst = float(throttle.get("rateLimit", 0)), int(throttle.get("burstLimit", 0))
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[(plan_id, key_id)] = TokenBucket(rate, burst)
            return not bucket.take()

    def over_quota(self, plan_id: str, key_id: str, quota: Mapping[str, Any] | None) -> bool:
        if not quota:
            return False
        today = datetime.now(UTC).date()
        start = _period_start(today, str(quota.get("period", "DAY")), int(quota.get("offset", 0)))
        return self.used(plan_id, key_id, start, today) >= int(quota["limit"])

    def get_usage(self, plan: Mapping[str, Any], query: Mapping[str, list[str]]) -> dict[str, Any]:
        """The body of API Gateway's GetUsage for `plan`, from the query string of the request."""
        start, end = date.fromisoformat(query["startDate"][0]), date.fromisoformat(query["endDate"][0])
        wanted = query.get("keyId", [None])[0]
        with self._lock:
            keys = sorted({key for (plan_id, key, _) in self._counts if plan_id == plan["id"]})
            counts = dict(self._counts)
        if wanted is not None:
            keys = [wanted]
        quota = plan.get("quota") or {}
        items: dict[str, list[list[int]]] = {}
        for key in keys:
            days, day, running = [], start, 0
            while day <= end:
                used = counts.get((plan["id"], key, day.isoformat()), 0)
                if quota:
                    period_start = _period_start(day, str(quota.get("period", "DAY")), int(quota.get("offset", 0)))
                    running = self.used(plan["id"], key, period_start, day)
                days.append([used, max(int(quota["limit"]) - running, 0) if quota else 0])
                day += timedelta(days=1)
            items[key] = days
        # On the wire the map is "values"; boto3 calls it "items".
        return {"usagePlanId": plan["id"], "startDate": start.isoformat(), "endDate": end.isoformat(), "values": items}


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers={**_CORS, **(headers or {})}
    )


class SampleApi:
    """Serves the PetStore's stages, enforcing API keys, usage plans, throttles and quotas."""

    def __init__(self, *, apigateway: Any, api_id: str, ledger: UsageLedger) -> None:
        self._apigateway = apigateway
        self.api_id = api_id
        self._ledger = ledger
        self._pets = {stage: {pet["id"]: dict(pet) for pet in _SEED_PETS} for stage in STAGES}
        self._lock = threading.Lock()

    def __call__(self, request: Request, stage: str, path: str) -> Response:
        route = _route(request.method, path)
        if request.method == "OPTIONS":
            return Response(status=200, headers=_CORS)
        if stage not in STAGES or route is None:
            return _json(
                403,
                {"message": "Missing Authentication Token"},
                {"x-amzn-ErrorType": "MissingAuthenticationTokenException"},
            )
        refused = self._enforce(request.headers.get("x-api-key"), stage)
        if refused is not None:
            return refused
        return self._answer(request, stage, route, path)

    def _enforce(self, value: str | None, stage: str) -> Response | None:
        forbidden = _json(403, {"message": "Forbidden"}, {"x-amzn-ErrorType": "ForbiddenException"})
        if not value:
            return forbidden
        keys = self._apigateway.get_api_keys(includeValues=True).get("items", [])
        key = next((item for item in keys if item.get("value") == value), None)
        if key is None or not key.get("enabled", False):
            return forbidden
        plans = self._apigateway.get_usage_plans(keyId=key["id"]).get("items", [])
        plan = next(
            (
                item
                for item in plans
                if any(s["apiId"] == self.api_id and s["stage"] == stage for s in item.get("apiStages", []))
            ),
            None,
        )
        if plan is None:
            return forbidden
        if self._ledger.throttled(plan["id"], key["id"], plan.get("throttle")):
            return _json(429, {"message": "Too Many Requests"}, {"x-amzn-ErrorType": "TooManyRequestsException"})
        if self._ledger.over_quota(plan["id"], key["id"], plan.get("quota")):
            return _json(429, {"message": "Limit Exceeded"}, {"x-amzn-ErrorType": "LimitExceededException"})
        self._ledger.record(plan["id"], key["id"])
        return None

    def _answer(self, request: Request, stage: str, route: str, path: str) -> Response:
        pets = self._pets[stage]
        with self._lock:
            if route == "GET /pets":
                return _json(200, sorted(pets.values(), key=lambda pet: pet["id"]))
            if route == "GET /pets/{petId}":
                wanted = path.rsplit("/", 1)[-1]
                pet = pets.get(int(wanted)) if wanted.isdigit() else None
                return _json(200, pet) if pet else _json(404, {"message": f"There is no pet {wanted}."})
            try:
                offered = json.loads(request.get_data() or b"null")
            except ValueError:
                offered = None
            if (
                not isinstance(offered, dict)
                or offered.get("type") not in ("dog", "cat", "fish", "bird")
                or not isinstance(offered.get("price"), int | float)
                or offered["price"] < 0
            ):
                return _json(400, {"message": 'Send a pet as {"type": "dog|cat|fish|bird", "price": 0 or more}.'})
            pet = {"id": max(pets, default=0) + 1, "type": offered["type"], "price": offered["price"]}
            pets[pet["id"]] = pet
            return _json(201, pet)


def _route(method: str, path: str) -> str | None:
    parts = [part for part in path.split("/") if part]
    if parts == ["pets"] and method in ("GET", "POST", "OPTIONS"):
        return f"{method} /pets"
    if len(parts) == 2 and parts[0] == "pets" and method in ("GET", "OPTIONS"):
        return f"{method} /pets/{{petId}}"
    return None
