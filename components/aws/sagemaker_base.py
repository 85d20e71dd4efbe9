"""What every SageMaker endpoint shares, whatever its mode (real-time, async, serverless):
the container image (an AWS Deep Learning Container resolved per region, or a given ECR
URI), an execution role scoped to that image, the model data, the endpoint's log group and
the buckets it writes to, the Model, and the Endpoint with its outputs.

Subclasses build the production variant and the mode's own configuration, then call
``_deploy``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.arns import account_id
from inferplane.components.aws.checks import check_region
from inferplane.components.aws.iam import Statement, assume_role_policy, policy_document
from inferplane.components.aws.naming import physical_name
from inferplane.components.aws.wiring import SAGEMAKER_ACTIONS, aws_grant, cloud_api, sigv4
from inferplane.components.base import EndpointInfo, Labels, TargetComponent

__all__ = [
    "DLC_IMAGES",
    "Accelerator",
    "DlcImage",
    "SageMakerBase",
    "SageMakerModelArgs",
    "accelerator_of",
    "check_model_args",
]

Accelerator = Literal["gpu", "cpu", "neuron"]


@dataclass(frozen=True)
class DlcImage:
    """An AWS Deep Learning Container: repository and pinned tag (the registry account
    differs per region, so the URI is resolved by ``get_prebuilt_ecr_image``)."""

    repository: str
    tag: str
    environment: tuple[tuple[str, str], ...] = ()


# Pinned DLC tags (aws/deep-learning-containers available_images). TGI ships no CPU
# container: on CPU (serverless) "tgi" means the Hugging Face transformers toolkit.
# vLLM on SageMaker is served through LMI (djl-inference) with the vLLM rolling batch.
DLC_IMAGES: dict[tuple[str, Accelerator], DlcImage] = {
    ("tgi", "gpu"): DlcImage(
        "huggingface-pytorch-tgi-inference",
        "2.7.0-tgi3.3.4-gpu-py311-cu124-ubuntu22.04",
        (("MESSAGES_API_ENABLED", "true"),),
    ),
    ("tgi", "cpu"): DlcImage(
        "huggingface-pytorch-inference",
        "2.6.0-transformers4.49.0-cpu-py312-ubuntu22.04",
        (("HF_TASK", "text-generation"),),
    ),
    ("lmi", "gpu"): DlcImage("djl-inference", "0.33.0-lmi15.0.0-cu128"),
    ("vllm", "gpu"): DlcImage(
        "djl-inference", "0.33.0-lmi15.0.0-cu128", (("OPTION_ROLLING_BATCH", "vllm"),)
    ),
}
IMAGE_NAMES = ("tgi", "vllm", "lmi")
ECR_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9][a-z0-9._/-]*)(?::[\w.-]+|@sha256:[0-9a-f]{64})$"
)
S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")


def accelerator_of(instance_type: str) -> Accelerator:
    """What an ML instance type computes on: ml.g*/ml.p* GPUs, ml.inf*/ml.trn* AWS
    Neuron, anything else CPU."""
    family = instance_type.split(".")[1] if instance_type.count(".") == 2 else ""
    if family.startswith(("inf", "trn")):
        return "neuron"
    return "gpu" if family[:1] in ("g", "p") else "cpu"


@dataclass(frozen=True, kw_only=True)
class SageMakerModelArgs:
    """The model every SageMaker endpoint serves."""

    region: str
    """Region of the endpoint and everything it writes."""
    model_id: str
    """The model served (Hugging Face ID); passed as ``HF_MODEL_ID`` without model_data."""
    labels: Labels
    """Tags for every resource."""
    name_prefix: str
    """Prefix of physical names; the endpoint is named after it."""
    image: str = "tgi"
    """``tgi``, ``vllm``, ``lmi`` (AWS Deep Learning Containers) or an ECR image URI."""
    image_tag: str | None = None
    """Override the pinned DLC tag (DLC images only)."""
    model_data: str | None = None
    """``s3://bucket/key`` of model artifacts (a ``model.tar.gz``); None downloads model_id."""
    environment: dict[str, str] = field(default_factory=dict)
    """Container environment, added to (and overriding) the image's defaults."""
    kms_key_arn: str | None = None
    """KMS key for the ML storage volume and every bucket output; AWS-managed when None."""


def check_model_args(args: SageMakerModelArgs, accelerator: Accelerator) -> None:
    check_region("region", args.region)
    if not args.model_id:
        raise ValueError("model_id: empty; name the model the endpoint serves")
    if args.image in IMAGE_NAMES:
        if (args.image, accelerator) not in DLC_IMAGES:
            raise ValueError(
                f"image: {args.image!r} has no {accelerator.upper()} container; on"
                f" {accelerator.upper()} use one of"
                f" {', '.join(i for i, a in DLC_IMAGES if a == accelerator)} or an ECR URI"
            )
    elif not ECR_URI.match(args.image):
        raise ValueError(
            f"image: {args.image!r} is neither {', '.join(IMAGE_NAMES)} nor an ECR image URI"
            " (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)"
        )
    elif args.image_tag is not None:
        raise ValueError("image_tag: only for tgi/vllm/lmi; put the tag in the ECR URI")
    if args.model_data is not None and not S3_URI.match(args.model_data):
        raise ValueError(f"model_data: {args.model_data!r} is not an s3://bucket/key URI")
    if args.kms_key_arn is not None and not args.kms_key_arn.startswith("arn:aws"):
        raise ValueError(f"kms_key_arn: {args.kms_key_arn!r} is not a KMS key ARN")


class SageMakerBase(TargetComponent):
    """Image, role, Model and Endpoint of one SageMaker endpoint."""

    endpoint_name: pulumi.Output[str]
    """The SageMaker endpoint name (what the router invokes)."""
    endpoint_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    """The execution role of the model container."""

    def __init__(
        self,
        type_: str,
        name: str,
        args: SageMakerModelArgs,
        accelerator: Accelerator,
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        super().__init__(type_, name, None, opts)
        self._args = args
        self._accelerator = accelerator
        self._tags = args.labels.tags()
        self._account = account_id()
        self.physical_endpoint_name = physical_name(args.name_prefix, limit=63)

    def _image(self) -> tuple[pulumi.Output[str], pulumi.Output[str], dict[str, str]]:
        """Image URI, its ECR repository ARN and the image's default environment."""
        args = self._args
        dlc = DLC_IMAGES.get((args.image, self._accelerator))
        if dlc is None:
            match = ECR_URI.match(args.image)
            assert match is not None  # checked in check_model_args
            given = f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
            return pulumi.Output.from_input(args.image), pulumi.Output.from_input(given), {}
        found = aws.sagemaker.get_prebuilt_ecr_image_output(
            repository_name=dlc.repository,
            image_tag=args.image_tag or dlc.tag,
            region=args.region,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        repo_arn = found.registry_id.apply(
            lambda registry: f"arn:aws:ecr:{args.region}:{registry}:repository/{dlc.repository}"
        )
        return found.registry_path, repo_arn, dict(dlc.environment)

    def _log_arns(self) -> list[pulumi.Output[str]]:
        group = pulumi.Output.concat(
            "arn:aws:logs:",
            self._args.region,
            ":",
            self._account,
            ":log-group:/aws/sagemaker/Endpoints/",
            self.physical_endpoint_name,
        )
        return [group, pulumi.Output.concat(group, ":log-stream:*")]

    def _statements(self, repo_arn: pulumi.Output[str]) -> list[Statement]:
        args = self._args
        statements = [
            Statement(
                sid="PullImage",
                actions=(
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ),
                resources=[repo_arn],
            ),
            Statement(sid="EcrLogin", actions=("ecr:GetAuthorizationToken",), resources=["*"]),
            Statement(
                sid="EndpointLogs",
                actions=(
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ),
                resources=self._log_arns(),
            ),
        ]
        if args.model_data is not None:
            match = S3_URI.match(args.model_data)
            assert match is not None
            statements.append(
                Statement(
                    sid="ReadModelData",
                    actions=("s3:GetObject",),
                    resources=[f"arn:aws:s3:::{match['bucket']}/{match['key']}"],
                )
            )
        if args.kms_key_arn is not None:
            statements.append(
                Statement(
                    sid="UseKey",
                    actions=(
                        "kms:Decrypt",
                        "kms:Encrypt",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                    ),
                    resources=[args.kms_key_arn],
                )
            )
        return statements

    def _model(self, name: str, extra: list[Statement]) -> aws.sagemaker.Model:
        args = self._args
        image, repo_arn, image_env = self._image()
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("sagemaker.amazonaws.com"),
            description=f"SageMaker execution role of {self.physical_endpoint_name}",
            tags=self._tags,
            opts=self.child(),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=policy_document([*self._statements(repo_arn), *extra]),
            opts=self.child(),
        )
        environment = dict(image_env)
        if args.model_data is None:
            environment["HF_MODEL_ID"] = args.model_id
        elif args.image in IMAGE_NAMES:
            environment["HF_MODEL_ID"] = "/opt/ml/model"
        environment.update(args.environment)
        self.role_arn = role.arn
        return aws.sagemaker.Model(
            f"{name}-model",
            execution_role_arn=role.arn,
            primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
                image=image,
                model_data_url=args.model_data,
                environment=environment,
            ),
            region=args.region,
            tags=self._tags,
            # The container starts with the role's permissions: create the policy first.
            opts=self.child(depends_on=[role_policy]),
        )

    def _deploy(
        self,
        name: str,
        config: aws.sagemaker.EndpointConfiguration,
        deployment: aws.sagemaker.EndpointDeploymentConfigArgs | None,
    ) -> aws.sagemaker.Endpoint:
        args = self._args
        endpoint = aws.sagemaker.Endpoint(
            f"{name}-endpoint",
            name=self.physical_endpoint_name,
            endpoint_config_name=config.name,
            deployment_config=deployment,
            region=args.region,
            tags=self._tags,
            opts=self.child(),
        )
        self.endpoint_name = endpoint.name
        self.endpoint_arn = endpoint.arn
        region = args.region
        self.endpoint = pulumi.Output.all(endpoint.name, endpoint.arn).apply(
            lambda both: EndpointInfo(
                backend="sagemaker",
                model=args.model_id,
                endpoint_name=both[0],
                region=region,
                auth=sigv4("sagemaker"),
                reach=cloud_api("sagemaker.runtime"),
                grants=[aws_grant(SAGEMAKER_ACTIONS, [both[1]])],
            )
        )
        return endpoint

    def _finish(self, **more: object) -> None:
        self.register_target_outputs(
            endpoint_name=self.endpoint_name,
            endpoint_arn=self.endpoint_arn,
            role_arn=self.role_arn,
            **more,
        )
