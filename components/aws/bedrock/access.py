"""Who may call a Bedrock target: the managed IAM policy that invokes exactly the
configured model (directly, through its inference profile, or its provisioned
throughput) and applies its guardrail, and the same ARNs as wiring grants."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.arns import foundation_model_arn, inference_profile_arn
from inferplane.components.aws.bedrock.args import INVOKE_ACTIONS, BedrockArgs
from inferplane.components.aws.iam import Statement, policy_document
from inferplane.components.aws.wiring import bedrock_grants
from inferplane.components.base import TargetComponent
from inferplane.components.wiring import Grant

__all__ = ["ModelArns", "invoke_policy", "model_arns"]


@dataclass(frozen=True)
class ModelArns:
    """What the invoke policy names: ARNs callable directly (the model, the provisioned
    model or the inference profile) and, for profiles, the models the profile routes to."""

    direct: pulumi.Output[list[str]]
    profile: pulumi.Output[str] | None = None
    via_profile: pulumi.Output[list[str]] | None = None

    @classmethod
    def only(cls, arn: pulumi.Output[str]) -> ModelArns:
        return cls(direct=arn.apply(lambda a: [a]))

    @classmethod
    def profile_of(cls, profile: pulumi.Output[str], models: pulumi.Output[list[str]]) -> ModelArns:
        return cls(direct=profile.apply(lambda a: [a]), profile=profile, via_profile=models)

    @property
    def grants(self) -> pulumi.Output[list[Grant]]:
        """What a caller needs: the statements of the invoke policy, as wiring grants."""
        if self.via_profile is None or self.profile is None:
            return self.direct.apply(bedrock_grants)
        return pulumi.Output.all(self.direct, self.profile, self.via_profile).apply(
            lambda parts: bedrock_grants(parts[0], parts[1], parts[2])
        )


def model_arns(
    owner: TargetComponent,
    args: BedrockArgs,
    account: pulumi.Output[str],
    provisioned: aws.bedrock.ProvisionedModelThroughput | None,
) -> ModelArns:
    """The provisioned model, the in-region model, or the inference profile and the
    models it routes to."""
    region = args.region
    if provisioned is not None:
        return ModelArns.only(provisioned.provisioned_model_arn)
    if args.inference == "region":
        return ModelArns.only(pulumi.Output.from_input(foundation_model_arn(region, args.model_id)))
    profile = account.apply(lambda acct: inference_profile_arn(region, acct, args.model_ref))
    return ModelArns.profile_of(profile, _profile_models(owner, args))


def _profile_models(owner: TargetComponent, args: BedrockArgs) -> pulumi.Output[list[str]]:
    if args.inference == "global":
        # AWS documents these two for global profiles: the source-region model and
        # the region-less model ARN (any commercial region may serve the request).
        return pulumi.Output.from_input(
            [
                foundation_model_arn(args.region, args.model_id),
                foundation_model_arn("", args.model_id),
            ]
        )
    # The regions a geographic profile routes to are AWS's to change; read them.
    found = aws.bedrock.get_inference_profile_output(
        inference_profile_id=args.model_ref,
        region=args.region,
        opts=pulumi.InvokeOutputOptions(parent=owner),
    )
    return found.models.apply(lambda ms: sorted({m.model_arn for m in ms}))


def invoke_policy(
    owner: TargetComponent,
    name: str,
    args: BedrockArgs,
    *,
    arns: ModelArns,
    guardrail: aws.bedrock.Guardrail | None,
    tags: dict[str, str],
) -> aws.iam.Policy:
    """The managed policy that invokes this model and nothing else."""
    return aws.iam.Policy(
        f"{name}-invoke",
        description=f"Invoke {args.model_ref} ({args.inference} inference) only",
        policy=policy_document(_statements(arns, guardrail)),
        tags=tags,
        opts=owner.child(),
    )


def _statements(arns: ModelArns, guardrail: aws.bedrock.Guardrail | None) -> list[Statement]:
    statements = [Statement(sid="InvokeModel", actions=INVOKE_ACTIONS, resources=arns.direct)]
    if arns.via_profile is not None:
        # Destination-region models only through this profile, never called directly.
        statements.append(
            Statement(
                sid="InvokeThroughProfile",
                actions=INVOKE_ACTIONS,
                resources=arns.via_profile,
                conditions={"StringEquals": {"bedrock:InferenceProfileArn": arns.profile}},
            )
        )
    if guardrail is not None:
        statements.append(
            Statement(
                sid="ApplyGuardrail",
                actions=("bedrock:ApplyGuardrail",),
                resources=[guardrail.guardrail_arn],
            )
        )
    return statements
