"""The embedded AWS: moto's threaded server, plus what AWS does around the calls that moto does not.

Every AWS request of the preview, the runtime and the tests goes through ``AwsExtensions``, which answers
or completes a few operations and passes the rest to moto unchanged:

- Cognito: triggers, verification codes and SRP (``cognito.CognitoEmulation``);
- S3: object created or removed in a bucket with notifications invokes the function or sends the event to
  the queue, as S3 does;
- SQS: messages in a queue that a function's event source mapping reads reach that function in batches, as
  Lambda's poller hands them over;
- Lambda Invoke: runs the function in this process (moto would need Docker);
- API Gateway GetUsage: answered from the sample API's usage records (moto lacks it);
- API Gateway GetExport of the sample API: answered by the sample API (moto's is not valid Swagger);
- SNS Publish to a topic with email subscriptions: the message lands in the outbox; to a topic with function
  subscriptions: the function runs with the SNS record, before Publish returns;
- AWS Marketplace Metering ResolveCustomer: answered by the marketplace simulation (moto lacks it).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote_plus, unquote
from xml.etree import ElementTree

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.test import run_wsgi_app

from .blueprint import Notification, QueueConsumer
from .cognito import CognitoEmulation
from .functions import CHAIN_HEADER, FunctionError, FunctionHost, joining
from .outbox import Outbox

_log = logging.getLogger("devportal.preview")
_USAGE_PATH = re.compile(r"^/usageplans/([^/]+)/usage$")
_EXPORT_PATH = re.compile(r"^/restapis/([^/]+)/stages/([^/]+)/exports/([^/]+)$")
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_SQS_SENDS = ("AmazonSQS.SendMessage", "AmazonSQS.SendMessageBatch")
_S3_SUBRESOURCES = {"tagging", "acl", "retention", "legal-hold", "uploadId", "partNumber", "restore", "torrent"}

Answer = tuple[int, dict[str, str], bytes]


def _service(environ: Mapping[str, Any]) -> str:
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    if "Credential=" in auth:
        return auth.split("Credential=", 1)[1].split(",")[0].split("/")[3]
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target.startswith("AWSCognitoIdentityProviderService."):
        return "cognito-idp"
    return ""


class AwsExtensions:
    """WSGI middleware around moto's dispatcher."""

    def __init__(self, inner: Callable[..., Any], *, outbox: Outbox, region: str, account: str) -> None:
        self._inner = inner
        self._outbox = outbox
        self._region = region
        self._account = account
        self.cognito: CognitoEmulation | None = None
        self.functions: FunctionHost | None = None
        self.notifications: dict[str, list[Notification]] = {}
        """Bucket name to its notification configuration."""
        self.queues: dict[str, str] = {}
        """Logical id of each queue to its URL."""
        self.consumers: dict[str, list[QueueConsumer]] = {}
        """Queue name to the event source mappings that read it."""
        self.sqs: Any = None
        self._held: set[str] | None = None
        self.email_subscriptions: dict[str, list[str]] = {}
        self.usage: Callable[[str, Mapping[str, list[str]]], tuple[int, Any, str | None]] | None = None
        self.export: Callable[[str, str, str, Mapping[str, list[str]], str], Answer | None] | None = None
        """GetExport of (API id, stage, export type, query, Accept); None passes the call on to moto."""
        self.function_subscriptions: dict[str, list[str]] = {}
        """Topic ARN to the logical ids of the functions subscribed to it."""
        self.marketplace: Callable[[str, bytes], Answer | None] | None = None
        self._background: list[threading.Thread] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        status, headers, payload = self.handle(environ, body)
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", list(headers.items()))
        return [payload]

    def forward(self, environ: Mapping[str, Any], body: bytes) -> Answer:
        copy = dict(environ)
        copy["wsgi.input"] = io.BytesIO(body)
        copy["CONTENT_LENGTH"] = str(len(body))
        app_iter, status, headers = run_wsgi_app(self._inner, copy, buffered=True)
        try:
            payload = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close:
                close()
        return int(status.split()[0]), {key: value for key, value in headers.items()}, payload

    def handle(self, environ: dict[str, Any], body: bytes) -> Answer:
        service = _service(environ)
        chain = environ.get("HTTP_" + CHAIN_HEADER.upper().replace("-", "_"))
        method = environ.get("REQUEST_METHOD", "GET")
        path = unquote(environ.get("PATH_INFO", "/"))
        if service == "cognito-idp" and self.cognito is not None and environ.get("HTTP_X_AMZ_TARGET"):
            operation = environ["HTTP_X_AMZ_TARGET"].split(".", 1)[1]
            payload = json.loads(body or b"{}")
            return self.cognito.handle(
                operation,
                payload,
                chain=chain,
                forward=lambda changed: self.forward(environ, json.dumps(changed).encode()),
            )
        if service == "apigateway" and method == "GET" and self.usage is not None:
            match = _USAGE_PATH.match(path)
            if match:
                status, answer, error_type = self.usage(match.group(1), parse_qs(environ.get("QUERY_STRING", "")))
                headers = {"Content-Type": "application/json"}
                if error_type:
                    headers["x-amzn-ErrorType"] = error_type
                return status, headers, json.dumps(answer).encode()
        if service == "apigateway" and method == "GET" and self.export is not None:
            match = _EXPORT_PATH.match(path)
            if match:
                query = parse_qs(environ.get("QUERY_STRING", ""))
                exported = self.export(*match.groups(), query, str(environ.get("HTTP_ACCEPT", "")))
                if exported is not None:
                    return exported
        if service == "aws-marketplace" and self.marketplace is not None:
            answered = self.marketplace(str(environ.get("HTTP_X_AMZ_TARGET", "")), body)
            if answered is not None:
                return answered
        if service == "lambda" and method == "POST" and self.functions is not None:
            match = _INVOKE_PATH.match(path)
            if match:
                return self._invoke(match.group(1), environ, body, chain)
        answer = self.forward(environ, body)
        if service == "s3" and 200 <= answer[0] < 300:
            self._s3_events(environ, body, answer, chain)
        if service == "sns" and answer[0] == 200:
            self._sns_publish(body, answer[2], chain)
        if service == "sqs" and answer[0] == 200 and environ.get("HTTP_X_AMZ_TARGET") in _SQS_SENDS:
            self._sqs_sent(str(json.loads(body)["QueueUrl"]), chain)
        return answer

    # --- Lambda ---------------------------------------------------------------------------------------------

    def _invoke(self, name: str, environ: Mapping[str, Any], body: bytes, chain: str | None) -> Answer:
        assert self.functions is not None
        logical_id = self.functions.logical_id_of(name)
        if logical_id is None:
            message = f"Function not found: arn:aws:lambda:{self._region}:{self._account}:function:{name}"
            return (
                404,
                {"x-amzn-ErrorType": "ResourceNotFoundException"},
                json.dumps({"Type": "User", "Message": message}).encode(),
            )
        event = json.loads(body or b"{}")
        if environ.get("HTTP_X_AMZ_INVOCATION_TYPE") == "Event":
            self._in_background(lambda: self.functions.invoke(logical_id, event))  # type: ignore[union-attr]
            return 202, {}, b""
        try:
            result = self.functions.invoke(logical_id, event, chain=chain)
        except FunctionError as failure:
            return 200, {"X-Amz-Function-Error": "Unhandled"}, json.dumps(failure.payload).encode()
        return 200, {"X-Amz-Executed-Version": "$LATEST"}, json.dumps(result).encode()

    def _in_background(self, work: Callable[[], Any]) -> None:
        def run() -> None:
            # The host logs the error, as Lambda logs a failed asynchronous invocation.
            with contextlib.suppress(FunctionError):
                work()

        thread = threading.Thread(target=run, name="devportal-async-invoke", daemon=True)
        self._background = [alive for alive in self._background if alive.is_alive()] + [thread]
        thread.start()

    def join_background(self, timeout: float = 10) -> None:
        for thread in list(self._background):
            thread.join(timeout)

    # --- S3 notifications -----------------------------------------------------------------------------------

    def _s3_events(self, environ: Mapping[str, Any], body: bytes, answer: Answer, chain: str | None) -> None:
        method = environ.get("REQUEST_METHOD")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        parts = environ.get("PATH_INFO", "/").lstrip("/").split("/", 1)
        bucket, key = parts[0], unquote(parts[1]) if len(parts) > 1 else ""
        if bucket not in self.notifications:
            return
        headers = {name.lower(): value for name, value in answer[1].items()}
        events: list[tuple[str, str]] = []
        if method == "PUT" and key and not (set(query) & _S3_SUBRESOURCES):
            copied = "HTTP_X_AMZ_COPY_SOURCE" in environ
            events.append(("ObjectCreated:Copy" if copied else "ObjectCreated:Put", key))
        elif method == "POST" and key and "uploadId" in query:
            events.append(("ObjectCreated:CompleteMultipartUpload", key))
        elif method == "DELETE" and key and not (set(query) & _S3_SUBRESOURCES):
            marker = headers.get("x-amz-delete-marker") == "true"
            events.append(("ObjectRemoved:DeleteMarkerCreated" if marker else "ObjectRemoved:Delete", key))
        elif method == "POST" and not key and "delete" in query:
            events.extend(self._deleted_keys(answer[2]))
        for event_name, object_key in events:
            self._notify(bucket, event_name, object_key, headers, len(body), chain)

    @staticmethod
    def _deleted_keys(xml: bytes) -> list[tuple[str, str]]:
        found = []
        for element in ElementTree.fromstring(xml).iter():
            if element.tag.endswith("Deleted"):
                fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
                marker = fields.get("DeleteMarker") == "true"
                found.append(("ObjectRemoved:DeleteMarkerCreated" if marker else "ObjectRemoved:Delete", fields["Key"]))
        return found

    def _notify(
        self, bucket: str, event_name: str, key: str, headers: Mapping[str, str], size: int, chain: str | None
    ) -> None:
        assert self.functions is not None
        for notification in self.notifications.get(bucket, []):
            if not notification.matches(f"s3:{event_name}", key):
                continue
            record = {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": self._region,
                "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:PREVIEW"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": "preview"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": f"preview-{notification.target}",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "PREVIEW"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size if event_name.startswith("ObjectCreated") else 0,
                        "eTag": headers.get("etag", "").strip('"'),
                        "versionId": headers.get("x-amz-version-id", ""),
                        "sequencer": f"{datetime.now(UTC).timestamp():.6f}".replace(".", ""),
                    },
                },
            }
            # S3 delivers within seconds; the preview delivers before the upload returns, so what a test or a
            # person looks at next is already up to date. A failing function is logged; the upload stands.
            if notification.to_queue:
                self._enqueue(self.queues[notification.target], {"Records": [record]}, chain)
                continue
            with contextlib.suppress(FunctionError):
                self.functions.invoke(notification.target, {"Records": [record]}, chain=chain)

    # --- SQS event source mappings ----------------------------------------------------------------------------

    def _enqueue(self, queue_url: str, body: Mapping[str, Any], chain: str | None) -> None:
        with joining(chain):
            self.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))

    def _sqs_sent(self, queue_url: str, chain: str | None) -> None:
        name = queue_url.rstrip("/").rsplit("/", 1)[-1]
        if name not in self.consumers:
            return
        if self._held is not None:
            self._held.add(name)
        else:
            self.deliver(name, chain)

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Messages sent to queues in the block reach their consumers at its end, in as few batches as Lambda's
        batching window would gather them into."""
        self._held = set()
        try:
            yield
        finally:
            held, self._held = self._held, None
            for name in sorted(held):
                self.deliver(name)

    def deliver(self, name: str, chain: str | None = None) -> None:
        """Hand the visible messages of queue `name` to the functions that read it, in batches of their size.

        Lambda polls; the preview delivers as soon as a message is sent, so what a test or a person looks at
        next is already up to date. A batch whose function fails is received again until the queue's redrive
        policy moves its messages to the dead-letter queue; without one, they wait for the next delivery.
        """
        assert self.functions is not None
        queue_url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        for consumer in self.consumers[name]:
            while messages := self._receive(queue_url, consumer.batch_size, int(attributes["VisibilityTimeout"])):
                event = {"Records": [self._sqs_record(attributes, message) for message in messages]}
                try:
                    self.functions.invoke(consumer.function, event, chain=chain)
                except FunctionError:
                    for message in messages:
                        self.sqs.change_message_visibility(
                            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                        )
                    if "RedrivePolicy" not in attributes:
                        break
                    continue
                for first in range(0, len(messages), 10):
                    self.sqs.delete_message_batch(
                        QueueUrl=queue_url,
                        Entries=[
                            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                            for index, message in enumerate(messages[first : first + 10])
                        ],
                    )

    def _receive(self, queue_url: str, batch_size: int, visibility: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < batch_size:
            received = self.sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, batch_size - len(messages)),
                VisibilityTimeout=visibility,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            messages.extend(received)
        return messages

    def _sqs_record(self, queue: Mapping[str, str], message: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if "BinaryValue" in value else None,
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue["QueueArn"],
            "awsRegion": self._region,
        }

    # --- SNS ------------------------------------------------------------------------------------------------

    def _sns_publish(self, body: bytes, answer: bytes, chain: str | None) -> None:
        form = {key: values[0] for key, values in parse_qs(body.decode(errors="replace")).items()}
        if form.get("Action") != "Publish":
            return
        for address in self.email_subscriptions.get(form.get("TopicArn", ""), []):
            self._outbox.send(
                to=address,
                subject=form.get("Subject") or "AWS Notification Message",
                body=form.get("Message", ""),
                kind="notification",
            )
        topic_arn = form.get("TopicArn", "")
        functions = self.function_subscriptions.get(topic_arn, [])
        found = re.search(rb"<MessageId>([^<]+)</MessageId>", answer)
        if not functions or found is None or self.functions is None:
            return
        record = {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
            "Sns": {
                "Type": "Notification",
                "MessageId": found.group(1).decode(),
                "TopicArn": topic_arn,
                "Subject": form.get("Subject") or None,
                "Message": form.get("Message", ""),
                "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "SignatureVersion": "1",
                "Signature": "preview",
                "SigningCertUrl": "",
                "UnsubscribeUrl": "",
                "MessageAttributes": {},
            },
        }
        # SNS invokes the function asynchronously; the preview runs it before Publish returns, so what a test or
        # a person looks at next is already up to date. A failing function is logged; the message is published.
        for logical_id in functions:
            with contextlib.suppress(FunctionError):
                self.functions.invoke(logical_id, {"Records": [record]}, chain=chain)


_running = threading.Lock()


def _reset_models() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


class Emulation(ThreadedMotoServer):
    """moto's threaded server on 127.0.0.1 and a free port, serving moto wrapped in ``AwsExtensions``.

    moto keeps its models in module globals, so one emulation runs per process; it starts and ends empty.
    """

    def __init__(self, *, outbox: Outbox, region: str, account: str, port: int = 0) -> None:
        if not _running.acquire(blocking=False):
            raise RuntimeError(
                "a preview is already running in this process; stop it first (moto's data is process-wide)"
            )
        _reset_models()
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self.app = AwsExtensions(
            DomainDispatcherApplication(create_backend_app), outbox=outbox, region=region, account=account
        )

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, self.app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        try:
            super().stop()
            self.app.join_background()
            if self._server is not None:
                self._server.server_close()
        finally:
            _reset_models()
            _running.release()
