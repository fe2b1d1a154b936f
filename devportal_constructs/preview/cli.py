"""``devportal preview``: run the portal locally until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import warnings
from pathlib import Path

from .server import HOST


def _context(pair: str) -> tuple[str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{pair!r}: write KEY=VALUE, e.g. AccountRegistrationMode=request")
    return key, value


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: give a port from 1 to 65535, or 0 for a free one")
    return int(text)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devportal preview",
        description="Run the whole developer portal on this machine, on an embedded AWS emulation. "
        f"Everything listens on {HOST} only.",
    )
    parser.add_argument("--port", type=_port, default=8080, help="the portal's port (default 8080; 0 picks a free one)")
    parser.add_argument(
        "--specs", type=Path, metavar="DIR", help="a folder of OpenAPI files to publish into the catalog"
    )
    parser.add_argument(
        "--content", type=Path, metavar="DIR", help="a folder laid over custom-content (logo, Markdown fragments)"
    )
    parser.add_argument(
        "--state", type=Path, metavar="DIR", help="keep the emulation's data in this folder between runs"
    )
    parser.add_argument(
        "--context",
        "-c",
        type=_context,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context key of the example stack, e.g. -c AccountRegistrationMode=request (repeatable)",
    )
    parser.add_argument("--admin-email", default="admin@example.com", help="the seeded admin's email")
    return parser


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("devportal.preview").setLevel(logging.INFO)
    # Lambda logs this for functions that publish no metric in an invocation; here it only buries the URL.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from .server import start_preview

    print("Starting the local preview...", flush=True)
    try:
        preview = start_preview(
            port=args.port,
            specs=args.specs,
            content=args.content,
            state=args.state,
            context=dict(args.context),
            admin_email=args.admin_email,
        )
    except ValueError as problem:
        print(f"devportal preview: {problem}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(
        f"\nThe developer portal is running at {preview.url}\n"
        f"  Sign in as {preview.admin_email} with the password {preview.admin_password}\n"
        f"  Outbox (emails the portal would send): {preview.url}/_preview/outbox\n"
        f"  Sample API: {preview.url}/sample-api/prod/pets (send an API key as x-api-key)\n"
        f"  AWS emulation: {preview.endpoint} (region {preview.region})\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    stop.wait()
    print("Stopping...", flush=True)
    preview.stop()
    if args.state is not None:
        print(f"State saved in {args.state}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
