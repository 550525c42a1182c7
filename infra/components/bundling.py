"""Lambda code assets built without Docker: CDK calls `LocalBundle.try_bundle` (local bundling) before it would start
Docker; it copies the application packages into the asset directory, adds the pure-Python dependencies the Powertools
layer does not ship, and returns True, so the Docker image ("none") is never used."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from .. import constants

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".DS_Store")
# pip puts console scripts and data files (segno's man page) next to the packages: nothing a function imports.
_NOT_IMPORTABLE = ("bin", "share")
_COMPILED = ("*.so", "*.pyd", "*.dylib")


def copy_package(root: Path, package: str, output_dir: Path) -> None:
    """Copy `root/package` (e.g. "shared" or "functions/admin") and the `__init__.py` of each parent package."""
    source = root / package
    if not (source / "__init__.py").is_file() and not (source / "handler.py").is_file():
        raise FileNotFoundError(f"{source} is not a Python package")
    shutil.copytree(source, output_dir / package, ignore=_SKIP, dirs_exist_ok=True)
    for parent in Path(package).parents:
        if parent != Path("."):
            (output_dir / parent).mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / parent / "__init__.py", output_dir / parent / "__init__.py")


@cache
def vendored_requirements(requirements: tuple[str, ...]) -> Path:
    """`requirements` installed once per machine into a cache directory (keyed by the exact pins) with the venv's
    pip: pure-Python wheels only (`--platform any --abi none --implementation py`: a package that needs a compiled
    wheel cannot resolve), no dependencies pulled in implicitly, no .pyc. Synthesis without network works once the
    cache exists."""
    digest = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "furusato-cdk-vendor" / digest
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{digest}-", dir=target.parent))
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
        "--no-deps", "--no-compile", "--only-binary=:all:",
        "--implementation", "py", "--abi", "none", "--platform", "any",
        "--python-version", constants.RUNTIME.name.removeprefix("python"),
        "--target", str(staging), *requirements,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"pip could not install {' '.join(requirements)}:\n{result.stderr[-3000:]}")
    for name in _NOT_IMPORTABLE:
        shutil.rmtree(staging / name, ignore_errors=True)
    compiled = [p for pattern in _COMPILED for p in staging.rglob(pattern)]
    if compiled:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"not pure Python (the bundle is built for {constants.ARCHITECTURE.name}): {compiled}")
    try:
        os.replace(staging, target)  # atomic: a concurrent synthesis either sees the whole directory or none
    except OSError:  # another process won the race
        shutil.rmtree(staging, ignore_errors=True)
    return target


@jsii.implements(ILocalBundling)
class LocalBundle:
    """Local bundling of `packages` (paths under `root`) plus the vendored `requirements`."""

    def __init__(self, root: Path, packages: Sequence[str], requirements: Sequence[str] = ()) -> None:
        self._root = root
        self._packages = tuple(packages)
        self._requirements = tuple(requirements)

    def try_bundle(self, output_dir: str, *_args: object, **_options: object) -> bool:
        out = Path(output_dir)
        if self._requirements:
            shutil.copytree(vendored_requirements(self._requirements), out, ignore=_SKIP, dirs_exist_ok=True)
        for package in self._packages:
            copy_package(self._root, package, out)
        return True


def bundled_code(packages: Sequence[str], requirements: Sequence[str] = (), root: Path = constants.ROOT) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(root),
        # Hash the bundle, not the source folder: the source is the repository root (it would fingerprint .venv).
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("none"),  # never pulled: local bundling always succeeds
            local=LocalBundle(root, packages, requirements),
            # Never run (no Docker), but part of CDK's bundling cache key: without it every asset of the same source
            # folder would reuse the first bundle of the synthesis.
            command=["local-bundle", *packages, *requirements],
        ),
    )


def application_code(function: str, root: Path = constants.ROOT) -> lambda_.Code:
    """A function's bundle: shared/, functions/<name>/ and constants.BUNDLED_REQUIREMENTS (the same for every
    function: shared/ is copied whole, so any function may reach shared/qr.py or shared/domain/prelaunch.py, and the
    tests run every function with all of requirements.txt importable)."""
    if not (root / "functions" / function / "handler.py").is_file():
        raise FileNotFoundError(f"functions/{function}/handler.py does not exist (function {function!r} in shared/functions.py)")
    return bundled_code(["shared", f"functions/{function}"], constants.BUNDLED_REQUIREMENTS, root)
