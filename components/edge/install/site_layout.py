"""Where an install puts things on the site, and how a value or a site path is written
into the scripts (every value through ``components.shell.quote``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from inferplane.components.edge.layout import SitePaths
from inferplane.components.shell import quote

__all__ = ["ROOT_ENV", "RUNTIMES", "Runtime", "SiteLayout", "q", "site"]

Runtime = Literal["k3s", "systemd", "launchd"]
RUNTIMES = ("k3s", "systemd", "launchd")
ROOT_ENV = "INFERPLANE_ROOT"
"""Prefix of every site path in the bundle's install.sh (tests install into a directory)."""


def q(value: str) -> str:
    """``value`` as one shell word."""
    return quote(value, "edge bundle value")


@dataclass(frozen=True)
class SiteLayout:
    """Where things go on the site. ``root`` prefixes every path (tests install into a
    temporary directory; on a site it is empty)."""

    install_dir: str = "/opt/inferplane"
    root: str = ""
    paths: SitePaths = field(default_factory=SitePaths)


def site(path: str) -> str:
    """A site path under ``$root`` (the shell variable every script sets first)."""
    return f'"$root"{q(path)}'
