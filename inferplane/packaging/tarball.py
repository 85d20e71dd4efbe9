"""Deterministic tar archives: the same entries give the same bytes on every run.

Every entry gets the fixed mtime ``EPOCH``, empty user/group names and a normalised mode;
entries are written in sorted path order with their parent directories first. Ownership
is kept (rootfs trees carry setgid files owned by real groups) or forced to 0:0.
Device nodes, sockets and FIFOs are dropped: a container runtime creates ``/dev``.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

__all__ = ["EPOCH", "Entry", "tree_entries", "write_tar"]

EPOCH = 0
"""mtime of every entry (1970-01-01T00:00:00Z)."""

Kind = Literal["file", "dir", "symlink", "hardlink"]


@dataclass(frozen=True)
class Entry:
    """One archive member. ``path`` is relative (no leading slash)."""

    path: str
    kind: Kind
    mode: int = 0o644
    data: bytes | None = None
    """Content of a file given in memory (else ``source`` is read)."""
    source: Path | None = None
    linkname: str = ""
    uid: int = 0
    gid: int = 0

    @staticmethod
    def file(path: str, data: bytes, mode: int = 0o644) -> Entry:
        return Entry(path.strip("/"), "file", mode, data=data)

    @staticmethod
    def directory(path: str, mode: int = 0o755) -> Entry:
        return Entry(path.strip("/"), "dir", mode)

    @staticmethod
    def symlink(path: str, target: str) -> Entry:
        return Entry(path.strip("/"), "symlink", 0o777, linkname=target)


def tree_entries(
    root: Path,
    prefix: str = "",
    *,
    exclude: Callable[[str], bool] = lambda _path: False,
    keep_owner: bool = False,
) -> list[Entry]:
    """Entries for every file under ``root``, placed under ``prefix`` in the archive.

    ``exclude`` receives the path relative to ``root`` ("usr/bin/x"); an excluded
    directory is still written (empty) so mount points such as ``proc`` survive, but its
    contents are not. Hard links become tar hard links to the first path in sorted order.
    """
    prefix = prefix.strip("/")
    entries: list[Entry] = []
    first_path: dict[tuple[int, int], str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir
        kept_dirs = []
        for name in dirnames:
            rel = f"{rel_dir}/{name}".lstrip("/")
            full = Path(dirpath, name)
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                entries.append(_link_entry(full, _join(prefix, rel), info, keep_owner))
                continue
            entries.append(_dir_entry(_join(prefix, rel), info, keep_owner))
            if not exclude(rel):
                kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}".lstrip("/")
            if exclude(rel):
                continue
            full = Path(dirpath, name)
            info = full.lstat()
            arcname = _join(prefix, rel)
            if stat.S_ISLNK(info.st_mode):
                entries.append(_link_entry(full, arcname, info, keep_owner))
            elif stat.S_ISREG(info.st_mode):
                entries.append(_file_entry(full, arcname, info, keep_owner, first_path))
    return entries


def _join(prefix: str, rel: str) -> str:
    return f"{prefix}/{rel}" if prefix else rel


def _owner(info: os.stat_result, keep_owner: bool) -> tuple[int, int]:
    return (info.st_uid, info.st_gid) if keep_owner else (0, 0)


def _dir_entry(arcname: str, info: os.stat_result, keep_owner: bool) -> Entry:
    uid, gid = _owner(info, keep_owner)
    return Entry(arcname, "dir", stat.S_IMODE(info.st_mode), uid=uid, gid=gid)


def _link_entry(full: Path, arcname: str, info: os.stat_result, keep_owner: bool) -> Entry:
    uid, gid = _owner(info, keep_owner)
    return Entry(arcname, "symlink", 0o777, linkname=os.readlink(full), uid=uid, gid=gid)


def _file_entry(
    full: Path,
    arcname: str,
    info: os.stat_result,
    keep_owner: bool,
    first_path: dict[tuple[int, int], str],
) -> Entry:
    uid, gid = _owner(info, keep_owner)
    mode = stat.S_IMODE(info.st_mode)
    if info.st_nlink > 1:
        inode = (info.st_dev, info.st_ino)
        if inode in first_path:
            return Entry(arcname, "hardlink", mode, linkname=first_path[inode], uid=uid, gid=gid)
        first_path[inode] = arcname
    return Entry(arcname, "file", mode, source=full, uid=uid, gid=gid)


def write_tar(entries: Iterable[Entry], out: BinaryIO) -> None:
    """Write ``entries`` as a PAX tar to ``out``: sorted, parents first, fixed metadata.

    Missing parent directories are added (0755, root). A path given twice is an error:
    silently keeping one would make the result depend on the caller's order.
    """
    by_path: dict[str, Entry] = {}
    for entry in entries:
        if entry.path in by_path:
            raise ValueError(f"archive path {entry.path!r} given twice")
        by_path[entry.path] = entry
    for path in list(by_path):
        parent = os.path.dirname(path)
        while parent and parent not in by_path:
            by_path[parent] = Entry.directory(parent)
            parent = os.path.dirname(parent)
    # Sorting by path components keeps a directory before its contents ("a/b" < "a-b").
    ordered = sorted(by_path.values(), key=lambda e: e.path.split("/"))
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for entry in ordered:
            _add(tar, entry)


def _add(tar: tarfile.TarFile, entry: Entry) -> None:
    info = tarfile.TarInfo(entry.path + ("/" if entry.kind == "dir" else ""))
    info.mtime = EPOCH
    info.mode = entry.mode
    info.uid, info.gid = entry.uid, entry.gid
    info.uname = info.gname = ""
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.linkname
        tar.addfile(info)
    elif entry.kind == "hardlink":
        info.type = tarfile.LNKTYPE
        info.linkname = entry.linkname
        tar.addfile(info)
    elif entry.data is not None:
        info.size = len(entry.data)
        tar.addfile(info, io.BytesIO(entry.data))
    else:
        assert entry.source is not None
        with entry.source.open("rb") as handle:
            info.size = os.fstat(handle.fileno()).st_size
            tar.addfile(info, handle)
