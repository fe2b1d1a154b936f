"""Reading an API spec safely: bounded size, safe YAML without alias bombs, and OpenAPI validation.

The catalog updater, the admin console's upload and the operator CLI all call :func:`load_spec`, so a file
the CLI accepts is a file the portal publishes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from portal_common.catalog import SpecSummary

MAX_SPEC_BYTES = 5 * 1024 * 1024
MAX_NODES = 250_000
"""How many values a spec may hold once YAML aliases are expanded; more is treated as an alias bomb."""
MAX_DEPTH = 64
MAX_REPORTED_ERRORS = 5
MAX_SEARCH_PATHS = 300
_ANY_METHOD = "x-amazon-apigateway-any-method"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


class SpecError(ValueError):
    """The file is not a spec the portal can publish; the message says what to fix."""


class _SpecLoader(yaml.SafeLoader):
    """The safe loader, but dates stay strings: a spec is JSON data, and `version: 2024-01-01` is a string."""


_SpecLoader.add_constructor("tag:yaml.org,2002:timestamp", _SpecLoader.construct_yaml_str)


@dataclass(frozen=True)
class LoadedSpec:
    document: dict[str, Any]
    summary: SpecSummary


def parse(name: str, body: bytes) -> dict[str, Any]:
    """The document in `body`: JSON for ``.json`` names, YAML otherwise; bounded and JSON-safe."""
    if len(body) > MAX_SPEC_BYTES:
        raise SpecError(
            f"{name} is {len(body):,} bytes; the portal takes specs up to {MAX_SPEC_BYTES:,} bytes. "
            "Split it or remove unused definitions."
        )
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpecError(f"{name} is not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8.") from None
    try:
        # The loader is a SafeLoader: it builds plain data, never Python objects.
        loaded = json.loads(text) if name.lower().endswith(".json") else yaml.load(text, Loader=_SpecLoader)
    except json.JSONDecodeError as error:
        raise SpecError(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(f"{name} is not valid YAML: {problem}{at}.") from None
    if not isinstance(loaded, dict):
        raise SpecError(f"{name} holds a {type(loaded).__name__}, not an OpenAPI or Swagger document (an object).")
    budget = [MAX_NODES]
    return _json_safe(name, loaded, budget, 0)


def _json_safe(name: str, value: Any, budget: list[int], depth: int) -> Any:
    # Copies the tree, so shared YAML aliases are expanded here, under a budget, rather than later by
    # json.dumps without one; cycles run out of depth.
    budget[0] -= 1
    if budget[0] < 0:
        raise SpecError(
            f"{name} expands to more than {MAX_NODES:,} values, which looks like a YAML alias bomb; "
            "write the repeated parts out or use $ref."
        )
    if depth > MAX_DEPTH:
        raise SpecError(f"{name} nests deeper than {MAX_DEPTH} levels (or refers to itself through YAML aliases).")
    if isinstance(value, dict):
        return {str(key): _json_safe(name, item, budget, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(name, item, budget, depth + 1) for item in value]
    if isinstance(value, bytes):
        raise SpecError(f"{name} holds binary data (!!binary); specs are text.")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def openapi_version(name: str, document: dict[str, Any]) -> str:
    if "swagger" in document:
        version = str(document["swagger"])
        if version != "2.0":
            raise SpecError(f"{name} says swagger: {version!r}; the only Swagger version is '2.0'.")
        return version
    if "openapi" in document:
        version = str(document["openapi"])
        if version.startswith(("3.0.", "3.1.")) or version in ("3.0", "3.1"):
            return version
        raise SpecError(
            f"{name} says openapi: {version!r}; the portal publishes OpenAPI 3.0 and 3.1 (and Swagger 2.0)."
        )
    raise SpecError(f"{name} has neither 'openapi' nor 'swagger' at its top level; is it an OpenAPI document?")


def validate(name: str, document: dict[str, Any]) -> str:
    """The document's version, once openapi-spec-validator finds nothing wrong with it."""
    version = openapi_version(name, document)
    validator_class = (
        OpenAPIV2SpecValidator
        if version == "2.0"
        else OpenAPIV31SpecValidator
        if version.startswith("3.1")
        else OpenAPIV30SpecValidator
    )
    problems = []
    try:
        for error in validator_class(document).iter_errors():
            where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
            problems.append(f"{where}: {error.message}")
            if len(problems) > MAX_REPORTED_ERRORS:
                break
    except Exception as error:  # a broken $ref and the like surface as other exception types
        problems.append(str(error).splitlines()[0] if str(error) else type(error).__name__)
    if problems:
        shown = problems[:MAX_REPORTED_ERRORS]
        more = " (and more)" if len(problems) > MAX_REPORTED_ERRORS else ""
        raise SpecError(f"{name} is not a valid {_family(version)} document: " + "; ".join(shown) + more)
    return version


def _family(version: str) -> str:
    return "Swagger 2.0" if version == "2.0" else f"OpenAPI {version}"


def expand_any_method(document: dict[str, Any]) -> None:
    """API Gateway exports ``ANY`` as one extension; Swagger UI needs each method, so copy it to each.

    Method names are lower-cased on the way, as OpenAPI requires (emulations export ``GET``).
    """
    for item in (document.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for method in [name for name in item if name.lower() in _HTTP_METHODS and name != name.lower()]:
            item.setdefault(method.lower(), item.pop(method))
        if isinstance(item.get(_ANY_METHOD), dict):
            operation = item.pop(_ANY_METHOD)
            for method in _HTTP_METHODS:
                item.setdefault(method, json.loads(json.dumps(operation)))


def strip_gateway_internals(value: Any) -> Any:
    """Drop ``x-amazon-apigateway-*`` keys: integrations, authorizers and policies are not for the public."""
    if isinstance(value, dict):
        return {
            key: strip_gateway_internals(item)
            for key, item in value.items()
            if not key.startswith("x-amazon-apigateway-")
        }
    if isinstance(value, list):
        return [strip_gateway_internals(item) for item in value]
    return value


def summarize(name: str, document: dict[str, Any], version: str) -> SpecSummary:
    raw_info = document.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    title = str(info.get("title") or "").strip()
    if not title:
        raise SpecError(f"{name} has no info.title; give the API a title, which the catalog shows.")
    tags = [str(tag["name"]) for tag in document.get("tags") or [] if isinstance(tag, dict) and tag.get("name")]
    paths = list((document.get("paths") or {}).keys())[:MAX_SEARCH_PATHS]
    return SpecSummary(
        title=title,
        version=str(info.get("version") or ""),
        description=str(info.get("description") or ""),
        openapi=version,
        endpoint=_endpoint(document),
        tags=tags,
        paths=paths,
    )


def _endpoint(document: dict[str, Any]) -> str | None:
    if "swagger" in document:
        host = document.get("host")
        if not host:
            return None
        schemes = document.get("schemes") or ["https"]
        return f"{schemes[0]}://{host}{document.get('basePath') or ''}".rstrip("/") or None
    servers = document.get("servers") or []
    if servers and isinstance(servers[0], dict) and servers[0].get("url"):
        return str(servers[0]["url"])
    return None


def load_spec(name: str, body: bytes, *, managed: bool = False) -> LoadedSpec:
    """Parse, validate and summarize one spec file; raise SpecError saying what to fix.

    A managed (API Gateway) spec has its ``ANY`` methods expanded and its gateway internals removed, because
    the admin console exports stages with API Gateway's extensions.
    """
    document = parse(name, body)
    if managed:
        expand_any_method(document)
        document = strip_gateway_internals(document)
    version = validate(name, document)
    return LoadedSpec(document=document, summary=summarize(name, document, version))
