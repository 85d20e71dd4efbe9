"""SageMakerServerlessEndpoint: a model container SageMaker starts per request.

CPU only, scales to zero, billed per request-duration and memory; memory comes in 1 GB
steps up to 6 GB, so only small models fit. Provisioned concurrency keeps instances warm
(and is billed while it does). Serverless endpoints take no rolling or blue/green
deployment configuration: updates switch all at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from inferplane.catalog.aws_limits import SERVERLESS_MEMORY_MB
from inferplane.components.aws.checks import check_choice, check_range
from inferplane.components.aws.sagemaker_base import (
    SageMakerBase,
    SageMakerModelArgs,
    check_model_args,
)

__all__ = ["SERVERLESS_MEMORY_MB", "SageMakerServerlessArgs", "SageMakerServerlessEndpoint"]

VARIANT = "primary"


@dataclass(frozen=True, kw_only=True)
class SageMakerServerlessArgs(SageMakerModelArgs):
    """A serverless SageMaker endpoint."""

    memory_mb: int = 6144
    """Memory per instance: 1024, 2048, 3072, 4096, 5120 or 6144."""
    max_concurrency: int = 10
    """Concurrent invocations before throttling (1..200)."""
    provisioned_concurrency: int | None = None
    """Warm instances kept ready (1..max_concurrency); None for pure on-demand."""


def _check(args: SageMakerServerlessArgs) -> None:
    check_choice("memory_mb", args.memory_mb, SERVERLESS_MEMORY_MB)
    check_range("max_concurrency", args.max_concurrency, 1, 200)
    if args.provisioned_concurrency is not None:
        check_range(
            "provisioned_concurrency", args.provisioned_concurrency, 1, args.max_concurrency
        )
    if args.kms_key_arn is not None:
        raise ValueError(
            "kms_key_arn: serverless endpoints have no ML storage volume to encrypt; leave it unset"
        )
    check_model_args(args, "cpu")


class SageMakerServerlessEndpoint(SageMakerBase):
    """A serverless SageMaker endpoint (scales to zero)."""

    def __init__(
        self, name: str, args: SageMakerServerlessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:aws:SageMakerServerlessEndpoint", name, args, "cpu", opts)
        model = self._model(name, [])
        config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            production_variants=[
                aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                    variant_name=VARIANT,
                    model_name=model.name,
                    serverless_config=aws.sagemaker.EndpointConfigurationProductionVariantServerlessConfigArgs(
                        memory_size_in_mb=args.memory_mb,
                        max_concurrency=args.max_concurrency,
                        provisioned_concurrency=args.provisioned_concurrency,
                    ),
                )
            ],
            # Serverless variants have no ML storage volume: a KmsKeyId is rejected.
            region=args.region,
            tags=self._tags,
            opts=self.child(),
        )
        self._deploy(name, config, None)
        self._finish(memory_mb=args.memory_mb, max_concurrency=args.max_concurrency)
