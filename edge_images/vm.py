"""A bootable x86_64 edge-device disk for qemu, and a qemu (TCG) boot of it with a site's
cloud-init seed: the slow tier's proof that a seed from ``edge_images.seed`` brings the
router up on a real Linux boot (kernel, systemd, cloud-init NoCloud).

The disk is an ext4 filesystem image (no partition table: ``root=/dev/vda``) made by
``mkfs.ext4 -d`` from a staging tree, so building it needs neither loop devices nor
mounts:

* the operating system: Debian minbase from debootstrap (``rootfs.build_rootfs``) with a
  kernel, systemd, cloud-init and netplan (cloud-init hands the seed's v2
  network-config to netplan, which keeps its ``match: {name: "e*"}``);
* the router: the bundle's router image for amd64, unpacked with ``umoci`` at
  ``/var/lib/inferplane/router`` exactly as ``install.sh systemd`` does on a device.

The seed then supplies what a site supplies: ``/etc/inferplane/router.json`` and the
units, which cloud-init writes, enables and starts.

A disk is cached under ``<cache>/vm/<key>/`` (key: the OS rootfs key, the router image's
amd64 manifest digest, the disk format version); ``complete`` is written last. The
filesystem UUID, hash seed and times are fixed, so a rebuild from the same inputs gives
(nearly) the same bytes. Boots run with ``-snapshot``: the cached disk is never written.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from inferplane.edge_images.systemd import ROUTER_ROOT
from inferplane.errors import BuildError
from inferplane.packaging.rootfs import BaseSystem, build_rootfs
from inferplane.packaging.router_image import RouterImage
from inferplane.router.contract import ROUTER_PORT

__all__ = [
    "VM_SYSTEM",
    "BootError",
    "Disk",
    "RunningVm",
    "boot",
    "build_disk",
    "data_drive",
    "free_port",
]

VM_SYSTEM = BaseSystem(
    packages=(
        "ca-certificates",
        "cloud-init",
        "iproute2",
        "linux-image-amd64",
        "netplan.io",
        "python3-cffi-backend",
        "python3",
        "systemd-sysv",
        "udev",
        "zstd",
    )
)
"""The device's operating system. ``python3-cffi-backend`` is named because debootstrap
does not resolve virtual packages (cloud-init -> python3-cryptography ->
python3-cffi-backend-api-*). No ifupdown: cloud-init's eni renderer would turn the
seed's ``match: {name: "e*"}`` into an interface literally named ``wired``; with netplan
the v2 config is passed through unchanged."""

DISK_FORMAT = "4"
"""Bumped when the staging steps below change, so cached disks are rebuilt."""
FS_UUID = "6c1f3a52-9d1e-4b7a-8f0e-1a2b3c4d5e6f"
FS_HASH_SEED = "0b9e4c1d-7a55-4f31-9c2e-5d6f7a8b9c0d"
FS_LABEL = "inferplane-root"
FREE_MIB = 2048
"""Room left on the filesystem for logs, cloud-init state, the journal and a few
installed releases (each a full bundle copy under ``/opt/inferplane/releases``)."""
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0 net.ifnames=0 ds=nocloud panic=-1"
"""``net.ifnames=0``: the NIC is ``eth0`` on every qemu machine type. ``panic=-1`` with
``-no-reboot``: a kernel panic ends qemu at once instead of hanging the test."""

_CLOUD_CFG = """\
# inferplane VM test image: look only for a NoCloud seed (no network metadata probes,
# which would each time out under qemu user networking).
datasource_list: [NoCloud, None]
# No locale generation (seconds under TCG, and en_US is not generated on this image).
locale: C.UTF-8
"""
_NETWORKD_UNITS = (
    ("multi-user.target.wants", "systemd-networkd.service"),
    ("sockets.target.wants", "systemd-networkd.socket"),
    ("network-online.target.wants", "systemd-networkd-wait-online.service"),
)
_FSTAB = f"LABEL={FS_LABEL} / ext4 defaults 0 1\n"
_RESOLV = "nameserver 10.0.2.3\n"
"""qemu user networking's DNS address; the router unit binds /etc/resolv.conf."""


class BootError(RuntimeError):
    """The VM did not come up: the message carries the end of the serial console."""


@dataclass(frozen=True)
class Disk:
    """A cached bootable disk: the ext4 root image and the kernel and initrd on it."""

    image: Path
    kernel: Path
    initrd: Path
    key: str


def disk_key(system: BaseSystem, router: RouterImage) -> str:
    text = "\n".join([system.key("amd64"), router.manifests["amd64"].digest, DISK_FORMAT])
    return f"x86_64-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def build_disk(router: RouterImage, cache: Path, *, system: BaseSystem = VM_SYSTEM) -> Disk:
    """The cached disk for ``router`` (which must have an amd64 build), building it first
    if needed (needs root for debootstrap, and umoci and mkfs.ext4)."""
    if "amd64" not in router.manifests:
        raise BuildError(
            f"router image {router.tag} has no amd64 build ({', '.join(router.manifests)}); "
            "the VM disk is x86_64"
        )
    key = disk_key(system, router)
    entry = cache / "vm" / key
    disk = Disk(entry / "disk.ext4", entry / "vmlinuz", entry / "initrd.img", key)
    if (entry / "complete").is_file():
        return disk
    for tool in ("umoci", "mkfs.ext4"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} is not installed (apt-get install -y umoci e2fsprogs)")
    os_root = build_rootfs(system, "amd64", cache)
    if entry.exists():
        shutil.rmtree(entry)
    entry.mkdir(parents=True)
    with tempfile.TemporaryDirectory(dir=entry) as tmp:
        tree = Path(tmp) / "tree"
        _run(["cp", "-a", f"{os_root}/.", str(tree)], "copy the OS rootfs", create=tree)
        _configure(tree)
        _run(
            [
                "umoci", "unpack", "--image", f"{router.layout}:{router.tag}-amd64",
                str(tree / ROUTER_ROOT.lstrip("/")),
            ],
            "umoci unpack the router image",
        )  # fmt: skip
        _clamp_times(tree, (os_root.parent / "complete").stat().st_mtime)
        shutil.copyfile(_boot_file(tree, "vmlinuz"), disk.kernel)
        shutil.copyfile(_boot_file(tree, "initrd.img"), disk.initrd)
        _mkfs(tree, disk.image)
    (entry / "complete").write_text(f"{system.label}\nrouter {router.reference('amd64')}\n")
    return disk


def _configure(tree: Path) -> None:
    """What a device image needs beyond debootstrap: mount table, a machine id made at
    first boot, DNS for the router's bind mount, and a NoCloud-only cloud-init."""
    (tree / "etc/fstab").write_text(_FSTAB)
    (tree / "etc/hostname").write_text("inferplane-edge\n")
    (tree / "etc/machine-id").write_text("")
    resolv = tree / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)
    resolv.write_text(_RESOLV)
    (tree / "etc/cloud/cloud.cfg.d/90-inferplane.cfg").write_text(_CLOUD_CFG)
    # netplan renders for systemd-networkd, which Debian installs but does not enable.
    for wants, unit in _NETWORKD_UNITS:
        link = tree / "etc/systemd/system" / wants / unit
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(f"/lib/systemd/system/{unit}")
    # Runtime mounts start empty (the kernel and systemd fill them); debootstrap leaves
    # the build host's apt lists and downloaded packages behind.
    for runtime in ("dev", "proc", "sys", "run", "tmp"):
        shutil.rmtree(tree / runtime, ignore_errors=True)
        (tree / runtime).mkdir(mode=0o1777 if runtime == "tmp" else 0o755)
    (tree / "tmp").chmod(0o1777)
    for cache_dir in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (tree / cache_dir).glob("*"):
            if path.is_file():
                path.unlink()


def _clamp_times(tree: Path, newest: float) -> None:
    """Files and directories touched while staging get the OS rootfs's build time, so two
    disks staged from the same cached rootfs and router image carry the same times.
    Package files keep theirs: Python's .pyc files are checked against their sources'."""
    for path in [tree, *tree.rglob("*")]:
        info = path.lstat()
        if info.st_mtime > newest:
            os.utime(path, (newest, newest), follow_symlinks=False)


def _boot_file(tree: Path, name: str) -> Path:
    """``/vmlinuz`` and ``/initrd.img`` are the kernel package's symlinks to the
    versioned files in ``/boot``."""
    for candidate in (tree / name, tree / "boot" / name):
        if candidate.is_symlink() or candidate.exists():
            target = Path(os.readlink(candidate)) if candidate.is_symlink() else candidate
            resolved = (
                tree / target.as_posix().lstrip("/")
                if target.is_absolute()
                else (candidate.parent / target)
            )
            if resolved.is_file():
                return resolved
    found = sorted(p.name for p in (tree / "boot").glob("*"))
    raise BuildError(f"no {name} in the VM rootfs (boot/ holds {found or 'nothing'})")


def _mkfs(tree: Path, image: Path, free_mib: int = FREE_MIB) -> None:
    used = subprocess.run(
        ["du", "-s", "--block-size=1M", str(tree)], capture_output=True, text=True, check=True
    )
    size_mib = int(used.stdout.split()[0]) * 5 // 4 + free_mib
    env = {**os.environ, "E2FSPROGS_FAKE_TIME": "1", "SOURCE_DATE_EPOCH": "1"}
    command = [
        "mkfs.ext4", "-q", "-F", "-d", str(tree), "-L", FS_LABEL, "-U", FS_UUID,
        "-E", f"root_owner=0:0,hash_seed={FS_HASH_SEED}", "-T", "default",
        str(image), f"{size_mib}M",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BuildError(f"mkfs.ext4 failed (exit {result.returncode}): {result.stderr.strip()}")


def _run(command: list[str], what: str, *, create: Path | None = None) -> None:
    if create is not None:
        create.mkdir(parents=True)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {result.returncode}):\n{tail}")


def free_port() -> int:
    """A loopback port free right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningVm:
    """A qemu process and where its serial console goes."""

    process: subprocess.Popen[bytes]
    console: Path
    port: int
    """The loopback port forwarded to the router's port in the guest."""

    def console_tail(self, lines: int = 50) -> str:
        if not self.console.is_file():
            return "(no console output)"
        text = self.console.read_bytes().decode("utf-8", errors="replace")
        return "\n".join(text.replace("\r", "").splitlines()[-lines:])

    def wait_console(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first console line matching ``pattern`` (a regex), waiting up to
        ``timeout`` seconds; BootError with the console's end otherwise."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.console.is_file():
                text = self.console.read_bytes().decode("utf-8", errors="replace")
                for line in text.replace("\r", "").splitlines():
                    found = compiled.search(line)
                    if found:
                        return found
            if self.process.poll() is not None:
                break
            time.sleep(2)
        raise BootError(
            f"no console line matched {pattern!r} within {timeout:.0f} s; last console "
            f"lines:\n{self.console_tail()}"
        )

    def wait_http(
        self, path: str, timeout: float, interval: float = 3.0, ca: Path | None = None
    ) -> tuple[int, bytes]:
        """Poll ``http://127.0.0.1:<port><path>`` (``https://`` verified with ``ca``, the
        site's router) until it answers (any status), qemu exits, or ``timeout`` seconds
        pass; raise BootError with the console's end."""
        scheme = "http" if ca is None else "https"
        context = None if ca is None else ssl.create_default_context(cafile=str(ca))
        url = f"{scheme}://127.0.0.1:{self.port}{path}"
        deadline = time.monotonic() + timeout
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BootError(
                    f"qemu exited (status {self.process.returncode}) before {url} answered; "
                    f"last console lines:\n{self.console_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=10, context=context) as response:
                    return int(response.status), bytes(response.read())
            except urllib.error.HTTPError as error:
                return int(error.code), bytes(error.read())
            except (OSError, urllib.error.URLError) as error:
                # Before the guest listens, slirp accepts and then resets the connection.
                last = f"{type(error).__name__}: {error}"
            time.sleep(interval)
        raise BootError(
            f"{url} did not answer within {timeout:.0f} s (last error: {last}); "
            f"last console lines:\n{self.console_tail()}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def data_drive(tree: Path, image: Path) -> Path:
    """An ext4 image holding ``tree`` (made by ``mkfs.ext4 -d``, no mounts), attached
    read-only as a further virtio disk (``/dev/vdc``): how a test hands files (bundles)
    to the guest, as a USB stick would on a site."""
    _mkfs(tree, image, free_mib=64)
    return image


def qemu_command(
    disk: Disk,
    seed_iso: Path,
    port: int,
    *,
    memory_mib: int = 2048,
    cpus: int = 2,
    drives: tuple[Path, ...] = (),
) -> list[str]:
    """TCG only (no KVM is assumed), user-mode networking whose only way in is the
    router's port forwarded from loopback."""
    return [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
        "-m", str(memory_mib), "-smp", str(cpus),
        "-nographic", "-no-reboot", "-snapshot",
        "-kernel", str(disk.kernel), "-initrd", str(disk.initrd), "-append", KERNEL_ARGS,
        "-drive", f"file={disk.image},if=virtio,format=raw",
        "-drive", f"file={seed_iso},if=virtio,format=raw,readonly=on",
        *(arg for d in drives for arg in ("-drive", f"file={d},if=virtio,format=raw,readonly=on")),
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:{ROUTER_PORT}",
        "-device", "virtio-net-pci,netdev=n0",
    ]  # fmt: skip


@contextmanager
def boot(
    disk: Disk,
    seed_iso: Path,
    console: Path,
    port: int | None = None,
    drives: tuple[Path, ...] = (),
) -> Iterator[RunningVm]:
    """Boot ``disk`` with ``seed_iso`` as a second virtio disk (cloud-init finds it by its
    ``cidata`` label); qemu is stopped when the block ends, however it ends."""
    if shutil.which("qemu-system-x86_64") is None:
        raise BuildError("qemu-system-x86_64 is not installed (apt-get install -y qemu-system-x86)")
    port = port or free_port()
    console.parent.mkdir(parents=True, exist_ok=True)
    with console.open("wb") as log:
        process = subprocess.Popen(
            qemu_command(disk, seed_iso, port, drives=drives),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    vm = RunningVm(process, console, port)
    try:
        yield vm
    finally:
        vm.stop()
