"""The local preview: the emulation seeded from the stack, and one origin serving site, API and Cognito."""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import secrets
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from devportal_constructs._assets import site_dir

from . import sample_api
from .aws import Emulation
from .blueprint import Blueprint, Resolver, load_blueprint
from .cognito import CognitoEmulation
from .functions import FunctionHost, chained
from .gateway import CognitoAuthorizer, RestApi, jwks_from
from .marketplace import simulate_marketplace
from .outbox import STYLES, Outbox
from .state import StateStore

REGION = "us-east-1"
ACCOUNT = "123456789012"
HOST = "127.0.0.1"
ADMIN_EMAIL = "admin@example.com"
_FAKE_CREDENTIALS = {"aws_access_key_id": "preview", "aws_secret_access_key": "preview"}
_log = logging.getLogger("devportal.preview")
_STATEFUL = (
    "AWS::S3::Bucket",
    "AWS::DynamoDB::GlobalTable",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::CloudFront::Distribution",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
)
"""What ``--state`` keeps: each of the stack's resources of these types must have its counterpart restored."""
_QUEUE_SETTINGS = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def _local_name(logical_id: str, prefix: str = "") -> str:
    readable = re.sub(r"[0-9A-F]{8}$", "", logical_id)
    return f"{prefix}{readable}".lower()[:63] if prefix else readable


def _password(policy: Mapping[str, Any]) -> str:
    length = max(int(policy.get("MinimumLength", 8)), 16)
    groups = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "#%+-=@_"]
    chosen = [secrets.choice(group) for group in groups]
    chosen += [secrets.choice(string.ascii_letters + string.digits) for _ in range(length - len(chosen))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


@dataclass
class Preview:
    """A running preview. ``url`` is the portal; ``stop()`` ends every thread and closes every port."""

    url: str
    endpoint: str
    region: str
    admin_email: str
    admin_password: str
    user_pool_id: str
    user_pool_client_id: str
    sample_api_id: str
    buckets: dict[str, str]
    """The ``site`` and ``artifacts`` buckets' names."""
    names: dict[str, str]
    outbox: Outbox
    ledger: sample_api.UsageLedger
    cognito: CognitoEmulation
    _emulation: Emulation
    _server: BaseWSGIServer
    _thread: threading.Thread
    _state: StateStore | None = None
    _stopped: bool = field(default=False)

    def aws(self, service: str) -> Any:
        """A boto3 client for the emulation, as the runtime sees it."""
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint,
            config=Config(retries={"max_attempts": 1}),
            **_FAKE_CREDENTIALS,
        )

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        if self._state is not None:
            self._state.save(self)
        self._emulation.stop()

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_preview(
    *,
    port: int = 0,
    specs: Path | None = None,
    content: Path | None = None,
    state: Path | None = None,
    context: Mapping[str, str] | None = None,
    admin_email: str = ADMIN_EMAIL,
) -> Preview:
    """Start the emulation and the portal on 127.0.0.1:`port` (0 picks a free port) and seed them."""
    for folder, option in ((specs, "--specs"), (content, "--content")):
        if folder is not None and not Path(folder).is_dir():
            raise ValueError(f"{option} {folder}: no such folder; give a folder that exists")
    spec_files = _spec_files(Path(specs)) if specs is not None else {}
    store = StateStore(Path(state)) if state is not None else None
    blueprint = load_blueprint(context)
    # One line per request to moto and to the portal would bury what the preview prints.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    outbox = Outbox()
    emulation = Emulation(outbox=outbox, region=REGION, account=ACCOUNT)
    emulation.start()
    try:
        front = _Front()
        server = make_server(HOST, port, front, threaded=True)
    except OSError as failure:
        emulation.stop()
        raise ValueError(f"port {port} on {HOST} is taken ({failure.strerror}); pass another --port, or 0") from None
    origin = f"http://{HOST}:{server.server_port}"
    try:
        preview = _seed(
            blueprint=blueprint,
            emulation=emulation,
            server=server,
            front=front,
            origin=origin,
            outbox=outbox,
            specs=spec_files,
            content=content,
            store=store,
            admin_email=admin_email,
        )
    except BaseException:
        server.server_close()
        emulation.stop()
        raise
    return preview


def _seed(
    *,
    blueprint: Blueprint,
    emulation: Emulation,
    server: BaseWSGIServer,
    front: _Front,
    origin: str,
    outbox: Outbox,
    specs: Mapping[str, Path],
    content: Path | None,
    store: StateStore | None,
    admin_email: str,
) -> Preview:
    session = boto3.Session(region_name=REGION, **_FAKE_CREDENTIALS)

    def aws(service: str) -> Any:
        return session.client(service, endpoint_url=emulation.endpoint, config=Config(retries={"max_attempts": 1}))

    restored = store.load(outbox) if store is not None else None
    names: dict[str, str] = {} if restored is None else dict(restored["names"])
    functions = blueprint.functions()
    for logical_id in functions:
        names.setdefault(logical_id, logical_id)
    api_logical, _ = blueprint.one("AWS::ApiGateway::RestApi")
    names.setdefault(api_logical, "portalapi")
    host_port = origin.removeprefix("http://")
    resolve = Resolver(
        names=names,
        attribute=_attributes(blueprint, names, host_port),
        pseudo={
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "DevPortalStack",
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/DevPortalStack/"
            "00000000-0000-0000-0000-000000000000",
            "AWS::NoValue": "",
        },
    )

    def local(value: Any) -> Any:
        """`value` resolved, with the portal's AWS address (https on the distribution) replaced by this origin."""
        resolved = resolve(value)
        if isinstance(resolved, str):
            return resolved.replace(f"https://{host_port}", origin)
        if isinstance(resolved, list):
            return [local(item) for item in resolved]
        if isinstance(resolved, dict):
            return {key: local(item) for key, item in resolved.items()}
        return resolved

    pool_logical, pool_props = blueprint.one("AWS::Cognito::UserPool")
    client_logical, _ = blueprint.one("AWS::Cognito::UserPoolClient")
    pool_props = local({key: value for key, value in pool_props.items() if key != "LambdaConfig"})
    if restored is None:
        _create_resources(blueprint, aws, names, origin, pool_props, local)
    elif missing := sorted(
        logical_id for kind in _STATEFUL for logical_id in blueprint.of_type(kind) if logical_id not in names
    ):
        assert store is not None
        raise ValueError(
            f"--state {store.folder}: it holds the data of another version of the stack, without "
            f"{', '.join(missing)}; give an empty folder, or delete this one"
        )
    else:
        sqs = aws("sqs")
        for logical_id in blueprint.of_type("AWS::SQS::Queue"):  # a queue's URL names the emulation's port
            names[logical_id] = sqs.get_queue_url(QueueName=names[logical_id].rsplit("/", 1)[-1])["QueueUrl"]

    environments = {
        logical_id: {key: str(local(value)) for key, value in function.environment.items()}
        for logical_id, function in functions.items()
    }
    host = FunctionHost(
        functions,
        environments,
        aws_environment={
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": _FAKE_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": _FAKE_CREDENTIALS["aws_secret_access_key"],
            "AWS_ENDPOINT_URL": emulation.endpoint,
        },
        arn=lambda logical_id: str(resolve({"Fn::GetAtt": [logical_id, "Arn"]})),
        names=names,
    )
    pool_id = names[pool_logical]
    cognito = CognitoEmulation(
        host=host,
        outbox=outbox,
        pool_id=pool_id,
        pool_definition=pool_props,
        triggers=blueprint.triggers(),
        region=REGION,
        account=ACCOUNT,
    )
    ledger = sample_api.UsageLedger()
    if restored is not None:
        ledger.load(restored.get("usage", []))
    apigateway = aws("apigateway")
    extensions = emulation.app
    extensions.functions = host
    extensions.cognito = cognito
    extensions.usage = lambda plan_id, query: _get_usage(apigateway, ledger, plan_id, query)
    extensions.sqs = chained(aws("sqs"))
    extensions.queues = {logical_id: names[logical_id] for logical_id in blueprint.of_type("AWS::SQS::Queue")}
    extensions.consumers = {}
    for consumer in blueprint.queue_consumers():
        extensions.consumers.setdefault(names[consumer.queue].rsplit("/", 1)[-1], []).append(consumer)
    extensions.notifications = {}
    for notification in blueprint.notifications():
        extensions.notifications.setdefault(names[notification.bucket], []).append(notification)
    for props in blueprint.of_type("AWS::SNS::Subscription").values():
        if props.get("Protocol") == "email":
            extensions.email_subscriptions.setdefault(local(props["TopicArn"]), []).append(local(props["Endpoint"]))

    site_bucket = _bucket_of(functions, names, "SITE_BUCKET")
    artifacts_bucket = _bucket_of(functions, names, "ARTIFACTS_BUCKET")
    s3 = aws("s3")
    _seed_content(s3, site_bucket, content, overwrite_defaults=restored is None)

    sample_api_id = restored["sampleApiId"] if restored is not None else sample_api.create_sample_api(apigateway)
    extensions.export = lambda api_id, stage, export_type, query, accept: _get_export(
        sample_api_id, origin, api_id, stage, export_type, query, accept
    )
    marketplace = simulate_marketplace(
        blueprint=blueprint,
        names=names,
        aws=aws,
        extensions=extensions,
        sample_api_id=sample_api_id,
        restored=restored is not None,
    )
    # The catalog updater reads its queue in batches: one batch for all the specs published at start.
    with extensions.batched():
        if restored is None:
            for stage in sample_api.STAGES:
                document = sample_api.openapi_document(api_id=sample_api_id, stage=stage, base_url=origin)
                s3.put_object(
                    Bucket=artifacts_bucket,
                    Key=f"catalog/{sample_api_id}_{stage}.json",
                    Body=json.dumps(document, indent=2).encode(),
                    ContentType="application/json",
                )
        for key, path in specs.items():
            s3.put_object(Bucket=artifacts_bucket, Key=key, Body=path.read_bytes())

    client_id = names[client_logical]
    if restored is None:
        admin_password = _password(pool_props.get("Policies", {}).get("PasswordPolicy", {}))
        _seed_admin(aws("cognito-idp"), pool_id, admin_email, admin_password)
    else:
        admin_email, admin_password = restored["admin"]

    rest_api = RestApi(
        routes=[
            replace(route, mock_headers={name: local(value) for name, value in route.mock_headers.items()})
            for route in blueprint.routes(api_logical)
        ],
        throttles=blueprint.throttles(api_logical),
        gateway_responses={
            kind: {
                **props,
                "ResponseParameters": {k: local(v) for k, v in (props.get("ResponseParameters") or {}).items()},
            }
            for kind, props in blueprint.gateway_responses(api_logical).items()
        },
        authorizer=CognitoAuthorizer(pool_ids=[pool_id], region=REGION, jwks=jwks_from(emulation.endpoint, REGION)),
        invoke=host.invoke,
        api_id=names[api_logical],
        stage=blueprint.stage(api_logical).get("StageName", "prod"),
        account=ACCOUNT,
    )

    front.configure(
        config=_config(blueprint, local, origin),
        headers=_security_headers(blueprint, local),
        rest_api=rest_api,
        sample=sample_api.SampleApi(apigateway=apigateway, api_id=sample_api_id, ledger=ledger),
        s3=s3,
        site_bucket=site_bucket,
        outbox=outbox,
        emulation=emulation,
        marketplace=marketplace,
        summary={
            "endpoint": emulation.endpoint,
            "region": REGION,
            "userPoolId": pool_id,
            "userPoolClientId": client_id,
            "sampleApiId": sample_api_id,
            "admin": {"email": admin_email},
            "buckets": {"site": site_bucket, "artifacts": artifacts_bucket},
            "tables": {logical_id: names[logical_id] for logical_id in blueprint.of_type("AWS::DynamoDB::GlobalTable")},
        },
    )
    thread = threading.Thread(target=server.serve_forever, name="devportal-preview", daemon=True)
    thread.start()
    return Preview(
        url=origin,
        endpoint=emulation.endpoint,
        region=REGION,
        admin_email=admin_email,
        admin_password=admin_password,
        user_pool_id=pool_id,
        user_pool_client_id=client_id,
        sample_api_id=sample_api_id,
        buckets={"site": site_bucket, "artifacts": artifacts_bucket},
        names=names,
        outbox=outbox,
        ledger=ledger,
        cognito=cognito,
        _emulation=emulation,
        _server=server,
        _thread=thread,
        _state=store,
    )


def _bucket_of(functions: Mapping[str, Any], names: Mapping[str, str], variable: str) -> str:
    """The bucket the functions know as `variable`, the way the stack wires it."""
    for function in functions.values():
        value = function.environment.get(variable)
        if isinstance(value, dict) and "Ref" in value:
            return names[value["Ref"]]
    raise ValueError(f"no function of the example stack is given {variable}; the preview cannot find that bucket")


def _attributes(blueprint: Blueprint, names: Mapping[str, str], host_port: str) -> Any:
    """What ``Fn::GetAtt`` returns for the preview's counterparts of the stack's resources."""
    resources = blueprint.template["Resources"]

    def attribute(logical_id: str, name: str) -> str:
        kind = resources.get(logical_id, {}).get("Type")
        local = names.get(logical_id, "")
        arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:"
        found = {
            ("AWS::Lambda::Function", "Arn"): arn.format("lambda") + f"function:{local}",
            ("AWS::S3::Bucket", "Arn"): f"arn:aws:s3:::{local}",
            ("AWS::DynamoDB::GlobalTable", "Arn"): arn.format("dynamodb") + f"table/{local}",
            ("AWS::DynamoDB::Table", "Arn"): arn.format("dynamodb") + f"table/{local}",
            ("AWS::Cognito::UserPool", "Arn"): arn.format("cognito-idp") + f"userpool/{local}",
            ("AWS::SNS::Topic", "TopicArn"): local,
            ("AWS::SQS::Queue", "Arn"): arn.format("sqs") + local.rsplit("/", 1)[-1],
            ("AWS::SQS::Queue", "QueueName"): local.rsplit("/", 1)[-1],
            ("AWS::SQS::Queue", "QueueUrl"): local,
            ("AWS::CloudFront::Distribution", "DomainName"): host_port,
            ("AWS::ApiGateway::RestApi", "RootResourceId"): "root",
        }.get((kind, name))
        if found is None or (not local and kind != "AWS::CloudFront::Distribution"):
            raise KeyError(f"the preview has no local counterpart for {{'Fn::GetAtt': {[logical_id, name]!r}}}")
        return found

    return attribute


def _create_resources(
    blueprint: Blueprint,
    aws: Any,
    names: dict[str, str],
    origin: str,
    pool_props: Mapping[str, Any],
    local: Any,
) -> None:
    s3 = aws("s3")
    for logical_id, props in blueprint.of_type("AWS::S3::Bucket").items():
        name = _local_name(logical_id, "devportal-")
        s3.create_bucket(Bucket=name)
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        names[logical_id] = name

    sqs = aws("sqs")
    queues = blueprint.of_type("AWS::SQS::Queue")
    for logical_id, props in queues.items():
        fifo = bool(props.get("FifoQueue"))
        name = (
            str(local(props["QueueName"]))
            if "QueueName" in props
            else _local_name(logical_id) + (".fifo" if fifo else "")
        )
        settings = {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in _QUEUE_SETTINGS
            if key in props
        }
        names[logical_id] = sqs.create_queue(QueueName=name, Attributes=settings)["QueueUrl"]
    for logical_id, props in queues.items():
        if props.get("RedrivePolicy"):
            # A queue's dead-letter queue must exist first, so the redrive policy comes once all do.
            policy = local(props["RedrivePolicy"])
            sqs.set_queue_attributes(QueueUrl=names[logical_id], Attributes={"RedrivePolicy": json.dumps(policy)})

    dynamodb = aws("dynamodb")
    for logical_id, props in blueprint.of_type("AWS::DynamoDB::GlobalTable").items():
        name = _local_name(logical_id)
        extra: dict[str, Any] = {}
        if props.get("GlobalSecondaryIndexes"):
            extra["GlobalSecondaryIndexes"] = [
                {key: value for key, value in index.items() if key in ("IndexName", "KeySchema", "Projection")}
                for index in props["GlobalSecondaryIndexes"]
            ]
        if props.get("StreamSpecification"):
            extra["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        dynamodb.create_table(
            TableName=name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )
        names[logical_id] = name

    sns = aws("sns")
    for logical_id in blueprint.of_type("AWS::SNS::Topic"):
        names[logical_id] = sns.create_topic(Name=_local_name(logical_id))["TopicArn"]

    cloudfront = aws("cloudfront")
    for logical_id in blueprint.of_type("AWS::CloudFront::Distribution"):
        # Functions invalidate the distribution after changing the site; moto records the invalidations.
        origin_id = "site"
        names[logical_id] = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": logical_id,
                "Comment": "Developer portal (preview)",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": origin_id,
                            "DomainName": "site.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": origin_id,
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "MinTTL": 0,
                    "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                },
            }
        )["Distribution"]["Id"]

    cognito = aws("cognito-idp")
    pool_logical, _ = blueprint.one("AWS::Cognito::UserPool")
    client_logical, client_props = blueprint.one("AWS::Cognito::UserPoolClient")
    pool_settings = {
        key: pool_props[key]
        for key in (
            "Policies",
            "AutoVerifiedAttributes",
            "UsernameAttributes",
            "UsernameConfiguration",
            "VerificationMessageTemplate",
            "EmailVerificationMessage",
            "EmailVerificationSubject",
            "AdminCreateUserConfig",
            "AccountRecoverySetting",
            "MfaConfiguration",
            "UserAttributeUpdateSettings",
        )
        if key in pool_props
    }
    pool_settings["Schema"] = [
        {
            "Name": item["Name"],
            "Required": item.get("Required", False),
            "Mutable": item.get("Mutable", True),
            "AttributeDataType": item.get("AttributeDataType", "String"),
        }
        for item in pool_props.get("Schema", [])
    ]
    pool_id = cognito.create_user_pool(PoolName="devportal-preview", **pool_settings)["UserPool"]["Id"]
    names[pool_logical] = pool_id
    callback_urls = [f"{origin}/"]
    client_settings = {
        key: client_props[key]
        for key in (
            "ExplicitAuthFlows",
            "GenerateSecret",
            "AccessTokenValidity",
            "IdTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "AllowedOAuthFlowsUserPoolClient",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
            "SupportedIdentityProviders",
        )
        if key in client_props
    }
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="WebClient",
        CallbackURLs=callback_urls,
        LogoutURLs=callback_urls,
        **client_settings,
    )["UserPoolClient"]
    names[client_logical] = client["ClientId"]
    for logical_id, props in blueprint.of_type("AWS::Cognito::UserPoolGroup").items():
        cognito.create_group(
            UserPoolId=pool_id,
            GroupName=props["GroupName"],
            Description=props.get("Description", ""),
            Precedence=int(props.get("Precedence", 0)),
        )
        names[logical_id] = props["GroupName"]


def _seed_content(s3: Any, bucket: str, overlay: Path | None, *, overwrite_defaults: bool) -> None:
    """The stack's seed-once custom content, then the operator's overlay on top, as the site bucket holds them."""
    defaults = site_dir() / "custom-content"
    existing = set()
    if not overwrite_defaults:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="custom-content/"):
            existing.update(item["Key"] for item in page.get("Contents", []))
    for root, overwrite in ((defaults, overwrite_defaults), (overlay, True)):
        if root is None:
            continue
        for path in sorted(Path(root).rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            key = f"custom-content/{path.relative_to(root).as_posix()}"
            if not overwrite and key in existing:
                continue
            content_type = mimetypes.guess_type(path.name)[0] or (
                "text/markdown" if path.suffix == ".md" else "application/octet-stream"
            )
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type)


def _spec_files(folder: Path) -> dict[str, Path]:
    """The artifacts bucket key of each OpenAPI file in `folder`, its subfolders kept as key prefixes."""
    found = {
        f"catalog/{path.relative_to(folder).as_posix()}": path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in (".json", ".yaml", ".yml") and not path.name.startswith(".")
    }
    if not found:
        raise ValueError(f"--specs {folder}: no .json, .yaml or .yml files in it; put OpenAPI files there")
    return found


def _seed_admin(cognito: Any, pool_id: str, email: str, password: str) -> None:
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="admins")


def _get_usage(apigateway: Any, ledger: sample_api.UsageLedger, plan_id: str, query: Mapping[str, list[str]]) -> Any:
    if "startDate" not in query or "endDate" not in query:
        return 400, {"message": "startDate and endDate are required (YYYY-MM-DD)."}, "BadRequestException"
    try:
        plan = apigateway.get_usage_plan(usagePlanId=plan_id)
    except ClientError:
        return 404, {"message": "Invalid Usage Plan ID specified"}, "NotFoundException"
    return 200, ledger.get_usage(plan, query), None


def _get_export(
    sample_api_id: str,
    origin: str,
    api_id: str,
    stage: str,
    export_type: str,
    query: Mapping[str, list[str]],
    accept: str,
) -> tuple[int, dict[str, str], bytes] | None:
    if api_id != sample_api_id or stage not in sample_api.STAGES:
        return None
    try:
        media_type, body, filename = sample_api.export(
            api_id=api_id,
            stage=stage,
            export_type=export_type,
            extensions=",".join(query.get("extensions", [])),
            accept=accept,
            base_url=origin,
        )
    except sample_api.ExportRefused as refused:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": refused.error_type}
        return refused.status, headers, json.dumps({"message": str(refused)}).encode()
    return 200, {"Content-Type": media_type, "Content-Disposition": f'attachment; filename="{filename}"'}, body


def _config(blueprint: Blueprint, local: Any, origin: str) -> dict[str, Any]:
    """The stack's config.json, its values resolved locally, the AWS endpoints replaced by this origin's."""
    text = blueprint.config_text
    for marker, expression in blueprint.config_markers().items():
        text = text.replace(marker, local(expression))
    config = json.loads(text) if text else {}
    config.update(
        cognitoDomain=f"{origin}/_preview/cognito-domain",
        cognitoIdpEndpoint=f"{origin}/cognito-idp/",
        apiUrl=f"{origin}/api",
        websiteUrl=origin,
    )
    return dict(config)


def _security_headers(blueprint: Blueprint, local: Any) -> dict[str, str]:
    """The stack's response headers policy, with the AWS origins in the CSP replaced by 'self'."""
    policies = blueprint.of_type("AWS::CloudFront::ResponseHeadersPolicy")
    if not policies:
        return {}
    security = next(iter(policies.values()))["ResponseHeadersPolicyConfig"].get("SecurityHeadersConfig", {})
    headers = {}
    csp = security.get("ContentSecurityPolicy", {}).get("ContentSecurityPolicy")
    if csp:
        directives = []
        for directive in local(csp).split(";"):
            parts = directive.split()
            if not parts or parts[0] == "upgrade-insecure-requests":
                continue  # the preview speaks plain HTTP on 127.0.0.1
            kept = [part for part in parts[1:] if not part.startswith("https://")]
            directives.append(" ".join([parts[0], *kept]))
        headers["Content-Security-Policy"] = "; ".join(directives)
    if "ContentTypeOptions" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in security:
        headers["X-Frame-Options"] = security["FrameOptions"].get("FrameOption", "DENY")
    if "ReferrerPolicy" in security:
        headers["Referrer-Policy"] = security["ReferrerPolicy"].get("ReferrerPolicy", "no-referrer")
    return headers


class _Front:
    """The preview's single origin."""

    def __init__(self) -> None:
        self._ready = threading.Event()

    def configure(self, **parts: Any) -> None:
        self.__dict__.update(parts)
        self._site = site_dir() / "public"
        self._ready.set()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not self._ready.wait(30):
            return Response("The preview is still starting.", status=503)(environ, start_response)
        request = Request(environ)
        try:
            response = self.route(request, environ)
        except Exception:
            _log.exception("the preview failed to answer %s %s", request.method, request.path)
            response = Response(json.dumps({"message": "The preview failed; see its console."}), status=500)
        return response(environ, start_response)

    def route(self, request: Request, environ: dict[str, Any]) -> Response:
        path = request.path
        if path == "/config.json":
            return self._site_response(Response(json.dumps(self.config), content_type="application/json"))
        if path == "/cognito-idp/" or path == "/cognito-idp":
            return self._cognito(request, environ)
        if path == "/api" or path.startswith("/api/"):
            return self.rest_api(request, path)
        if path.startswith("/sample-api/"):
            _, _, rest = path.partition("/sample-api/")
            stage, _, inner = rest.partition("/")
            return self.sample(request, stage, "/" + inner)
        if path.startswith("/_preview/marketplace") and self.marketplace is not None:
            return self.marketplace(request)
        if path.startswith("/_preview/"):
            return self._preview_pages(path)
        if path.startswith("/custom-content/"):
            return self._site_response(self._custom_content(path.removeprefix("/")))
        return self._site_response(self._static(path))

    def _cognito(self, request: Request, environ: dict[str, Any]) -> Response:
        forwarded = {
            key: value
            for key, value in environ.items()
            if not key.startswith("HTTP_") or key in ("HTTP_X_AMZ_TARGET", "HTTP_CONTENT_TYPE", "HTTP_X_AMZ_USER_AGENT")
        }
        forwarded.update(
            PATH_INFO="/",
            HTTP_HOST=f"cognito-idp.{REGION}.amazonaws.com",
            HTTP_X_AMZ_TARGET=request.headers.get("X-Amz-Target", ""),
        )
        status, headers, body = self.emulation.app.handle(forwarded, request.get_data())
        kept = {
            k: v for k, v in headers.items() if k.lower() in ("content-type", "x-amzn-errortype", "x-amzn-requestid")
        }
        return Response(body, status=status, headers=kept)

    def _preview_pages(self, path: str) -> Response:
        if path == "/_preview/outbox.json":
            return Response(json.dumps(self.outbox.to_json()), content_type="application/json")
        if path == "/_preview/outbox":
            return Response(self.outbox.page(), content_type="text/html; charset=utf-8")
        if path == "/_preview/outbox.css":
            return Response(STYLES, content_type="text/css")
        if path == "/_preview/emulation.json":
            return Response(json.dumps(self.summary), content_type="application/json")
        if path.startswith("/_preview/cognito-domain"):
            message = (
                "<!doctype html><title>Managed login</title><h1>Managed login is not emulated</h1>"
                "<p>The local preview has no Cognito hosted domain. Sign in with the portal's own form.</p>"
            )
            return Response(message, status=501, content_type="text/html; charset=utf-8")
        return self._not_found()

    def _custom_content(self, key: str) -> Response:
        try:
            found = self.s3.get_object(Bucket=self.site_bucket, Key=key)
        except ClientError:
            return self._not_found()
        return Response(
            found["Body"].read(),
            content_type=found.get("ContentType") or mimetypes.guess_type(key)[0] or "application/octet-stream",
            headers={"Cache-Control": "no-cache"},
        )

    def _static(self, path: str) -> Response:
        name = path.rsplit("/", 1)[-1]
        # CloudFront's viewer function: extension-less paths are the single-page app's routes.
        relative = "index.html" if "." not in name else path.lstrip("/")
        target = (self._site / relative).resolve()
        if not target.is_file() or self._site.resolve() not in target.parents:
            return self._not_found()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return Response(target.read_bytes(), content_type=content_type, headers={"Cache-Control": "no-cache"})

    def _not_found(self) -> Response:
        page = self._site / "404.html"
        body = page.read_bytes() if page.is_file() else b"Not found"
        return Response(body, status=404, content_type="text/html; charset=utf-8")

    def _site_response(self, response: Response) -> Response:
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response
