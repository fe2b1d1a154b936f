"""`devportal catalog`: validate API specs, and publish them to a deployed portal or the local preview.

    devportal catalog validate specs/
    devportal catalog publish specs/*.yaml --stack DevPortalStack
    devportal catalog publish specs/ --bucket artifacts --endpoint-url http://127.0.0.1:4566   # the preview

Files are checked by the same code the portal's catalog updater runs, so a file that validates here is a
file the portal publishes. A file named ``{apiId}_{stage}.json|yaml|yml`` documents that API Gateway stage;
any other name is a generic API. Each file is uploaded to ``catalog/{file name}`` in the artifacts bucket.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ._assets import runtime_dir

SUFFIXES = (".json", ".yaml", ".yml")
OUTPUT_NAME = "ArtifactsBucketName"
BAR_WIDTH = 30


class CliError(Exception):
    """A problem the operator can fix; the message says how."""


@dataclass
class Checked:
    path: Path
    key: str
    kind: str
    title: str = ""
    error: str = ""


def _runtime() -> Any:
    """The portal's own spec reader, from the Lambda sources shipped with this package."""
    path = str(runtime_dir())
    if path not in sys.path:
        sys.path.append(path)
    from portal_common import catalog, specs

    return catalog, specs


def _files(arguments: Sequence[str]) -> list[Path]:
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(sorted(item for item in path.rglob("*") if item.is_file() and item.suffix.lower() in SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise CliError(f"{argument}: no such file or folder; give the spec files or a folder holding them.")
    if not found:
        raise CliError(f"No .json, .yaml or .yml files in {', '.join(arguments)}.")
    return found


def check(paths: Sequence[Path]) -> list[Checked]:
    """Validate each file as the catalog updater will, under the key it will be published at."""
    catalog, specs = _runtime()
    results: list[Checked] = []
    owners: dict[str, Path] = {}
    for path in paths:
        key = f"{catalog.CATALOG_PREFIX}{path.name}"
        result = Checked(path=path, key=key, kind="API Gateway stage" if catalog.managed_stage(key) else "generic")
        if path.suffix.lower() not in SUFFIXES:
            result.error = f"{path.name} does not end .json, .yaml or .yml, so the portal would ignore it."
        elif key in owners:
            result.error = f"{path} and {owners[key]} would both be published as {key}; rename one."
        else:
            try:
                loaded = specs.load_spec(path.name, path.read_bytes(), managed=catalog.managed_stage(key) is not None)
                result.title = loaded.summary.title
            except specs.SpecError as error:
                result.error = str(error)
            except OSError as error:
                result.error = f"{path}: cannot read it ({error.strerror})."
        owners.setdefault(key, path)
        results.append(result)
    return results


def _report(results: Sequence[Checked], out: TextIO) -> int:
    for result in results:
        if result.error:
            print(f"  invalid  {result.path}: {result.error}", file=out)
        else:
            print(f"  ok       {result.path}: {result.title} ({result.kind})", file=out)
    invalid = sum(1 for result in results if result.error)
    print(f"{len(results) - invalid} valid, {invalid} invalid.", file=out)
    return invalid


def _clients(args: argparse.Namespace) -> tuple[Any, Any]:
    import boto3

    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    extra = {} if args.endpoint_url is None else {"endpoint_url": args.endpoint_url}
    return session.client("s3", **extra), session.client("cloudformation", **extra)


def artifacts_bucket(cloudformation: Any, stack: str) -> str:
    """The bucket the stack's portal keeps specs in, from its ``ArtifactsBucketName`` output."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        message = error.response["Error"].get("Message", "")
        if "does not exist" in message:
            region = cloudformation.meta.region_name
            raise CliError(f"Stack {stack!r} does not exist in {region}; check --stack and --region.") from None
        raise CliError(f"Could not read stack {stack!r}: {message}") from None
    outputs = [item for item in stacks[0].get("Outputs", []) if item["OutputKey"].endswith(OUTPUT_NAME)]
    if not outputs:
        raise CliError(f"Stack {stack!r} has no {OUTPUT_NAME} output; is it a stack with a DevPortal in it?")
    if len(outputs) > 1:
        names = ", ".join(item["OutputValue"] for item in outputs)
        raise CliError(f"Stack {stack!r} holds several portals ({names}); choose one with --bucket.")
    return outputs[0]["OutputValue"]


class Progress:
    """A bar on a terminal; one line per file elsewhere, so CI logs stay readable."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.done, self.out = total, 0, out
        self.tty = out.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        if self.tty:
            filled = BAR_WIDTH * self.done // self.total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            end = "\n" if self.done == self.total else ""
            print(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40}", end=end, file=self.out, flush=True)
        else:
            print(f"  [{self.done}/{self.total}] uploaded {label}", file=self.out)


def publish(args: argparse.Namespace, out: TextIO) -> int:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    results = check(_files(args.files))
    invalid = _report(results, out)
    if invalid and not args.skip_invalid:
        print("Nothing was uploaded: fix the invalid files, or pass --skip-invalid to upload the others.", file=out)
        return 1
    valid = [result for result in results if not result.error]
    if not valid:
        print("Nothing to upload.", file=out)
        return 1
    try:
        s3, cloudformation = _clients(args)
        bucket = args.bucket if args.bucket is not None else artifacts_bucket(cloudformation, args.stack)
        progress = Progress(len(valid), out)
        for result in valid:
            content_type = "application/json" if result.path.suffix.lower() == ".json" else "application/yaml"
            s3.put_object(Bucket=bucket, Key=result.key, Body=result.path.read_bytes(), ContentType=content_type)
            progress.step(result.key)
    except NoCredentialsError:
        raise CliError("No AWS credentials found; configure a profile (--profile) or set AWS_* variables.") from None
    except ClientError as error:
        detail = error.response["Error"].get("Message") or error.response["Error"]["Code"]
        raise CliError(f"Upload refused: {detail}. Check the bucket name and your permissions.") from None
    except BotoCoreError as error:
        raise CliError(f"Could not reach AWS: {error}") from None
    skipped = f", {invalid} invalid skipped" if invalid else ""
    print(
        f"Published {len(valid)} file(s) to s3://{bucket}/catalog/{skipped}. "
        "The portal's catalog shows them within a minute; its admin page lists any the portal refused.",
        file=out,
    )
    return 1 if invalid else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devportal catalog", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{validate,publish}")
    validate = commands.add_parser("validate", help="check spec files as the portal will")
    validate.add_argument("files", nargs="+", metavar="FILE", help="spec files, or folders holding them")
    upload = commands.add_parser("publish", help="validate spec files, then upload them to a portal")
    upload.add_argument("files", nargs="+", metavar="FILE", help="spec files, or folders holding them")
    target = upload.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="the stack holding the portal; its ArtifactsBucketName output is used")
    target.add_argument("--bucket", help="the artifacts bucket itself (the local preview prints its name)")
    upload.add_argument("--region", help="the stack's region. Default: your AWS configuration's")
    upload.add_argument("--profile", help="the AWS profile to use. Default: your AWS configuration's")
    upload.add_argument(
        "--endpoint-url", help="an AWS emulation to talk to instead of AWS, such as the local preview's"
    )
    upload.add_argument("--skip-invalid", action="store_true", help="upload the valid files even if some are not")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    out = sys.stdout
    try:
        if args.command == "validate":
            return 1 if _report(check(_files(args.files)), out) else 0
        return publish(args, out)
    except CliError as error:
        print(f"devportal catalog: {error}", file=sys.stderr)
        return 2
