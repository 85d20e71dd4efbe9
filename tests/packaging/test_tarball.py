from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from inferplane.packaging.tarball import EPOCH, Entry, tree_entries, write_tar


def _tar(entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    write_tar(entries, out)
    return out.getvalue()


def test_same_entries_in_any_order_give_the_same_bytes() -> None:
    entries = [Entry.file("b/x.txt", b"x"), Entry.file("a/y.txt", b"y"), Entry.symlink("c", "a")]
    assert _tar(entries) == _tar(list(reversed(entries)))


def test_members_are_sorted_with_parents_first_and_fixed_metadata() -> None:
    data = _tar([Entry.file("a/b/c.txt", b"c"), Entry.file("a-b.txt", b"d")])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["a", "a/b", "a/b/c.txt", "a-b.txt"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(EPOCH, 0, 0, "", "")}
    assert members[0].isdir()


def test_a_path_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        _tar([Entry.file("x", b"1"), Entry.file("x", b"2")])


def test_tree_keeps_modes_links_and_hardlinks_and_skips_excluded_contents(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "proc" / "1").mkdir(parents=True)
    (root / "bin" / "tool").write_bytes(b"#!/bin/sh\n")
    (root / "bin" / "tool").chmod(0o755)
    os.link(root / "bin" / "tool", root / "bin" / "tool2")
    (root / "lib").symlink_to("bin")
    (root / "proc" / "1" / "status").write_text("x")
    entries = tree_entries(root, "opt/x", exclude=lambda rel: rel == "proc")
    by_path = {e.path: e for e in entries}
    assert by_path["opt/x/bin/tool"].mode == 0o755
    assert by_path["opt/x/bin/tool2"].kind == "hardlink"
    assert by_path["opt/x/bin/tool2"].linkname == "opt/x/bin/tool"
    assert by_path["opt/x/lib"].kind == "symlink"
    assert by_path["opt/x/proc"].kind == "dir"
    assert "opt/x/proc/1" not in by_path
    # Touching a file (mtime) changes nothing in the archive.
    first = _tar(entries)
    os.utime(root / "bin" / "tool", (12345, 12345))
    assert _tar(tree_entries(root, "opt/x", exclude=lambda rel: rel == "proc")) == first
