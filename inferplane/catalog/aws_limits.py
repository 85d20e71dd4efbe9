"""Fixed value lists of AWS APIs that both the spec (validating what a user writes) and the
components (checking their arguments) refuse values outside of: one home for each."""

from __future__ import annotations

__all__ = ["LOG_RETENTION_DAYS", "SERVERLESS_MEMORY_MB"]

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# SageMaker ProductionVariantServerlessConfig.MemorySizeInMB: 1024-6144 in 1 GB steps.
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
