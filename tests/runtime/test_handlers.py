"""Every Lambda handler of the runtime logs, traces and measures through Powertools (issue 2, item 6).

Operators troubleshoot through CloudWatch, so each ``runtime/*/handler.py`` has a module-level Logger
(structured JSON), Tracer and Metrics, and each entry point is wrapped by all three.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
HANDLERS = sorted(path.parent.name for path in RUNTIME.glob("*/handler.py"))
WRAPPERS = {"logger.inject_lambda_context", "tracer.capture_lambda_handler", "metrics.log_metrics"}


def _decorators(function: ast.FunctionDef) -> set[str]:
    names = set()
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(ast.unparse(target))
    return names


def _entry_points(function: str) -> dict[str, set[str]]:
    tree = ast.parse((RUNTIME / function / "handler.py").read_text())
    return {
        node.name: _decorators(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and _decorators(node) & WRAPPERS
    }


def test_every_function_folder_has_a_handler() -> None:
    assert HANDLERS == [
        "backend",
        "catalog_updater",
        "cognito_triggers",
        "content_renderer",
        "marketplace_listener",
        "site_deployment",
    ]


@pytest.mark.parametrize("function", HANDLERS)
def test_the_handler_has_a_json_logger_a_tracer_and_metrics(function: str) -> None:
    from aws_lambda_powertools import Logger, Metrics, Tracer
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    module = importlib.import_module(f"{function}.handler")

    assert isinstance(module.logger, Logger)
    assert isinstance(module.logger.registered_formatter, LambdaPowertoolsFormatter)
    assert isinstance(module.tracer, Tracer)
    assert isinstance(module.metrics, Metrics)


@pytest.mark.parametrize("function", HANDLERS)
def test_every_entry_point_is_logged_traced_and_measured(function: str) -> None:
    entry_points = _entry_points(function)

    assert entry_points, f"{function}/handler.py has no entry point wrapped by Powertools"
    if function != "cognito_triggers":
        assert "lambda_handler" in entry_points
    assert {name: WRAPPERS - found for name, found in entry_points.items()} == {name: set() for name in entry_points}


def test_the_triggers_the_identity_construct_names_are_wrapped_entry_points() -> None:
    from devportal_constructs import identity

    # Identity names its trigger handlers by function (the others are lambda_handler, checked above)
    source = Path(identity.__file__).read_text()
    assert "cognito_triggers.handler.{handler}" in source
    assert set(_entry_points("cognito_triggers")) == {"pre_sign_up", "post_confirmation", "pre_token_generation"}
