"""Signing keys expire and can be revoked: the expiry rides in the key files' comment
lines (real minisign 0.11 still reads and verifies them), a signature is dated by its own
signed ``timestamp:``, and a release's signed ``trust/revoked-keys`` joins the site's
list for good. The installs run a real built bundle with the real ``install.sh`` in a
temporary root with recording shims (``tests.support.edgesite``)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferplane.cli import app
from inferplane.components.edge import keyring, minisign
from inferplane.components.edge.layout import SIGNATURE, TRUST_REVOKED
from inferplane.components.edge.minisign import PublicKey, SignatureError, day, day_text
from inferplane.edge_images.signing import (
    SecretKey,
    keygen,
    public_key_text,
    read_secret_key,
    sign_bundle,
    signing_time,
    trust_files,
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
STRANGER = SecretKey(b"stranger", hashlib.sha256(b"a key the test revokes").digest())
REASON = "laptop stolen 2026-05-01"
SIGNED_DAY = day_text(TEST_SIGNED_AT)
"""2026-05-28: the day every test bundle's signature carries."""


def _minisign() -> str:
    found = shutil.which("minisign")
    if found is None:
        pytest.skip("minisign is not installed (apt-get install -y minisign)")
    return found


def _expiring(key: PublicKey, expires: str) -> PublicKey:
    return PublicKey(key.key_id, key.key, key.source, day(expires))


def _signed(data: bytes, key: SecretKey, at: int, tmp: Path) -> tuple[PublicKey, str]:
    (tmp / "manifest.json").write_bytes(data)
    sign_bundle(tmp, key, at)
    return minisign.verify_file(data, (tmp / SIGNATURE).read_text(), [key.public])


# --- expiry: formats and the rule -----------------------------------------------------


def test_keygen_writes_the_expiry_into_both_files_and_minisign_ignores_it(
    tmp_path: Path,
) -> None:
    tool = _minisign()
    secret, public = tmp_path / "edge.key", tmp_path / "edge.pub"
    key = keygen(secret, public, days=30)
    today = int(time.time()) // 86400 * 86400
    assert key.expires == today + 30 * 86400
    expiry = day_text(today + 30 * 86400)
    assert public.read_text().splitlines()[0] == (
        f"untrusted comment: minisign public key {key.public.name} expires {expiry}"
    )
    assert read_secret_key(secret).expires == key.expires
    assert minisign.read_public_key(public).expires == key.expires
    # A release carries it to the sites in its trust set.
    assert trust_files(read_secret_key(secret), []) == {
        f"trust/{key.public.name}.pub": public.read_text()
    }
    (tmp_path / "manifest.json").write_text('{"c": 3}\n')
    sign_bundle(tmp_path, key, today)
    done = subprocess.run(
        [tool, "-V", "-p", str(public), "-m", str(tmp_path / "manifest.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Trusted comment: timestamp:{today}\t" in done.stdout
    with pytest.raises(BuildError, match="allowed 1 to 3650"):
        keygen(tmp_path / "x.key", tmp_path / "x.pub", days=0)


def test_a_signature_is_dated_by_its_own_timestamp_not_the_device_clock(
    tmp_path: Path,
) -> None:
    key = _expiring(TEST_KEY.public, "2026-06-01")
    before = day("2026-06-01") - 1
    signer, comment = _signed(b"{}\n", TEST_KEY, before, tmp_path)
    assert minisign.signed_at(comment) == before
    # Valid when it signed: accepted; the device clock past the expiry only warns.
    assert keyring.accept(key, comment, {}, now=before) == []
    assert keyring.accept(key, comment, {}, now=day("2030-01-01")) == [
        f"key {key.name} expired 2026-06-01 (device clock): rotate to a new key"
    ]
    # Signed on the expiry day: refused, whatever the device clock says.
    _, late = _signed(b"{}\n", TEST_KEY, day("2026-06-01"), tmp_path)
    with pytest.raises(SignatureError, match=f"signed 2026-06-01 by key {key.name}, which expired"):
        keyring.accept(key, late, {}, now=0)
    # Revoked: refused whatever the date.
    with pytest.raises(SignatureError, match=f"which is revoked \\({REASON}\\)"):
        keyring.accept(key, comment, {key.name: REASON}, now=before)
    assert signer.name == key.name


def test_minisign_signatures_carry_the_timestamp_an_expiring_key_needs(tmp_path: Path) -> None:
    tool = _minisign()
    secret, public = tmp_path / "m.key", tmp_path / "m.pub"
    subprocess.run([tool, "-G", "-W", "-s", str(secret), "-p", str(public)], check=True)
    lines = public.read_text().splitlines()
    public.write_text(f"{lines[0]} expires 2099-01-01\n{lines[1]}\n")
    key = minisign.read_public_key(public)
    assert key.expires == day("2099-01-01")
    data = tmp_path / "manifest.json"
    data.write_text('{"d": 4}\n')
    signature = tmp_path / "manifest.json.minisig"
    subprocess.run([tool, "-S", "-s", str(secret), "-m", str(data)], check=True)
    signer, comment = minisign.verify_file(data.read_bytes(), signature.read_text(), [key])
    assert keyring.accept(signer, comment, {}, time.time()) == []
    # minisign still verifies with the key file carrying the expiry.
    assert (
        subprocess.run([tool, "-V", "-p", str(public), "-m", str(data)], check=False).returncode
        == 0
    )
    # A custom trusted comment without a timestamp cannot be dated: refused.
    subprocess.run([tool, "-S", "-s", str(secret), "-m", str(data), "-t", "no date"], check=True)
    signer, comment = minisign.verify_file(data.read_bytes(), signature.read_text(), [key])
    with pytest.raises(SignatureError, match="the signature has no timestamp"):
        keyring.accept(signer, comment, {}, time.time())


def test_the_builder_refuses_expired_and_revoked_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expired = SecretKey(TEST_KEY.key_id, TEST_KEY.seed, day(SIGNED_DAY))
    (tmp_path / "manifest.json").write_text("{}\n")
    with pytest.raises(
        BuildError, match=f"signing key {TEST_KEY.public.name} expired {SIGNED_DAY}"
    ):
        sign_bundle(tmp_path, expired, TEST_SIGNED_AT)
    assert not (tmp_path / SIGNATURE).exists()
    with pytest.raises(BuildError, match=f"key {TEST_KEY.public.name} .* revocation list"):
        trust_files(TEST_KEY, [], {TEST_KEY.public.name: REASON})
    with pytest.raises(BuildError, match=f"key {STRANGER.public.name} .* revocation list"):
        trust_files(TEST_KEY, [STRANGER.public], {STRANGER.public.name: REASON})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH='soon': allowed a unix time"):
        signing_time()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert signing_time() == 1_700_000_000


def test_a_revocation_list_the_site_cannot_read_refuses(tmp_path: Path) -> None:
    with pytest.raises(SignatureError, match="line 2: 'ABC' is not a key id"):
        keyring.parse_revoked(f"# list\nABC {REASON}\n", "revoked-keys")
    assert keyring.parse_revoked(f"{STRANGER.public.name}\n", "x") == {
        STRANGER.public.name: "revoked"
    }


# --- the installer ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> SiteBundle:
    """A real built, signed systemd bundle whose trust set revokes STRANGER (the
    operator's list from ``edge revoke``), with packed weights and fetched images."""
    tmp = tmp_path_factory.mktemp("revoking")
    listed = tmp / "revoked-keys"
    done = CliRunner().invoke(
        app,
        [
            "edge",
            "revoke",
            "--revoked",
            str(listed),
            "--key",
            STRANGER.public.name,
            "--reason",
            REASON,
        ],
    )
    assert done.exit_code == 0, done.output
    more = {"revoked": listed}
    built = build_site_bundle(
        systemd_spec(), "dev", "austin-lab", router_source(), tmp / "b", more=more
    )
    assert FakeSite(tmp / "shims", built.archives).run([str(built.path / "fetch-images.sh")])
    manifest = json.loads((built.path / "manifest.json").read_text())
    (name,) = manifest["targets"][TARGET]["model_files"]
    weights = tmp / "w" / name
    weights.parent.mkdir()
    weights.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"w" * 4096)
    pack_model(built.path, TARGET, weights)
    resign(built.path)
    return built


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


def _refused(site: FakeSite, bundle: Path, message: str, *args: str) -> None:
    """The install refuses with ``message`` and hands nothing to the runtime."""
    before = len(site.calls())
    done = _install(site, bundle, *args)
    assert done.returncode == 1, done.stdout
    assert message in done.stderr
    assert not [c for c in site.calls()[before:] if c.startswith(("podman", "systemctl", "umoci"))]


def _variant(
    release: SiteBundle, tmp: Path, name: str, signer: SecretKey, files: dict[str, str]
) -> Path:
    """A copy of the release with ``files`` (bundle path -> text; "" deletes) changed,
    relisted and signed by ``signer`` at the test signing time."""
    copy = tmp / name
    shutil.copytree(release.path, copy, symlinks=True)
    (copy / "README.md").write_text((copy / "README.md").read_text() + f"\n{name}\n")
    for path, text in files.items():
        target = copy / path
        if text:
            target.write_text(text)
        else:
            target.unlink()
    relist(copy)
    sign_bundle(copy, signer, TEST_SIGNED_AT)
    return copy


def _site_revoked(site: FakeSite) -> dict[str, str]:
    return keyring.read_revoked(site.root / "etc/inferplane/revoked-keys")


def test_the_revocation_list_is_signed_into_the_release_and_its_seed(release: SiteBundle) -> None:
    manifest = json.loads((release.path / "manifest.json").read_text())
    text = (release.path / TRUST_REVOKED).read_text()
    assert manifest["files"][TRUST_REVOKED]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert keyring.parse_revoked(text, "x") == {STRANGER.public.name: REASON}
    assert "/etc/inferplane/revoked-keys" in (release.path / "seed/user-data").read_text()
    assert sorted(p.name for p in (release.path / "trust").iterdir()) == [
        f"{TEST_KEY.public.name}.pub",
        "revoked-keys",
    ]


def test_an_expired_key_signature_is_refused_by_its_signed_date(
    release: SiteBundle, tmp_path: Path
) -> None:
    site = _site(tmp_path, release)
    trusted = site.root / "etc/inferplane/trusted-keys" / f"{TEST_KEY.public.name}.pub"
    # The key expired on the day the release was signed: refused.
    trusted.write_text(public_key_text(_expiring(TEST_KEY.public, SIGNED_DAY)))
    _refused(
        site,
        release.path,
        f"signed {SIGNED_DAY} by key {TEST_KEY.public.name}, which expired {SIGNED_DAY}",
    )
    assert not (site.root / "opt/inferplane/current").exists()
    # It expired a few days after: the release installs (signed while valid); the
    # device clock (past the expiry) only warns.
    assert time.time() > day("2026-06-01")
    trusted.write_text(public_key_text(_expiring(TEST_KEY.public, "2026-06-01")))
    done = _install(site, release.path)
    assert done.returncode == 0, done.stderr
    assert f"WARNING: key {TEST_KEY.public.name} expired 2026-06-01 (device clock)" in done.stderr


def test_a_revoked_key_is_refused_and_no_release_un_revokes_it(
    release: SiteBundle, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(public_key_text(STRANGER.public))
    site = _site(tmp_path, release)
    done = _install(site, release.path)
    assert done.returncode == 0, done.stderr
    assert _site_revoked(site) == {STRANGER.public.name: REASON}
    assert (
        f"revoked key {STRANGER.public.name}: {REASON}"
        in (site.root / "opt/inferplane/releases.log").read_text()
    )
    # A bundle the revoked key signed: --trust refuses the key, and a key file put
    # there by hand does not help.
    theirs = _variant(release, tmp_path, "theirs", STRANGER, {})
    _refused(site, theirs, f"key {STRANGER.public.name} is revoked", "--trust", str(stranger))
    keys = site.root / "etc/inferplane/trusted-keys"
    shutil.copy(stranger, keys / stranger.name)
    _refused(site, theirs, f"which is revoked ({REASON})")
    # A later release (signed by a trusted key) that trusts the key again and lists
    # another revocation instead: the site keeps both revocations, and not the key.
    other = SecretKey(b"other\x00\x00\x00", bytes(32)).public.name
    again = {
        f"trust/{STRANGER.public.name}.pub": public_key_text(STRANGER.public),
        TRUST_REVOKED: f"{other} retired\n",
    }
    two = _variant(release, tmp_path, "two", TEST_KEY, again)
    done = _install(site, two)
    assert done.returncode == 0, done.stderr
    assert _site_revoked(site) == {STRANGER.public.name: REASON, other: "retired"}
    assert {p.name for p in keys.iterdir()} == {f"{TEST_KEY.public.name}.pub"}
    shutil.copy(stranger, keys / stranger.name)  # by hand again: still revoked
    _refused(site, theirs, f"which is revoked ({REASON})")


def test_no_rollback_to_a_release_whose_signer_was_revoked_since(
    release: SiteBundle, tmp_path: Path
) -> None:
    site = _site(tmp_path, release)
    keys = site.root / "etc/inferplane/trusted-keys"
    (keys / f"{STRANGER.public.name}.pub").write_text(public_key_text(STRANGER.public))
    # Live first: a release the (then trusted) stranger signed.
    theirs = _variant(release, tmp_path, "theirs", STRANGER, {TRUST_REVOKED: ""})
    assert _install(site, theirs).returncode == 0
    # Then the release revoking the stranger: the rollback target is theirs.
    assert _install(site, release.path).returncode == 0
    current = (site.root / "opt/inferplane/current").resolve()
    before = len(site.calls())
    done = site.run(
        [str(current / "install.sh"), "rollback"],
        INFERPLANE_ROOT=str(site.root),
        INFERPLANE_HEALTH_SECONDS="0",
    )
    assert done.returncode == 1, done.stdout
    assert f"signed by key {STRANGER.public.name}, which is revoked ({REASON})" in done.stderr
    assert f"refusing to roll back to {_release_name(theirs)}" in done.stderr
    assert (site.root / "opt/inferplane/current").resolve() == current
    assert site.calls()[before:] == []


def _release_name(bundle: Path) -> str:
    return hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()


def test_a_release_revoking_its_own_signer_is_refused(release: SiteBundle, tmp_path: Path) -> None:
    own = f"{TEST_KEY.public.name} retired\n"
    bundle = _variant(release, tmp_path, "own", TEST_KEY, {TRUST_REVOKED: own})
    site = _site(tmp_path, release)
    _refused(site, bundle, "which is revoked (retired)")
    assert not (site.root / "etc/inferplane/revoked-keys").exists()


def test_cli_keygen_days_and_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    secret = tmp_path / "edge.key"
    done = runner.invoke(app, ["edge", "keygen", "--secret", str(secret), "--days", "90"])
    assert done.exit_code == 0, done.output
    expires = read_secret_key(secret).expires
    assert expires is not None
    assert f"(expires {day_text(expires)})" in " ".join(done.output.split())
    listed = tmp_path / "revoked-keys"
    for key_id, reason in ((STRANGER.public.name, REASON), ("0123456789abcdef", "old laptop")):
        done = runner.invoke(
            app, ["edge", "revoke", "--revoked", str(listed), "--key", key_id, "--reason", reason]
        )
        assert done.exit_code == 0, done.output
    assert keyring.read_revoked(listed) == {
        STRANGER.public.name: REASON,
        "0123456789ABCDEF": "old laptop",
    }
    bad = runner.invoke(
        app, ["edge", "revoke", "--revoked", str(listed), "--key", "nope", "--reason", "x"]
    )
    assert bad.exit_code != 0
    assert "'NOPE' is not a key id" in str(bad.exception)


def test_edge_site_trust_step_writes_the_key_with_its_expiry(tmp_path: Path) -> None:
    from inferplane.components.edge.install import trust_script
    from inferplane.components.edge.install.site_layout import SiteLayout

    key = _expiring(STRANGER.public, "2027-01-01")
    script = trust_script({f"{key.name}.pub": public_key_text(key)}, SiteLayout(root=str(tmp_path)))
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    written = minisign.read_public_key(tmp_path / f"etc/inferplane/trusted-keys/{key.name}.pub")
    assert (written.key, written.expires) == (key.key, day("2027-01-01"))
