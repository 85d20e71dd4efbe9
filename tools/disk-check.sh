#!/usr/bin/env bash
# Stops a test run early, with the numbers, when the disk cannot hold it.
#   tools/disk-check.sh [GIB]   (default: INFERPLANE_MIN_FREE_GIB or 12)
# The image, bundle and VM tests write several GB under the temp dir and the build cache;
# on a full disk they fail one by one as setup errors far from the cause (seen: CI at 33%
# with ENOSPC from every tmp_path). Checked: the temp dir, the build cache and this clone.
set -euo pipefail

need_gib="${1:-${INFERPLANE_MIN_FREE_GIB:-12}}"
cache="${INFERPLANE_BUILD_CACHE:-build/cache}"
mkdir -p "$cache"
status=0
declare -A seen=()
for place in "${TMPDIR:-/tmp}" "$cache" .; do
  read -r free_kib mount < <(df -Pk "$place" | awk 'NR==2 {print $4, $6}')
  [[ -n ${seen[$mount]:-} ]] && continue
  seen[$mount]=1
  free_gib=$((free_kib / 1048576))
  if ((free_gib < need_gib)); then
    echo "disk-check: only ${free_gib} GiB free on $mount (holding $place);" \
      "the test suite needs about ${need_gib} GiB there." >&2
    status=1
  fi
done
if ((status)); then
  echo "disk-check: free space (old pytest-of-* dirs under ${TMPDIR:-/tmp}, $cache) or set" \
    "INFERPLANE_MIN_FREE_GIB to run anyway." >&2
  df -h "${!seen[@]}" >&2
fi
exit "$status"
