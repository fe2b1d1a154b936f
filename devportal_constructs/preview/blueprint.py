"""What the preview emulates, read from the example stack's synthesized template, so that it cannot drift.

Synthesizing costs seconds, so the template (and the ``config.json`` the stack deploys, with its markers) is
cached under the user's cache folder, keyed by the construct library's sources and the context given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parents[1]
_CACHE_ENV = "DEVPORTAL_PREVIEW_CACHE"
_CACHE_FORMAT = 1
_CONFIG_FILE = "config.json"
_log = logging.getLogger("devportal.preview")


def _cache_root() -> Path:
    configured = os.environ.get(_CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "devportal-constructs" / "preview"


def _cdk_context() -> dict[str, Any]:
    cdk_json = _PACKAGE.parent / "cdk.json"
    if cdk_json.is_file():
        return dict(json.loads(cdk_json.read_text())["context"])
    return {}


def _sources_hash(context: Mapping[str, str]) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256(f"{_CACHE_FORMAT}:{version('aws-cdk-lib')}:".encode())
    digest.update(json.dumps({"cdk": _cdk_context(), "context": dict(context)}, sort_keys=True).encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        if "preview" in path.relative_to(_PACKAGE).parts or "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _synthesize(context: Mapping[str, str]) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    import aws_cdk as cdk

    from devportal_constructs.example import example_stack

    with tempfile.TemporaryDirectory(prefix="devportal-preview-synth-") as outdir:
        app = cdk.App(
            outdir=outdir,
            context={**_cdk_context(), "aws:cdk:bundling-stacks": [], **dict(context)},
        )
        stack = example_stack(app)
        assembly = app.synth()
        artifact = assembly.get_stack_artifact(stack.artifact_id)
        template = json.loads(Path(artifact.template_full_path).read_text())
        config_text = ""
        for config in Path(outdir).glob(f"asset.*/{_CONFIG_FILE}"):
            config_text = config.read_text()
    return {"template": template, "config": config_text}


def load_blueprint(context: Mapping[str, str] | None = None) -> Blueprint:
    """The example stack's blueprint for `context` (CDK context keys), from the cache or synthesized."""
    context = dict(context or {})
    entry = _cache_root() / f"{_sources_hash(context)}.json"
    if entry.is_file():
        data = json.loads(entry.read_text())
    else:
        _log.info("synthesizing the example stack for the preview (the next start reuses it)...")
        try:
            data = _synthesize(context)
        except Exception as failure:
            cached = (
                sorted(entry.parent.glob("*.json"), key=lambda path: path.stat().st_mtime)
                if entry.parent.is_dir()
                else []
            )
            if not cached:
                raise RuntimeError(
                    f"the example stack does not synthesize ({type(failure).__name__}: {failure}); fix the "
                    "construct code, or run `devportal synth` to see the whole error"
                ) from failure
            _log.warning(
                "the example stack does not synthesize (%s: %s); previewing the last stack that did, from %s",
                type(failure).__name__,
                failure,
                cached[-1],
            )
            return Blueprint(**_from_cache(cached[-1]))
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(data))
        partial.replace(entry)
    return Blueprint(template=data["template"], config_text=data["config"])


def _from_cache(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return {"template": data["template"], "config_text": data["config"]}


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    environment: Mapping[str, Any]
    timeout: int


@dataclass(frozen=True)
class Notification:
    """One entry of a bucket's notification configuration: matching events go to a function or a queue."""

    bucket: str
    events: tuple[str, ...]
    prefix: str
    suffix: str
    target: str
    """The logical id of the function (``LambdaFunctionConfigurations``) or queue (``QueueConfigurations``)."""
    to_queue: bool

    def matches(self, event_name: str, key: str) -> bool:
        family, _, _ = event_name.rpartition(":")
        wanted = any(pattern in (event_name, f"{family}:*") for pattern in self.events)
        return wanted and key.startswith(self.prefix) and key.endswith(self.suffix)


@dataclass(frozen=True)
class QueueConsumer:
    """An event source mapping: Lambda polls ``queue`` and hands ``function`` batches of its messages."""

    queue: str
    function: str
    batch_size: int


@dataclass(frozen=True)
class Route:
    """One method of the portal's REST API: ``path`` as API Gateway writes it, e.g. ``/api/{proxy+}``."""

    method: str
    path: str
    authorization: str
    scopes: tuple[str, ...]
    integration: str
    function: str | None
    mock_headers: Mapping[str, Any]
    mock_status: int


@dataclass(frozen=True)
class Throttle:
    """A stage's method setting: each method it covers takes ``rate`` requests a second, ``burst`` at once."""

    resource: str
    method: str
    rate: float
    burst: int

    def covers(self, resource: str, method: str) -> bool:
        return self.resource in ("/*", resource) and self.method in ("*", method)


@dataclass(frozen=True)
class Blueprint:
    template: dict[str, Any]
    config_text: str

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.of_type(resource_type)
        if len(found) != 1:
            raise ValueError(f"the example stack has {len(found)} {resource_type}; the preview emulates one")
        return next(iter(found.items()))

    def functions(self) -> dict[str, Function]:
        return {
            logical_id: Function(
                logical_id=logical_id,
                handler=props["Handler"],
                environment=(props.get("Environment") or {}).get("Variables", {}),
                timeout=int(props.get("Timeout", 3)),
            )
            for logical_id, props in self.of_type("AWS::Lambda::Function").items()
            if "." in str(props.get("Handler", "")) and not str(props["Handler"]).startswith("index.")
        }

    def notifications(self) -> list[Notification]:
        found = []
        destinations = (("LambdaFunctionConfigurations", "LambdaFunctionArn"), ("QueueConfigurations", "QueueArn"))
        for props in self.of_type("Custom::S3BucketNotifications").values():
            bucket = props["BucketName"]["Ref"]
            for section, arn in destinations:
                for config in props["NotificationConfiguration"].get(section, []):
                    rules = {
                        rule["Name"]: rule["Value"]
                        for rule in config.get("Filter", {}).get("Key", {}).get("FilterRules", [])
                    }
                    found.append(
                        Notification(
                            bucket=bucket,
                            events=tuple(config["Events"]),
                            prefix=rules.get("prefix", ""),
                            suffix=rules.get("suffix", ""),
                            target=config[arn]["Fn::GetAtt"][0],
                            to_queue=section == "QueueConfigurations",
                        )
                    )
        return found

    def queue_consumers(self) -> list[QueueConsumer]:
        """The event source mappings that read SQS queues of the stack (Lambda's default batch size is 10)."""
        queues = self.of_type("AWS::SQS::Queue")
        found = []
        for props in self.of_type("AWS::Lambda::EventSourceMapping").values():
            queue = _first_get_att(props.get("EventSourceArn"))
            if queue not in queues or props.get("Enabled", True) is False:
                continue
            function = props["FunctionName"]
            found.append(
                QueueConsumer(
                    queue=queue,
                    function=function["Ref"] if "Ref" in function else function["Fn::GetAtt"][0],
                    batch_size=int(props.get("BatchSize", 10)),
                )
            )
        return found

    def triggers(self) -> dict[str, str]:
        """Cognito trigger name (``PreSignUp``, ``PreTokenGeneration``...) to the function's logical id."""
        _, pool = self.one("AWS::Cognito::UserPool")
        found = {}
        for name, target in (pool.get("LambdaConfig") or {}).items():
            arn = target.get("LambdaArn", target) if name.endswith("Config") else target
            found[name.removesuffix("Config")] = arn["Fn::GetAtt"][0]
        return found

    def routes(self, api: str) -> list[Route]:
        resources = self.of_type("AWS::ApiGateway::Resource")

        def path_of(reference: Any) -> str:
            if "Fn::GetAtt" in reference:
                return ""
            parent = resources[reference["Ref"]]
            return f"{path_of(parent['ParentId'])}/{parent['PathPart']}"

        found = []
        for props in self.of_type("AWS::ApiGateway::Method").values():
            if props["RestApiId"].get("Ref") != api:
                continue
            integration = props.get("Integration", {})
            response = (integration.get("IntegrationResponses") or [{}])[0]
            found.append(
                Route(
                    method=props["HttpMethod"],
                    path=path_of(props["ResourceId"]) or "/",
                    authorization=props.get("AuthorizationType", "NONE"),
                    scopes=tuple(props.get("AuthorizationScopes", ())),
                    integration=integration.get("Type", ""),
                    function=_first_get_att(integration.get("Uri")),
                    mock_headers=response.get("ResponseParameters", {}),
                    mock_status=int(response.get("StatusCode", 200)),
                )
            )
        return found

    def gateway_responses(self, api: str) -> dict[str, dict[str, Any]]:
        return {
            props["ResponseType"]: props
            for props in self.of_type("AWS::ApiGateway::GatewayResponse").values()
            if props["RestApiId"].get("Ref") == api
        }

    def stage(self, api: str) -> dict[str, Any]:
        """The properties of the API's stage (the preview serves one)."""
        stages = [
            props for props in self.of_type("AWS::ApiGateway::Stage").values() if props["RestApiId"].get("Ref") == api
        ]
        if len(stages) != 1:
            raise ValueError(f"the example stack's API {api} has {len(stages)} stages; the preview serves one")
        return stages[0]

    def throttles(self, api: str) -> list[Throttle]:
        """The stage's method throttling settings, most specific first."""
        found = [
            Throttle(
                resource=str(setting.get("ResourcePath", "/*")).replace("~1", "/"),
                method=str(setting.get("HttpMethod", "*")),
                rate=float(setting["ThrottlingRateLimit"]),
                burst=int(setting.get("ThrottlingBurstLimit", setting["ThrottlingRateLimit"])),
            )
            for setting in self.stage(api).get("MethodSettings", [])
            if "ThrottlingRateLimit" in setting
        ]
        return sorted(found, key=lambda throttle: (throttle.resource == "/*", throttle.method == "*"))

    def config_markers(self) -> dict[str, Any]:
        """The markers BucketDeployment substitutes into ``config.json``, each a CloudFormation expression."""
        for props in self.of_type("Custom::CDKBucketDeployment").values():
            for markers in props.get("SourceMarkers", []):
                if any(marker in self.config_text for marker in markers):
                    return dict(markers)
        return {}


def _first_get_att(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        for inner in value.values():
            found = _first_get_att(inner)
            if found:
                return found
    if isinstance(value, list):
        for inner in value:
            found = _first_get_att(inner)
            if found:
                return found
    return None


class Resolver:
    """Evaluates CloudFormation expressions against the preview's local resources.

    ``names`` maps logical ids to what ``Ref`` returns and ``attribute(logical id, name)`` returns what
    ``Fn::GetAtt`` does; both are read at each call, so resources created later resolve too. Anything else
    the template refers to is an error naming the expression.
    """

    def __init__(
        self,
        *,
        names: Mapping[str, str],
        attribute: Callable[[str, str], str],
        pseudo: Mapping[str, str],
    ) -> None:
        self._names = names
        self._attribute = attribute
        self._pseudo = dict(pseudo)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {key: self(item) for key, item in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            if argument in self._pseudo:
                return self._pseudo[argument]
            if argument in self._names:
                return self._names[argument]
            raise KeyError(f"the preview has no local counterpart for {{'Ref': {argument!r}}}")
        if function == "Fn::GetAtt":
            return self._attribute(argument[0], argument[1])
        if function == "Fn::Join":
            return str(argument[0]).join(str(self(part)) for part in self(argument[1]))
        if function == "Fn::Select":
            return self(argument[1])[int(self(argument[0]))]
        if function == "Fn::Split":
            return str(self(argument[1])).split(argument[0])
        if function == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            variables = {} if isinstance(argument, str) else self(argument[1])

            def value_of(name: str) -> str:
                if name in variables:
                    return str(variables[name])
                return str(self({"Fn::GetAtt": name.split(".", 1)} if "." in name else {"Ref": name}))

            return re.sub(r"\$\{([^}!][^}]*)\}", lambda match: value_of(match.group(1)), text)
        return {function: self(argument)}
