"""SageMakerEndpoint: a model container on dedicated instances, real-time or async.

Real-time: instance type and count, ML-volume KMS, optional data capture to an in-region
bucket, target tracking on invocations per instance. Async: requests queue, results land
in an in-region bucket (success/error SNS topics optional), the fleet tracks the backlog
per instance and may scale to zero. Updates roll (rolling batches) or go blue/green, with
an Invocation5XX alarm that rolls a bad deployment back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.buckets import BucketParts, encrypted_bucket
from inferplane.components.aws.checks import botocore_enum, check_choice, check_range
from inferplane.components.aws.iam import Statement
from inferplane.components.aws.sagemaker_base import (
    SageMakerBase,
    SageMakerModelArgs,
    accelerator_of,
    check_model_args,
)
from inferplane.components.aws.sagemaker_scaling import VARIANT, variant_autoscaling

__all__ = ["LOCAL_STORAGE_FAMILIES", "SageMakerEndpoint", "SageMakerEndpointArgs"]

MODES = ("realtime", "async")
DEPLOYMENTS = ("rolling", "blue_green")
# Instance families with NVMe instance storage: AWS rejects an ML-storage KmsKeyId for
# them (their instance store is hardware-encrypted). SageMaker "Host instance storage
# volumes" table.
LOCAL_STORAGE_FAMILIES = frozenset(
    {"c5d", "c6id", "g4dn", "g5", "g6", "g6e", "m5d", "m6id", "p3dn", "p4d", "p4de",
     "p5", "p5e", "p5en", "r5d", "r6id", "inf2", "trn1", "trn1n"}
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class SageMakerEndpointArgs(SageMakerModelArgs):
    """A real-time or async SageMaker endpoint on dedicated instances."""

    instance_type: str
    """ML instance type, one of botocore's ProductionVariantInstanceType values."""
    mode: Literal["realtime", "async"] = "realtime"
    """``realtime`` (synchronous invoke) or ``async`` (queued, results in S3)."""
    initial_instances: int = 1
    """Instances at creation (>= 1; autoscaling moves it between min and max)."""
    min_instances: int = 1
    """Autoscaling floor: >= 1 real-time; async may scale to 0."""
    max_instances: int = 1
    """Autoscaling ceiling; equal to min_instances turns autoscaling off."""
    target_value: float | None = None
    """Target per instance: invocations/minute (real-time, default 10), concurrent
    requests per model (``concurrency``, default 4) or queued requests (async, default 5)."""
    scaling_signal: Literal["invocations", "concurrency"] = "invocations"
    """Real-time: track invocations per instance, or the high-resolution concurrent
    requests per model (an LLM request holds the container for seconds: concurrency, not
    the request rate, is what saturates it)."""
    scale_in_protection: bool = False
    """Never scale in automatically (prod: capacity only grows until someone lowers it)."""
    data_capture: bool = False
    """Capture requests and responses to an encrypted bucket in the endpoint's region."""
    capture_percent: int = 100
    """Share of requests captured."""
    deployment: Literal["rolling", "blue_green"] = "rolling"
    """How updates reach the fleet: rolling batches or blue/green with a canary."""
    async_notifications: bool = False
    """Async: publish success and error notifications to two SNS topics."""
    async_max_concurrent: int = 4
    """Async: concurrent requests per instance."""
    startup_timeout_s: int = 900
    """Container health-check timeout at startup (large models load slowly)."""

    @property
    def instance_family(self) -> str:
        return self.instance_type.split(".")[1]


def _check(args: SageMakerEndpointArgs) -> None:
    check_choice("mode", args.mode, MODES)
    check_choice("deployment", args.deployment, DEPLOYMENTS)
    check_choice(
        "instance_type",
        args.instance_type,
        botocore_enum("sagemaker", "ProductionVariantInstanceType"),
    )
    low = 0 if args.mode == "async" else 1
    check_range("min_instances", args.min_instances, low, 1000)
    check_range("max_instances", args.max_instances, max(1, args.min_instances), 1000)
    check_range("initial_instances", args.initial_instances, 1, args.max_instances)
    if args.initial_instances < args.min_instances:
        raise ValueError(
            f"initial_instances: {args.initial_instances} is below min_instances"
            f" ({args.min_instances}); allowed: {args.min_instances}..{args.max_instances}"
        )
    if args.target_value is not None and args.target_value <= 0:
        raise ValueError(f"target_value: {args.target_value} must be > 0")
    check_range("capture_percent", args.capture_percent, 1, 100)
    check_range("async_max_concurrent", args.async_max_concurrent, 1, 1000)
    check_range("startup_timeout_s", args.startup_timeout_s, 60, 3600)
    if args.mode != "async" and args.async_notifications:
        raise ValueError("async_notifications: only for mode 'async'")
    check_model_args(args, accelerator_of(args.instance_type))


class SageMakerEndpoint(SageMakerBase):
    """A SageMaker endpoint on dedicated instances (real-time or async)."""

    output_bucket: pulumi.Output[str | None]
    """Async results bucket."""
    capture_bucket: pulumi.Output[str | None]
    """Data capture bucket."""

    def __init__(
        self, name: str, args: SageMakerEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__(
            "inferplane:aws:SageMakerEndpoint", name, args, accelerator_of(args.instance_type), opts
        )
        self.args = args
        extra: list[Statement] = []

        capture = self._bucket(name, "capture", extra) if args.data_capture else None
        output = self._bucket(name, "async", extra) if args.mode == "async" else None
        topics = self._topics(name, extra) if args.async_notifications else None

        config = self._config(name, self._model(name, extra), capture, output, topics)
        alarm = self._rollback_alarm(name)
        endpoint = self._deploy(name, config, self._deployment(alarm))
        variant_autoscaling(self, name, endpoint, args, self._tags)

        self.output_bucket = output.bucket.bucket if output else pulumi.Output.from_input(None)
        self.capture_bucket = capture.bucket.bucket if capture else pulumi.Output.from_input(None)
        self._finish(
            mode=args.mode,
            output_bucket=self.output_bucket,
            capture_bucket=self.capture_bucket,
        )

    def _config(
        self,
        name: str,
        model: aws.sagemaker.Model,
        capture: BucketParts | None,
        output: BucketParts | None,
        topics: tuple[aws.sns.Topic, aws.sns.Topic] | None,
    ) -> aws.sagemaker.EndpointConfiguration:
        """One production variant on the instances; ML-volume KMS where AWS takes it."""
        args = self.args
        return aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            production_variants=[
                aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                    variant_name=VARIANT,
                    model_name=model.name,
                    instance_type=args.instance_type,
                    initial_instance_count=args.initial_instances,
                    container_startup_health_check_timeout_in_seconds=args.startup_timeout_s,
                    model_data_download_timeout_in_seconds=args.startup_timeout_s,
                )
            ],
            kms_key_arn=None
            if args.instance_family in LOCAL_STORAGE_FAMILIES
            else args.kms_key_arn,
            data_capture_config=self._capture_config(capture),
            async_inference_config=self._async_config(output, topics),
            region=args.region,
            tags=self._tags,
            opts=self.child(),
        )

    def _bucket(self, name: str, role: str, extra: list[Statement]) -> BucketParts:
        parts = encrypted_bucket(
            f"{name}-{role}",
            region=self.args.region,
            labels=self.args.labels,
            parent=self,
            kms_key_arn=self.args.kms_key_arn,
        )
        extra.append(
            Statement(
                sid=f"Write{role.title()}",
                actions=("s3:PutObject",),
                resources=[pulumi.Output.concat(parts.bucket.arn, "/*")],
            )
        )
        return parts

    def _topics(self, name: str, extra: list[Statement]) -> tuple[aws.sns.Topic, aws.sns.Topic]:
        made = tuple(
            aws.sns.Topic(
                f"{name}-{outcome}",
                kms_master_key_id=self.args.kms_key_arn or "alias/aws/sns",
                region=self.args.region,
                tags=self._tags,
                opts=self.child(),
            )
            for outcome in ("success", "error")
        )
        extra.append(
            Statement(sid="Notify", actions=("sns:Publish",), resources=[t.arn for t in made])
        )
        return made[0], made[1]

    def _capture_config(
        self, capture: BucketParts | None
    ) -> aws.sagemaker.EndpointConfigurationDataCaptureConfigArgs | None:
        if capture is None:
            return None
        return aws.sagemaker.EndpointConfigurationDataCaptureConfigArgs(
            enable_capture=True,
            initial_sampling_percentage=self.args.capture_percent,
            destination_s3_uri=pulumi.Output.concat("s3://", capture.bucket.bucket, "/capture"),
            kms_key_id=self.args.kms_key_arn,
            capture_options=[
                aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(
                    capture_mode=mode
                )
                for mode in ("Input", "Output")
            ],
            capture_content_type_header=aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureContentTypeHeaderArgs(
                json_content_types=["application/json"]
            ),
        )

    def _async_config(
        self, output: BucketParts | None, topics: tuple[aws.sns.Topic, aws.sns.Topic] | None
    ) -> aws.sagemaker.EndpointConfigurationAsyncInferenceConfigArgs | None:
        if output is None:
            return None
        notification = None
        if topics is not None:
            notification = aws.sagemaker.EndpointConfigurationAsyncInferenceConfigOutputConfigNotificationConfigArgs(  # noqa: E501
                success_topic=topics[0].arn,
                error_topic=topics[1].arn,
                include_inference_response_ins=[
                    "SUCCESS_NOTIFICATION_TOPIC",
                    "ERROR_NOTIFICATION_TOPIC",
                ],
            )
        bucket = output.bucket.bucket
        return aws.sagemaker.EndpointConfigurationAsyncInferenceConfigArgs(
            output_config=aws.sagemaker.EndpointConfigurationAsyncInferenceConfigOutputConfigArgs(
                s3_output_path=pulumi.Output.concat("s3://", bucket, "/output"),
                s3_failure_path=pulumi.Output.concat("s3://", bucket, "/failure"),
                kms_key_id=self.args.kms_key_arn,
                notification_config=notification,
            ),
            client_config=aws.sagemaker.EndpointConfigurationAsyncInferenceConfigClientConfigArgs(
                max_concurrent_invocations_per_instance=self.args.async_max_concurrent
            ),
        )

    def _rollback_alarm(self, name: str) -> aws.cloudwatch.MetricAlarm:
        # Named after the endpoint's physical name, which is known before the endpoint
        # exists: the endpoint's deployment config refers to the alarm by name.
        return aws.cloudwatch.MetricAlarm(
            f"{name}-5xx",
            name=f"{self.physical_endpoint_name}-invocation-5xx",
            namespace="AWS/SageMaker",
            metric_name="Invocation5XXErrors",
            dimensions={"EndpointName": self.physical_endpoint_name, "VariantName": VARIANT},
            statistic="Sum",
            period=60,
            evaluation_periods=2,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_description="Rolls a SageMaker deployment back when the model answers 5xx",
            region=self.args.region,
            tags=self._tags,
            opts=self.child(),
        )

    def _deployment(
        self, alarm: aws.cloudwatch.MetricAlarm
    ) -> aws.sagemaker.EndpointDeploymentConfigArgs:
        rollback = aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationArgs(
            alarms=[
                aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationAlarmArgs(
                    alarm_name=alarm.name
                )
            ]
        )
        if self.args.deployment == "rolling":
            return aws.sagemaker.EndpointDeploymentConfigArgs(
                auto_rollback_configuration=rollback,
                rolling_update_policy=aws.sagemaker.EndpointDeploymentConfigRollingUpdatePolicyArgs(
                    maximum_batch_size=aws.sagemaker.EndpointDeploymentConfigRollingUpdatePolicyMaximumBatchSizeArgs(
                        type="CAPACITY_PERCENT", value=50
                    ),
                    wait_interval_in_seconds=300,
                    maximum_execution_timeout_in_seconds=3600,
                ),
            )
        # Async endpoints take no canary; their traffic moves all at once after baking.
        canary = self.args.mode == "realtime"
        routing = aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs(  # noqa: E501
            type="CANARY" if canary else "ALL_AT_ONCE",
            wait_interval_in_seconds=300,
            canary_size=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationCanarySizeArgs(
                type="CAPACITY_PERCENT", value=10
            )
            if canary
            else None,
        )
        return aws.sagemaker.EndpointDeploymentConfigArgs(
            auto_rollback_configuration=rollback,
            blue_green_update_policy=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyArgs(
                traffic_routing_configuration=routing,
                termination_wait_in_seconds=600,
                maximum_execution_timeout_in_seconds=3600,
            ),
        )
