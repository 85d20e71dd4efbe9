"""Bedrock: a foundation model behind a fully managed API.

What the stack owns for a Bedrock target: a managed IAM policy that can invoke exactly the
configured model (and nothing else), optional provisioned throughput, an optional guardrail
and its version, and, for the one target per region that holds it, the account's model
invocation logging into an encrypted bucket in the same region. Where requests may be
processed (in-region model ID, a geographic ``us.``/``eu.``/``apac.`` profile or
``global.``) is an output and the ``bedrock-inference`` tag on every resource, so the
residency policies can read it.
"""

from __future__ import annotations

import pulumi

from inferplane.components.aws.arns import account_id
from inferplane.components.aws.bedrock.access import ModelArns, invoke_policy, model_arns
from inferplane.components.aws.bedrock.args import BedrockArgs, check
from inferplane.components.aws.bedrock.guardrail import guardrail_with_version
from inferplane.components.aws.bedrock.invocation_logging import invocation_logging
from inferplane.components.aws.bedrock.throughput import provisioned_throughput
from inferplane.components.aws.wiring import cloud_api, sigv4
from inferplane.components.base import EndpointInfo, TargetComponent

__all__ = ["Bedrock"]


def _none() -> pulumi.Output[str | None]:
    """An output for a part this target does not have."""
    return pulumi.Output.from_input(None)


class Bedrock(TargetComponent):
    """A foundation model on Amazon Bedrock, invocable by exactly one IAM policy."""

    inference: pulumi.Output[str]
    """region, geo or global: where requests may be processed."""
    model_ref: pulumi.Output[str]
    """The modelId callers send: model ID, inference profile ID or provisioned model ARN."""
    invoke_policy_arn: pulumi.Output[str]
    """Managed policy granting invoke on exactly this model (and ApplyGuardrail)."""
    provisioned_model_arn: pulumi.Output[str | None]
    guardrail_id: pulumi.Output[str | None]
    guardrail_version: pulumi.Output[str | None]
    log_bucket: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: BedrockArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check(args)
        super().__init__("inferplane:aws:Bedrock", name, None, opts)
        tags = args.labels.tags(
            **{"bedrock-inference": args.inference, "bedrock-model": args.model_ref},
            **args.extra_tags,
        )
        account = account_id()
        provisioned = provisioned_throughput(self, name, args, tags)
        guardrail = guardrail_with_version(self, name, args, tags)
        arns = model_arns(self, args, account, provisioned)
        policy = invoke_policy(
            self, name, args, arns=arns, guardrail=guardrail[0] if guardrail else None, tags=tags
        )
        log_bucket = (
            invocation_logging(self, name, args, account, tags) if args.invocation_logging else None
        )
        self.inference = pulumi.Output.from_input(args.inference)
        self.model_ref = (
            provisioned.provisioned_model_arn
            if provisioned
            else pulumi.Output.from_input(args.model_ref)
        )
        self.invoke_policy_arn = policy.arn
        self.provisioned_model_arn = provisioned.provisioned_model_arn if provisioned else _none()
        self.guardrail_id = guardrail[0].guardrail_id if guardrail else _none()
        self.guardrail_version = guardrail[1].version if guardrail else _none()
        self.log_bucket = log_bucket.bucket if log_bucket else _none()
        self.endpoint = self._endpoint(args, arns)
        self._register()

    def _endpoint(self, args: BedrockArgs, arns: ModelArns) -> pulumi.Output[EndpointInfo]:
        return pulumi.Output.all(self.model_ref, arns.grants).apply(
            lambda both: EndpointInfo(
                backend="bedrock",
                model=both[0],
                region=args.region,
                auth=sigv4("bedrock"),
                reach=cloud_api("bedrock-runtime"),
                grants=both[1],
            )
        )

    def _register(self) -> None:
        self.register_target_outputs(
            inference=self.inference,
            model_ref=self.model_ref,
            invoke_policy_arn=self.invoke_policy_arn,
            provisioned_model_arn=self.provisioned_model_arn,
            guardrail_id=self.guardrail_id,
            guardrail_version=self.guardrail_version,
            log_bucket=self.log_bucket,
        )
