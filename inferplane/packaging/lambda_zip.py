"""The router's AWS Lambda deployment package: a deterministic zip holding the startup
script the Lambda Web Adapter runs (``run.sh``, the function's handler: see
``components/aws/web_adapter.py``), the buffered function-URL handler
(``lambda_entry.py``, for a function without the adapter layer), the ``router`` package
and its dependencies unpacked from manylinux wheels for the Lambda runtime's Python and
architecture.

Deterministic: entries sorted, every timestamp 1980-01-01 00:00:00 (the earliest a zip can
hold), Unix modes 0644/0755, deflate level 6, no extra fields, no directory entries.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from inferplane.errors import BuildError
from inferplane.packaging import lambda_entry
from inferplane.packaging.source import router_files
from inferplane.packaging.wheels import Target, download_wheels, install_wheels
from inferplane.router.contract import CONFIG_FILE, LAMBDA_RUN_SCRIPT

__all__ = [
    "HANDLER",
    "LAMBDA_ARCHES",
    "RUNTIME",
    "RUNTIMES",
    "LambdaPackage",
    "build_lambda_zip",
]

RUNTIME = "python3.12"
RUNTIMES = ("python3.11", "python3.12", "python3.13")
"""Lambda's managed Python runtimes the wheels can target."""
HANDLER = LAMBDA_RUN_SCRIPT
"""The function's handler: the Lambda Web Adapter layer executes it."""
RUN_SCRIPT_SOURCE = Path(__file__).with_name("lambda_run.sh")
LAMBDA_ARCHES = {"amd64": "x86_64", "arm64": "arm64"}
"""Our architecture names -> Lambda's ``architectures`` values."""
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_UNZIPPED = 250 * 1024 * 1024
"""Lambda's limit on a function's unzipped deployment package."""


@dataclass(frozen=True)
class LambdaPackage:
    """A built zip and what a Lambda function needs to run it."""

    path: Path
    sha256: str
    size: int
    unzipped_size: int
    runtime: str
    handler: str
    architecture: str
    """Lambda's name: x86_64 or arm64."""

    @property
    def source_code_hash(self) -> str:
        """base64 sha256, as Lambda's ``source_code_hash`` / CodeSha256 report it."""
        import base64

        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


def build_lambda_zip(
    source_root: Path,
    out: Path,
    cache: Path,
    *,
    arch: str = "arm64",
    runtime: str = RUNTIME,
    config_json: str | None = None,
) -> LambdaPackage:
    """Write the deployment zip to ``out``. ``config_json`` is bundled as ``CONFIG_FILE``
    when given (otherwise the function reads ``CONFIG_ENV``)."""
    if arch not in LAMBDA_ARCHES:
        raise BuildError(f"unknown Lambda architecture {arch!r}; allowed: amd64, arm64")
    if runtime not in RUNTIMES:
        raise BuildError(f"unknown Lambda runtime {runtime!r}; allowed: {', '.join(RUNTIMES)}")
    python = runtime.removeprefix("python")
    wheels = download_wheels(Target(arch, python), cache)
    members: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        install_wheels(wheels, site)
        for path in sorted(site.rglob("*")):
            if path.is_file():
                members[path.relative_to(site).as_posix()] = path.read_bytes()
    for name, path in router_files(source_root, require="core.py"):
        members[name] = path.read_bytes()
    members["lambda_entry.py"] = Path(lambda_entry.__file__).read_bytes()
    members[LAMBDA_RUN_SCRIPT] = RUN_SCRIPT_SOURCE.read_bytes()
    if config_json is not None:
        members[CONFIG_FILE] = config_json.encode("utf-8")
    unzipped = sum(len(data) for data in members.values())
    if unzipped > MAX_UNZIPPED:
        raise BuildError(
            f"the Lambda package unzips to {unzipped} bytes, over Lambda's limit of {MAX_UNZIPPED}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_zip(out, members)
    data = out.read_bytes()
    return LambdaPackage(
        out,
        hashlib.sha256(data).hexdigest(),
        len(data),
        unzipped,
        runtime,
        HANDLER,
        LAMBDA_ARCHES[arch],
    )


def write_zip(out: Path, members: dict[str, bytes]) -> None:
    """Write ``members`` (archive path -> bytes) to ``out`` deterministically (module doc)."""
    with (
        tempfile.NamedTemporaryFile(dir=out.parent, delete=False) as tmp,
        zipfile.ZipFile(tmp, "w") as archive,
    ):
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the mode
            executable = name.endswith(".so") or ".so." in name or name == LAMBDA_RUN_SCRIPT
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            archive.writestr(info, members[name], compresslevel=6)
    os.replace(tmp.name, out)
    os.chmod(out, 0o644)
