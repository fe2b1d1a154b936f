"""The portal's Lambda functions, run in this process, each with the environment its stack definition gives it.

Lambda gives every function its own process; here they share one, and the runtime caches its settings and
clients per process. So one invocation runs at a time, with the function's environment in ``os.environ`` and
the caches cleared on the way in and out. A function that calls AWS and thereby invokes another function (an
S3 upload firing the catalog updater, AdminCreateUser firing PreSignUp) must not wait for itself: its AWS
requests carry a chain id, and invocations of the same chain enter the lock again.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from devportal_constructs._assets import runtime_dir

from .blueprint import Function

CHAIN_HEADER = "x-devportal-invocation-chain"
_log = logging.getLogger("devportal.preview")
_chain = threading.local()


class FunctionError(Exception):
    """The function raised: Lambda reports it as a function error with this payload."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "preview"
    timeout_seconds: int = 30

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


class _ChainLock:
    """A lock that a chain of nested invocations may enter again from other threads."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._owner: str | None = None
        self._depth = 0

    @contextmanager
    def hold(self, chain: str) -> Iterator[None]:
        with self._condition:
            while self._owner not in (None, chain):
                self._condition.wait()
            self._owner = chain
            self._depth += 1
        try:
            yield
        finally:
            with self._condition:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._condition.notify_all()


def _tag_request(request: Any, **_: Any) -> None:
    chain = getattr(_chain, "id", None)
    if chain is not None:
        request.headers[CHAIN_HEADER] = chain


def chained(client: Any) -> Any:
    """`client`, its requests made inside ``joining(chain)`` carrying that chain."""
    client.meta.events.register("request-created", _tag_request, unique_id="devportal-chain")
    return client


@contextmanager
def joining(chain: str | None) -> Iterator[None]:
    """AWS requests of chained clients in the block belong to `chain`: what they invoke may enter its lock."""
    outer = getattr(_chain, "id", None)
    _chain.id = chain
    try:
        yield
    finally:
        _chain.id = outer


class FunctionHost:
    """Invokes the stack's functions by logical id, with their resolved environments."""

    def __init__(
        self,
        functions: Mapping[str, Function],
        environments: Mapping[str, Mapping[str, str]],
        *,
        aws_environment: Mapping[str, str],
        arn: Callable[[str], str],
        names: Mapping[str, str],
    ) -> None:
        self._functions = dict(functions)
        self._environments = {key: dict(value) for key, value in environments.items()}
        self._aws_environment = dict(aws_environment)
        self._arn = arn
        self._names = dict(names)
        self._lock = _ChainLock()
        self._session: Any = None
        runtime = str(runtime_dir())
        if runtime not in sys.path:
            sys.path.insert(0, runtime)

    def logical_id_of(self, name_or_arn: str) -> str | None:
        """The logical id of the function named `name_or_arn` (its local name, ARN or logical id)."""
        name = name_or_arn.split(":function:")[-1].split(":")[0]
        for logical_id in self._functions:
            if name in (logical_id, self._names.get(logical_id)):
                return logical_id
        return None

    def invoke(self, logical_id: str, event: Any, *, chain: str | None = None) -> Any:
        """Run the function on `event` and return its result; raise FunctionError when it raises."""
        function = self._functions[logical_id]
        chain = chain or str(uuid.uuid4())
        with self._lock.hold(chain):
            outer_chain = getattr(_chain, "id", None)
            saved = dict(os.environ)
            outer_session = boto3.DEFAULT_SESSION
            _chain.id = chain
            try:
                self._enter(function)
                module_name, _, handler_name = function.handler.rpartition(".")
                handler = getattr(importlib.import_module(module_name), handler_name)
                context = LambdaContext(
                    function_name=self._names.get(logical_id, logical_id),
                    invoked_function_arn=self._arn(logical_id),
                    timeout_seconds=function.timeout,
                )
                try:
                    return handler(event, context)
                except Exception as error:
                    _log.error("%s failed:\n%s", logical_id, traceback.format_exc())
                    raise FunctionError(
                        {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []}
                    ) from error
            finally:
                os.environ.clear()
                os.environ.update(saved)
                _chain.id = outer_chain
                boto3.DEFAULT_SESSION = outer_session
                self._reset_runtime_caches()

    def _enter(self, function: Function) -> None:
        for key in [key for key in os.environ if key.startswith(("AWS_", "POWERTOOLS_", "_X_AMZN"))]:
            del os.environ[key]
        os.environ.update(self._aws_environment)
        os.environ["AWS_LAMBDA_FUNCTION_NAME"] = self._names.get(function.logical_id, function.logical_id)
        os.environ.update(self._environments[function.logical_id])
        # No X-Ray daemon runs here; Powertools' tracer would only complain.
        os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
        if self._session is None:
            # One session for every invocation: it keeps the service models it loaded, so the clients the
            # runtime creates afresh in each invocation take milliseconds instead of reading them again.
            self._session = boto3.Session()
            self._session.events.register("request-created", _tag_request, unique_id="devportal-chain")
        boto3.DEFAULT_SESSION = self._session
        self._reset_runtime_caches()

    @staticmethod
    def _reset_runtime_caches() -> None:
        from portal_common.aws import reset_clients
        from portal_common.settings import settings

        reset_clients()
        settings.cache_clear()
