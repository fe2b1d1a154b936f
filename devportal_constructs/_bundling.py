"""One Lambda bundle for every function, built on this machine without Docker and cached by content hash.

The bundle holds the pinned dependencies from runtime/requirements.txt, installed for the Lambda platform
(arm64, the runtime's Python), and the runtime/ sources. Its hash covers the sources, the pins and the target
platform, so a second synth with nothing changed neither runs pip nor copies a byte it need not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ._assets import runtime_dir

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64
_PYTHON_VERSION = "3.14"
_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
_LOCK_FILE = "requirements.txt"
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
CACHE_ENV = "DEVPORTAL_BUNDLE_CACHE"
_COMPLETE_MARKER = ".complete"


def _source_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not _SKIPPED_PARTS.intersection(path.relative_to(root).parts)
        and not path.name.endswith(_SKIPPED_SUFFIXES)
    )


def bundle_hash(root: Path | None = None) -> str:
    """The content hash of the bundle that `root` (default: runtime/) builds."""
    root = runtime_dir() if root is None else root
    digest = hashlib.sha256()
    digest.update(f"{_PYTHON_VERSION}|{'|'.join(_PLATFORMS)}|v1".encode())
    for path in _source_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "devportal-constructs" / "bundles"


def pip_install_command(requirements: Path, target: Path) -> list[str]:
    command = [sys.executable, "-m", "pip", "install", "--requirement", str(requirements)]
    command += ["--target", str(target), "--implementation", "cp", "--python-version", _PYTHON_VERSION]
    for platform in _PLATFORMS:
        command += ["--platform", platform]
    command += ["--only-binary=:all:", "--no-compile", "--disable-pip-version-check", "--quiet"]
    return command


def build_bundle(root: Path, destination: Path) -> None:
    """Install the pinned dependencies and copy the sources of `root` into `destination`."""
    requirements = root / _LOCK_FILE
    destination.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(pip_install_command(requirements, destination), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"Building the Lambda bundle failed: pip could not install {requirements} for "
            f"Python {_PYTHON_VERSION} on arm64. Check that every pin has a wheel for that platform.\n"
            f"{result.stderr.strip()}"
        )
    for path in _source_files(root):
        relative = path.relative_to(root)
        if relative.name.startswith("requirements."):
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def cached_bundle(root: Path) -> Path:
    """The cached bundle for `root`, built first when the cache does not hold it yet."""
    entry = cache_root() / bundle_hash(root)
    if (entry / _COMPLETE_MARKER).exists():
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=entry.parent))
    try:
        build_bundle(root, staging)
        (staging / _COMPLETE_MARKER).write_text("")
        try:
            staging.rename(entry)
        except OSError:
            # Another synth finished the same bundle first; its copy is as good as ours.
            if not (entry / _COMPLETE_MARKER).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entry


@jsii.implements(ILocalBundling)
class _LocalPythonBundling:
    def __init__(self, root: Path) -> None:
        self._root = root

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        shutil.copytree(
            cached_bundle(self._root),
            output_dir,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(_COMPLETE_MARKER),
        )
        return True


_CODE_PER_STACK: weakref.WeakKeyDictionary[Stack, lambda_.Code] = weakref.WeakKeyDictionary()


def lambda_code(scope: Construct) -> lambda_.Code:
    """The shared Lambda code asset of `scope`'s stack. Every portal function points at a handler in it."""
    # A code asset belongs to one stack, so each stack gets its own, all with the same hash and bundle.
    stack = Stack.of(scope)
    code = _CODE_PER_STACK.get(stack)
    if code is None:
        root = runtime_dir()
        code = lambda_.Code.from_asset(
            str(root),
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=bundle_hash(root),
            exclude=["__pycache__", "*.pyc", "requirements.*"],
            bundling=BundlingOptions(
                # Never started: the local bundling below always succeeds or raises.
                image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),
                local=_LocalPythonBundling(root),
            ),
        )
        _CODE_PER_STACK[stack] = code
    return code


def _lock() -> None:
    root = runtime_dir()
    with tempfile.TemporaryDirectory() as target:
        command = pip_install_command(root / "requirements.in", Path(target))
        subprocess.run(command, check=True)
        pins = sorted(
            "==".join(entry.name.removesuffix(".dist-info").rsplit("-", 1))
            for entry in Path(target).iterdir()
            if entry.name.endswith(".dist-info")
        )
    header = (
        "# Generated from requirements.in by `python -m devportal_constructs._bundling --lock`. "
        "Every package the Lambda\n# bundle holds, pinned, so that two synths of the same sources "
        "build the same bundle.\n"
    )
    (root / _LOCK_FILE).write_text(header + "\n".join(pins) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--lock"]:
        _lock()
    else:
        print(cached_bundle(runtime_dir()))
