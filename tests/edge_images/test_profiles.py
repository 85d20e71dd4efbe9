from __future__ import annotations

import pytest

from inferplane.edge_images.profiles import DIGEST_REF, Profile, load_profile, profile_names
from inferplane.errors import BuildError
from inferplane.spec.targets.selfhosted import EDGE_PROFILES


def test_every_spec_profile_has_a_data_file() -> None:
    assert profile_names() == sorted(EDGE_PROFILES)


@pytest.mark.parametrize(
    ("name", "arches", "gpu", "install"),
    [
        ("jetson-orin", ("arm64",), True, "k3s"),
        ("x86-nvidia", ("amd64",), True, "k3s"),
        ("cpu", ("amd64", "arm64"), False, "k3s"),
        ("apple-m", ("arm64",), False, "launchd"),
    ],
)
def test_profiles(name: str, arches: tuple[str, ...], gpu: bool, install: str) -> None:
    profile = load_profile(name)
    assert (profile.arches, profile.gpu, profile.install) == (arches, gpu, install)
    if profile.gpu:
        assert profile.device_plugin is not None
        assert DIGEST_REF.match(profile.device_plugin)


def test_jetson_names_its_l4t_base_and_apple_installs_natively() -> None:
    assert load_profile("jetson-orin").l4t_base == "nvcr.io/nvidia/l4t-jetpack:r36.4.0"
    apple = load_profile("apple-m")
    assert all(e.image is None and e.binary for e in apple.engines.values())


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(BuildError, match="allowed: apple-m, cpu, jetson-orin, x86-nvidia"):
        load_profile("raspberry")


def test_a_gpu_profile_without_a_pinned_device_plugin_is_refused() -> None:
    base = load_profile("x86-nvidia").model_dump()
    with pytest.raises(ValueError, match="not pinned by digest"):
        Profile.model_validate(
            {**base, "device_plugin": "nvcr.io/nvidia/k8s-device-plugin:v0.17.1"}
        )
