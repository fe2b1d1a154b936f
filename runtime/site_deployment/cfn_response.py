"""Answers a CloudFormation custom-resource request by PUTting to its pre-signed ``ResponseURL``.

The function is the resource's service token, so nothing else answers for it: every request must reach
``send`` exactly once, failures included, or the stack waits an hour for a reply. ``Responder`` makes sure
of exactly once, also when a watchdog and the handler race to answer.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from aws_lambda_powertools import Logger

SUCCESS = "SUCCESS"
FAILED = "FAILED"
_MAX_REASON = 1500
_ATTEMPTS = 4

logger = Logger(child=True)


def response_body(
    event: dict[str, Any], status: str, physical_id: str, *, data: dict[str, str] | None, reason: str
) -> bytes:
    if len(reason) > _MAX_REASON:
        reason = reason[: _MAX_REASON - 3] + "..."
    return json.dumps(
        {
            "Status": status,
            "Reason": reason,
            "PhysicalResourceId": physical_id,
            "StackId": event.get("StackId", ""),
            "RequestId": event.get("RequestId", ""),
            "LogicalResourceId": event.get("LogicalResourceId", ""),
            "NoEcho": False,
            "Data": data or {},
        }
    ).encode("utf-8")


def put(url: str, body: bytes) -> None:
    """PUT `body` to the pre-signed URL, retrying transient failures a few times."""
    # The URL is signed for an empty content type; anything else makes S3 refuse it.
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            return
        except OSError as error:
            logger.warning("could not answer CloudFormation", extra={"attempt": attempt, "error": str(error)})
            if attempt == _ATTEMPTS:
                raise
            time.sleep(0.5 * 2**attempt)


class Responder:
    """Sends the one answer a request gets; later calls are ignored and logged."""

    def __init__(self, event: dict[str, Any]) -> None:
        self._event = event
        self._lock = threading.Lock()
        self.sent: str | None = None

    def send(self, status: str, physical_id: str, *, data: dict[str, str] | None = None, reason: str = "") -> bool:
        with self._lock:
            if self.sent is not None:
                logger.info("CloudFormation was already answered", extra={"sent": self.sent, "ignored": status})
                return False
            self.sent = status
        body = response_body(self._event, status, physical_id, data=data, reason=reason or status)
        logger.info("answering CloudFormation", extra={"status": status, "reason": reason})
        put(self._event["ResponseURL"], body)
        return True
