"""Signed releases: minisign-compatible keys and signatures (checked both ways against
the real ``minisign`` when it is installed), the installer refusing unsigned, mis-signed
or tampered bundles, and key rotation through a release's ``trust/`` set.

The installs run a real built bundle (``build_site_bundle``: the real builder, its real
``fetch-images.sh`` and ``install.sh``) in a temporary root with recording shims."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferplane.cli import app
from inferplane.components.edge import minisign
from inferplane.components.edge.layout import SIGNATURE
from inferplane.edge_images.signing import (
    SecretKey,
    keygen,
    public_key_text,
    read_secret_key,
    sign_bundle,
)
from inferplane.edge_images.weights import pack_model
from inferplane.errors import BuildError
from tests.support.edgesite import (
    TEST_KEY,
    TEST_SIGNED_AT,
    FakeSite,
    SiteBundle,
    build_site_bundle,
    relist,
    resign,
    systemd_spec,
)
from tests.support.routersource import router_source

TARGET = "llama-lab"


def _key(tmp: Path, name: str) -> tuple[Path, SecretKey]:
    secret = tmp / f"{name}.key"
    return secret, keygen(secret, secret.with_suffix(".pub"))


# --- formats ---------------------------------------------------------------------------


def test_pure_python_ed25519_agrees_with_cryptography() -> None:
    key = SecretKey(b"k" * 8, hashlib.sha256(b"agree").digest())
    for size in (0, 1, 64, 1000):
        message = os.urandom(size)
        signature = key.private.sign(message)
        assert minisign.ed25519_verify(key.public.key, message, signature)
        broken = bytearray(signature)
        broken[5] ^= 1
        assert not minisign.ed25519_verify(key.public.key, message, bytes(broken))
        assert not minisign.ed25519_verify(key.public.key, message + b"x", signature)


def test_signature_is_deterministic_and_names_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"files": {}}\n')
    sign_bundle(tmp_path, TEST_KEY, TEST_SIGNED_AT)
    first = (tmp_path / SIGNATURE).read_bytes()
    sign_bundle(tmp_path, TEST_KEY, TEST_SIGNED_AT)
    assert (tmp_path / SIGNATURE).read_bytes() == first
    digest = hashlib.sha256((tmp_path / "manifest.json").read_bytes()).hexdigest()
    assert (
        f"trusted comment: timestamp:{TEST_SIGNED_AT}\t"
        f"inferplane edge bundle manifest sha256 {digest}\n"
    ) in first.decode()
    key, comment = minisign.verify_file(
        (tmp_path / "manifest.json").read_bytes(), first.decode(), [TEST_KEY.public]
    )
    assert key.name == TEST_KEY.public.name
    assert comment.endswith(digest)


def test_a_swapped_trusted_comment_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}\n")
    sign_bundle(tmp_path, TEST_KEY)
    lines = (tmp_path / SIGNATURE).read_text().splitlines()
    lines[2] = "trusted comment: something else"
    with pytest.raises(minisign.SignatureError, match="trusted comment was altered"):
        minisign.verify_file(b"{}\n", "\n".join(lines) + "\n", [TEST_KEY.public])


def test_keygen_never_overwrites_and_keys_round_trip(tmp_path: Path) -> None:
    secret, key = _key(tmp_path, "site")
    assert secret.stat().st_mode & 0o777 == 0o600
    assert read_secret_key(secret) == key
    public = minisign.read_public_key(secret.with_suffix(".pub"))
    assert (public.key_id, public.key) == (key.public.key_id, key.public.key)
    with pytest.raises(BuildError, match="never overwrites"):
        keygen(secret, tmp_path / "other.pub")


def test_encrypted_minisign_keys_are_refused_with_what_to_do(tmp_path: Path) -> None:
    secret, _ = _key(tmp_path, "k")
    raw = bytearray(base64.b64decode(secret.read_text().splitlines()[1]))
    raw[2:4] = b"Sc"
    secret.write_text("untrusted comment: x\n" + base64.b64encode(raw).decode())
    with pytest.raises(BuildError, match="password-protected; allowed: an unencrypted key"):
        read_secret_key(secret)


def _minisign() -> str:
    found = shutil.which("minisign")
    if found is None:
        pytest.skip("minisign is not installed (apt-get install -y minisign)")
    return found


def test_minisign_verifies_our_signatures(tmp_path: Path) -> None:
    tool = _minisign()
    secret, _key_pair = _key(tmp_path, "ours")
    (tmp_path / "manifest.json").write_text('{"a": 1}\n')
    sign_bundle(tmp_path, read_secret_key(secret))
    done = subprocess.run(
        [tool, "-V", "-p", str(secret.with_suffix(".pub")), "-m", str(tmp_path / "manifest.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Signature and comment signature verified" in done.stdout


def test_we_verify_minisign_signatures_and_read_its_unencrypted_keys(tmp_path: Path) -> None:
    tool = _minisign()
    secret, public = tmp_path / "m.key", tmp_path / "m.pub"
    subprocess.run([tool, "-G", "-W", "-s", str(secret), "-p", str(public)], check=True)
    data = tmp_path / "manifest.json"
    data.write_text('{"b": 2}\n')
    subprocess.run([tool, "-S", "-s", str(secret), "-m", str(data)], check=True)
    key = minisign.read_public_key(public)
    signer, _ = minisign.verify_file(
        data.read_bytes(), (tmp_path / "manifest.json.minisig").read_text(), [key]
    )
    assert signer.name == key.name == read_secret_key(secret).public.name
    # Signed by minisign with our key file, too.
    ours, _ = _key(tmp_path, "ours")
    subprocess.run([tool, "-S", "-s", str(ours), "-m", str(data)], check=True)
    assert minisign.verify_file(
        data.read_bytes(),
        (tmp_path / "manifest.json.minisig").read_text(),
        [minisign.read_public_key(ours.with_suffix(".pub"))],
    )


# --- the installer ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> SiteBundle:
    """A real built, signed systemd bundle with packed weights and fetched images."""
    tmp = tmp_path_factory.mktemp("signed")
    built = build_site_bundle(systemd_spec(), "dev", "austin-lab", router_source(), tmp / "b")
    assert FakeSite(tmp / "shims", built.archives).run([str(built.path / "fetch-images.sh")])
    manifest = json.loads((built.path / "manifest.json").read_text())
    (name,) = manifest["targets"][TARGET]["model_files"]
    weights = tmp / "w" / name
    weights.parent.mkdir()
    weights.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"w" * 4096)
    pack_model(built.path, TARGET, weights)
    resign(built.path)
    return built


def _copy(release: SiteBundle, tmp: Path) -> Path:
    copy = tmp / "bundle"
    shutil.copytree(release.path, copy, symlinks=True)
    return copy


def _site(tmp: Path, release: SiteBundle) -> FakeSite:
    site = FakeSite(tmp / "site-shims")
    for name in ("tls.crt", "tls.key", "ca.pem"):
        site.put(f"/etc/inferplane/tls/{name}", release.built.secrets.directory / name)
    return site


def _install(site: FakeSite, bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return site.run(
        [str(bundle / "install.sh"), "systemd", *args],
        INFERPLANE_ROOT=str(site.root),
        INFERPLANE_HEALTH_SECONDS="0",
    )


def test_a_signed_release_installs_every_image_weight_and_unit(
    release: SiteBundle, tmp_path: Path
) -> None:
    site = _site(tmp_path, release)
    done = _install(site, release.path)
    assert done.returncode == 0, done.stderr
    assert f"signature ok: manifest.json signed by key {TEST_KEY.public.name}" in done.stdout
    manifest = json.loads((release.path / "manifest.json").read_text())
    plan = manifest["install"]
    digest = hashlib.sha256((release.path / "manifest.json").read_bytes()).hexdigest()
    current = site.root / "opt/inferplane/releases" / digest
    assert (site.root / "opt/inferplane/current").resolve() == current
    calls = site.calls()
    # Every image podman runs is loaded, from the verified release copy.
    podman_images = [e["archive"] for e in plan["images"].values() if not e.get("k3s_only")]
    assert [c for c in calls if c.startswith("podman")] == [
        f"podman load --input {current}/{archive}" for archive in podman_images
    ]
    tag = plan["systemd"]["router_oci_tag"]
    assert [c for c in calls if c.startswith("umoci")] == [
        f"umoci unpack --image {current}/images/router-oci:{tag}-amd64 "
        f"{site.root}/var/lib/inferplane/router.new"
    ]
    units = {u.rsplit("/", 1)[-1] for u in plan["systemd"]["units"]}
    assert site.files("/etc/systemd/system") == units
    (enable,) = [c for c in calls if c.startswith("systemctl enable")]
    assert set(enable.split()[2:]) == units
    # Every weight file verified (its sha256 is in the signed manifest) and installed.
    (weights,) = plan["weights"].values()
    for path in weights["files"]:
        installed = site.root / "var/lib/inferplane/models" / path.rsplit("/", 1)[-1]
        assert (
            hashlib.sha256(installed.read_bytes()).hexdigest()
            == (manifest["files"][path]["sha256"])
        )
    assert site.files("/usr/share/doc/inferplane") == {"README.md"}
    # The release's trust set is the site's now (it was already: the same key).
    assert site.files("/etc/inferplane/trusted-keys") == {f"{TEST_KEY.public.name}.pub"}


def _refused(done: subprocess.CompletedProcess[str], site: FakeSite, message: str) -> None:
    assert done.returncode == 1, done.stdout
    assert message in done.stderr
    assert not (site.root / "opt/inferplane/current").exists()
    assert not [c for c in site.calls() if c.startswith(("podman", "systemctl", "umoci"))]
    assert not (site.root / "var/lib/inferplane/models").exists()


def test_a_missing_signature_is_refused_unless_allowed(release: SiteBundle, tmp_path: Path) -> None:
    bundle = _copy(release, tmp_path)
    (bundle / SIGNATURE).unlink()
    site = _site(tmp_path, release)
    _refused(
        _install(site, bundle),
        site,
        "manifest.json.minisig is missing: the bundle is not signed",
    )
    allowed = _install(site, bundle, "--allow-unsigned")
    assert allowed.returncode == 0, allowed.stderr
    assert "WARNING: installing without a valid signature (--allow-unsigned)" in allowed.stderr


def test_a_signature_by_an_untrusted_key_is_refused(release: SiteBundle, tmp_path: Path) -> None:
    bundle = _copy(release, tmp_path)
    secret, other = _key(tmp_path, "stranger")
    sign_bundle(bundle, other)
    site = _site(tmp_path, release)
    _refused(
        _install(site, bundle),
        site,
        f"signed by key {other.public.name}, which this site does not trust",
    )
    # --trust adds it (a first install by hand), then it installs.
    done = _install(site, bundle, "--trust", str(secret.with_suffix(".pub")))
    assert done.returncode == 0, done.stderr


def test_a_garbled_signature_is_refused(release: SiteBundle, tmp_path: Path) -> None:
    bundle = _copy(release, tmp_path)
    lines = (bundle / SIGNATURE).read_text().splitlines()
    raw = bytearray(base64.b64decode(lines[1]))
    raw[20] ^= 1
    lines[1] = base64.b64encode(raw).decode()
    (bundle / SIGNATURE).write_text("\n".join(lines) + "\n")
    site = _site(tmp_path, release)
    _refused(_install(site, bundle), site, "the signature does not match the file")


def test_a_tampered_manifest_is_refused(release: SiteBundle, tmp_path: Path) -> None:
    bundle = _copy(release, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["install"]["systemd"]["units"].pop()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    site = _site(tmp_path, release)
    _refused(_install(site, bundle), site, "the signature does not match the file")


def test_a_tampered_weight_file_is_refused(release: SiteBundle, tmp_path: Path) -> None:
    bundle = _copy(release, tmp_path)
    (weight,) = (bundle / "models" / TARGET).iterdir()
    data = bytearray(weight.read_bytes())
    data[10] ^= 1
    weight.write_bytes(bytes(data))
    site = _site(tmp_path, release)
    _refused(
        _install(site, bundle),
        site,
        f"MISMATCH: models/{TARGET}/{weight.name}: sha256 mismatch",
    )


def test_a_tampered_image_is_refused(release: SiteBundle, tmp_path: Path) -> None:
    bundle = _copy(release, tmp_path)
    archive = bundle / "k3s/agent/images/model-llama-lab.tar"
    with tarfile.open(archive) as tar:
        blob = next(m for m in tar if m.isfile() and m.name.startswith("blobs/sha256/"))
    data = bytearray(archive.read_bytes())
    data[blob.offset_data] ^= 1
    archive.write_bytes(bytes(data))
    site = _site(tmp_path, release)
    done = _install(site, bundle)
    assert done.returncode == 1
    assert f"MISMATCH: model-llama-lab.tar: blob {blob.name[13:25]} is corrupt" in done.stderr


def test_keys_rotate_through_a_release_signed_by_the_old_key(
    release: SiteBundle, tmp_path: Path
) -> None:
    new_secret, new = _key(tmp_path, "new")
    site = _site(tmp_path, release)
    trusted = site.root / "etc/inferplane/trusted-keys"
    # Release 1: signed by the current (test) key, announcing the new key.
    one = tmp_path / "one"
    shutil.copytree(release.path, one)
    (one / "trust" / f"{new.public.name}.pub").write_text(public_key_text(new.public))
    relist(one)
    resign(one)
    assert _install(site, one).returncode == 0
    assert {p.name for p in trusted.iterdir()} == {
        f"{TEST_KEY.public.name}.pub",
        f"{new.public.name}.pub",
    }
    # Release 2: signed by the new key, which alone is trusted from now on.
    two = tmp_path / "two"
    shutil.copytree(one, two)
    (two / "trust" / f"{TEST_KEY.public.name}.pub").unlink()
    (two / "README.md").write_text((two / "README.md").read_text() + "\nrelease two\n")
    relist(two)
    sign_bundle(two, read_secret_key(new_secret))
    done = _install(site, two)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in trusted.iterdir()} == {f"{new.public.name}.pub"}
    # The old key's signature no longer installs anything.
    three = tmp_path / "three"
    shutil.copytree(two, three)
    (three / "README.md").write_text((three / "README.md").read_text() + "\nthree\n")
    relist(three)
    resign(three)
    done = _install(site, three)
    assert done.returncode == 1
    assert f"signed by key {TEST_KEY.public.name}, which this site does not trust" in done.stderr


def test_an_unsigned_release_never_changes_the_trusted_keys(
    release: SiteBundle, tmp_path: Path
) -> None:
    _, stranger = _key(tmp_path, "stranger")
    bundle = _copy(release, tmp_path)
    (bundle / "trust" / f"{stranger.public.name}.pub").write_text(public_key_text(stranger.public))
    relist(bundle)
    (bundle / SIGNATURE).unlink(missing_ok=True)
    site = _site(tmp_path, release)
    assert _install(site, bundle, "--allow-unsigned").returncode == 0
    assert site.files("/etc/inferplane/trusted-keys") == {f"{TEST_KEY.public.name}.pub"}


# --- the CLI ---------------------------------------------------------------------------


def test_cli_keygen_and_sign(tmp_path: Path) -> None:
    runner = CliRunner()
    secret = tmp_path / "edge.key"
    done = runner.invoke(app, ["edge", "keygen", "--secret", str(secret)])
    assert done.exit_code == 0, done.output
    key = read_secret_key(secret)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "manifest.json").write_text("{}\n")
    done = runner.invoke(
        app, ["edge", "sign", "--bundle", str(tmp_path / "b"), "--signing-key", str(secret)]
    )
    assert done.exit_code == 0, done.output
    assert minisign.verify_file(b"{}\n", (tmp_path / "b" / SIGNATURE).read_text(), [key.public])[
        0
    ].name == (key.public.name)
    again = runner.invoke(app, ["edge", "keygen", "--secret", str(secret)])
    assert again.exit_code != 0
    assert "never overwrites" in str(again.exception)
