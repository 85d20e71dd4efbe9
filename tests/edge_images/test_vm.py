"""The VM harness without a VM: the qemu command line keeps to TCG, user networking and a
loopback-only forward and never writes the cached disk; a guest that dies or never
answers ends in BootError carrying the console's last lines, and the process is stopped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inferplane.edge_images.vm import BootError, Disk, RunningVm, qemu_command


def _disk(tmp_path: Path) -> Disk:
    return Disk(tmp_path / "disk.ext4", tmp_path / "vmlinuz", tmp_path / "initrd.img", "k")


def test_qemu_command_is_tcg_user_networking_loopback_forward_and_snapshot(
    tmp_path: Path,
) -> None:
    command = qemu_command(_disk(tmp_path), tmp_path / "seed.iso", 40123)
    joined = " ".join(command)
    assert command[:3] == ["qemu-system-x86_64", "-accel", "tcg"]
    assert "-snapshot" in command
    assert "-no-reboot" in command
    netdevs = [command[i + 1] for i, arg in enumerate(command) if arg == "-netdev"]
    assert netdevs == ["user,id=n0,hostfwd=tcp:127.0.0.1:40123-:8088"]
    assert f"file={tmp_path / 'seed.iso'},if=virtio,format=raw,readonly=on" in command
    assert "root=/dev/vda" in joined
    assert "console=ttyS0" in joined


def _vm(tmp_path: Path, script: str, console_text: str) -> RunningVm:
    console = tmp_path / "console.log"
    console.write_text(console_text)
    process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.DEVNULL)
    return RunningVm(process, console, port=9)


def test_guest_that_exits_raises_with_the_console_tail(tmp_path: Path) -> None:
    lines = "".join(f"line {n}\r\n" for n in range(80))
    vm = _vm(tmp_path, "raise SystemExit(3)", lines + "Kernel panic - not syncing\r\n")
    vm.process.wait(timeout=30)
    with pytest.raises(BootError, match=r"qemu exited \(status 3\)") as raised:
        vm.wait_http("/healthz", timeout=60)
    message = str(raised.value)
    assert message.endswith("Kernel panic - not syncing")
    assert "line 31" in message
    assert "line 30\n" not in message
    assert "\r" not in message


def test_guest_that_never_answers_times_out_and_is_stopped(tmp_path: Path) -> None:
    vm = _vm(tmp_path, "import time; time.sleep(120)", "Starting cloud-init...\n")
    try:
        with pytest.raises(BootError, match=r"did not answer within 1 s") as raised:
            vm.wait_http("/healthz", timeout=1, interval=0.2)
        assert "Starting cloud-init..." in str(raised.value)
    finally:
        vm.stop()
    assert vm.process.returncode is not None
