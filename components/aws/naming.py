"""Physical names of AWS resources within AWS's length and character limits."""

from __future__ import annotations

import hashlib
import re

__all__ = ["physical_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def physical_name(prefix: str, role: str = "", limit: int = 63) -> str:
    """``<prefix>-<role>`` made of letters, digits and '-', at most ``limit`` characters;
    a name cut to fit ends in a short hash of the full name so it stays unique."""
    full = _UNSAFE.sub("-", f"{prefix}-{role}" if role else prefix).strip("-")
    if len(full) <= limit:
        return full
    digest = hashlib.blake2b(full.encode(), digest_size=3).hexdigest()
    return f"{full[: limit - len(digest) - 1].rstrip('-')}-{digest}"
