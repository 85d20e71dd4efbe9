def test_the_provisioning_seed_carries_tls_and_lives_with_the_secrets(built: SiteBundle) -> None:
    secrets = built.built.secrets
    seeded = yaml.safe_load((secrets.directory / "seed/user-data").read_text())
    files = {f["path"]: f for f in seeded["write_files"]}
    assert files["/etc/inferplane/tls/tls.key"]["permissions"] == "0600"
    assert files["/etc/inferplane/tls/tls.key"]["content"] == secrets.key.read_text()
    assert files["/etc/inferplane/tls/tls.crt"]["content"] == secrets.cert.read_text()
    assert files["/etc/inferplane/tls/ca.pem"]["permissions"] == "0644"
    assert (secrets.directory / "seed/seed.iso").is_file()
    bundled = yaml.safe_load((built.path / "seed/user-data").read_text())
    assert not any(f["path"].startswith("/etc/inferplane/tls") for f in bundled["write_files"])
    # Apart from the TLS files, the two seeds write the same files.
    assert {p for p in files if not p.startswith("/etc/inferplane/tls")} == {
        f["path"] for f in bundled["write_files"]
    }
