"""inferplane: AI model inference on cloud, edge and hybrid, provisioned with Pulumi."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
