"""The `devportal` command: synthesize and summarize, preview locally, and operate a deployed portal."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each subcommand lives in its own module and is imported only when used, so `devportal --help` stays fast.
_SUBCOMMANDS = {
    "synth": ("devportal_constructs.synth", "Synthesize the example stack into cdk.out and summarize it."),
    "preview": ("devportal_constructs.preview.cli", "Run the whole portal on this machine, on an AWS emulation."),
    "catalog": ("devportal_constructs.catalog_cli", "Validate API specs and publish them to a portal."),
    "marketplace": ("devportal_constructs.marketplace_cli", "Link usage plans to AWS Marketplace products."),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="devportal", description=__doc__)
    parser.add_argument("command", choices=sorted(_SUBCOMMANDS), help="what to do")
    if not args or args[0] in ("-h", "--help"):
        parser.print_help()
        print("\ncommands:")
        for name, (_, summary) in sorted(_SUBCOMMANDS.items()):
            print(f"  {name:<10} {summary}")
        return 0 if args else 2
    if args[0] not in _SUBCOMMANDS:
        parser.error(f"unknown command {args[0]!r}; choose one of {', '.join(sorted(_SUBCOMMANDS))}")
    module = importlib.import_module(_SUBCOMMANDS[args[0]][0])
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
