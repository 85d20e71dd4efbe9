"""Device profiles, kept as data in ``edge_images/profiles/<name>.yaml``."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from inferplane.errors import BuildError

__all__ = ["DIGEST_REF", "PROFILE_DIR", "EngineImage", "Profile", "load_profile", "profile_names"]

PROFILE_DIR = Path(__file__).with_name("profiles")
DIGEST_REF = re.compile(r"^[a-z0-9][A-Za-z0-9._/:-]*@sha256:[0-9a-f]{64}$")
"""An image reference pinned by digest: ``repo[:tag]@sha256:<64 hex>`` (registry, path
and tag characters only: nothing a shell, unit file or YAML would interpret)."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EngineImage(_Data):
    """How a profile runs one engine: a container image, or a native (Homebrew) install."""

    image: str | None = None
    """Container image; pinned when it carries ``@sha256:``."""
    formula: str | None = None
    """Homebrew formula of a native install."""
    binary: str | None = None
    """Path of the native server binary."""

    @model_validator(mode="after")
    def _one_kind(self) -> EngineImage:
        if (self.image is None) == (self.formula is None):
            raise ValueError("give either image (container) or formula and binary (native)")
        if self.formula is not None and self.binary is None:
            raise ValueError("a native install needs binary")
        return self

    @property
    def pinned(self) -> bool:
        return self.image is not None and DIGEST_REF.match(self.image) is not None


class Profile(_Data):
    """One class of edge device."""

    name: str
    description: str
    arches: tuple[Literal["amd64", "arm64"], ...]
    accelerator: Literal["none", "nvidia", "jetson", "metal"]
    install: Literal["k3s", "launchd"]
    host: str
    """The operating system the device runs."""
    engines: dict[str, EngineImage]
    device_plugin: str | None = None
    """NVIDIA device plugin image (pinned) for GPU profiles on Kubernetes."""
    l4t_base: str | None = None
    """The L4T release the model-server images must be built on (Jetson)."""
    disk_gib: int | None = None
    """Disk the smallest device of the class has for model weights (GiB): packed weights
    must fit (the installer checks the device's real free space again)."""
    memory_gib: int | None = None
    """Memory (GiB) the model servers share (unified on Jetson and Apple): every packed
    model's weights together must fit."""

    @property
    def gpu(self) -> bool:
        return self.accelerator in ("nvidia", "jetson")

    @property
    def containers(self) -> bool:
        return self.install == "k3s"

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if not self.arches:
            raise ValueError("arches must name at least one architecture")
        if self.gpu and self.containers and self.device_plugin is None:
            raise ValueError("a GPU profile on Kubernetes needs device_plugin")
        if self.device_plugin is not None and not DIGEST_REF.match(self.device_plugin):
            raise ValueError(f"device_plugin {self.device_plugin!r} is not pinned by digest")
        return self


def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


@cache
def load_profile(name: str) -> Profile:
    path = PROFILE_DIR / f"{name}.yaml"
    if not path.is_file():
        raise BuildError(f"unknown edge profile {name!r}; allowed: {', '.join(profile_names())}")
    try:
        profile = Profile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise BuildError(f"edge profile {path} is invalid:\n{exc}") from exc
    if profile.name != name:
        raise BuildError(f"edge profile {path} names itself {profile.name!r}")
    return profile
