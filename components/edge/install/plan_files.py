"""The plan's files in the runtime part: each is checked before use (a listed file that is
missing stops the install), the operator's README, and packed model weights."""

from __future__ import annotations

from collections.abc import Sequence

from inferplane.components.edge.install.site_layout import q, site
from inferplane.components.edge.layout import InstallPlan, ModelWeights, SitePaths

__all__ = ["MACHINE_ARCH", "NEED", "lines", "need", "readme", "weights_into", "words"]

MACHINE_ARCH = """\
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
"""
"""Sets ``$arch`` (amd64 or arm64) from the machine; any other machine stops the install."""

NEED = """\
need() {
  # Every file the bundle's plan names must be there: a missing one is a broken bundle.
  for f in "$@"; do
    [ -f "$f" ] || { echo "missing $f (named by the bundle's install plan)" >&2; exit 1; }
  done
}
"""

_WEIGHTS = """\
# Model weights (sha256 checked with every other file before this point). Only files that
# differ from the installed ones are copied; they must fit the free disk first.
need {need}
models={models}
install -d -m 0755 "$models"
changed=""
{compare}if [ -n "$changed" ]; then
  free_kb=$(df -Pk "$models" | awk 'NR==2 {{print $4}}')
  free=$(( free_kb * 1024 ))
  if [ "$free" -lt {total} ]; then
    echo "model weights need {total} bytes in $models; the disk has $free free:" \\
      "nothing activated" >&2
    exit 1
  fi
  for f in $changed; do
    install -d -m 0755 "$models/$(dirname "$f")"
    # Copied beside, then renamed: a running server never reads half a file.
    cp "$release"/{prefix}"$f" "$models/$f.partial"
    chmod 0644 "$models/$f.partial"
    mv -f "$models/$f.partial" "$models/$f"
  done
fi
"""


def words(items: Sequence[str]) -> str:
    """``items`` as shell words."""
    return " ".join(q(i) for i in items)


def need(items: Sequence[str]) -> str:
    """The release's copies of ``items`` as ``need`` arguments."""
    return " ".join(f'"$release"/{q(i)}' for i in items)


def lines(template: str, items: Sequence[str]) -> str:
    """``template`` once a line per item, with its release ``path`` and file ``name``."""
    return "".join(
        template.format(path=f'"$release"/{q(i)}', name=q(i.rsplit("/", 1)[-1])) + "\n"
        for i in items
    )


def readme(plan: InstallPlan, paths: SitePaths) -> str:
    """The operator's guide, where the router unit's Documentation= points."""
    if plan.readme is None:
        return ""
    return (
        f'need "$release"/{q(plan.readme)}\n'
        f"install -d -m 0755 {site(paths.doc.rsplit('/', 1)[0])}\n"
        f'install -m 0644 "$release"/{q(plan.readme)} {site(paths.doc)}\n'
    )


def _compare(packed: ModelWeights) -> str:
    return "".join(
        f'cmp -s "$release"/{q(f)} "$models"/{q(packed.installed_name(f))} '
        f'|| changed="$changed "{q(packed.installed_name(f))}\n'
        for f in packed.files
    )


def weights_into(plan: InstallPlan, models_dir: str) -> str:
    """Copy the plan's packed weights that changed into ``models_dir``."""
    return "".join(
        _WEIGHTS.format(
            need=need(packed.files),
            models=site(models_dir),
            compare=_compare(packed),
            total=packed.bytes,
            prefix=q(f"models/{packed.target}/"),
        )
        for packed in plan.weights
    )
