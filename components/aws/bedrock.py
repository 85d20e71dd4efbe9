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

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from inferplane.catalog.bedrock_models import pt_model_id
from inferplane.components.aws.arns import account_id, foundation_model_arn, inference_profile_arn
from inferplane.components.aws.buckets import encrypted_bucket
from inferplane.components.aws.checks import botocore_enum, check_choice, check_range, check_region
from inferplane.components.aws.iam import Statement, policy_document
from inferplane.components.aws.naming import physical_name
from inferplane.components.aws.wiring import BEDROCK_ACTIONS, bedrock_grants, cloud_api, sigv4
from inferplane.components.base import EndpointInfo, Labels, TargetComponent
from inferplane.components.wiring import Grant

__all__ = ["Bedrock", "BedrockArgs", "GuardrailArgs"]

Inference = Literal["region", "geo", "global"]
Commitment = Literal["none", "OneMonth", "SixMonths"]

INFERENCE = ("region", "geo", "global")
COMMITMENTS = ("none", "OneMonth", "SixMonths")
# Prefixes of Bedrock's system-defined geographic inference profiles.
GEO_PREFIXES = ("apac", "au", "ca", "eu", "jp", "us", "us-gov")
FILTER_STRENGTHS = ("LOW", "MEDIUM", "HIGH")
PII_ACTIONS = ("BLOCK", "ANONYMIZE")
CONTENT_FILTERS = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")
DEFAULT_PII = (
    "ADDRESS",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "CREDIT_DEBIT_CARD_NUMBER",
    "EMAIL",
    "IP_ADDRESS",
    "NAME",
    "PASSWORD",
    "PHONE",
    "US_SOCIAL_SECURITY_NUMBER",
)
INVOKE_ACTIONS = BEDROCK_ACTIONS


@dataclass(frozen=True)
class GuardrailArgs:
    """A guardrail applied to every call: content filters and PII handling."""

    content_strength: Literal["LOW", "MEDIUM", "HIGH"] = "HIGH"
    """Strength of the hate/insults/sexual/violence/misconduct/prompt-attack filters."""
    pii_action: Literal["BLOCK", "ANONYMIZE"] | None = "ANONYMIZE"
    """What to do with PII found in prompts or answers; None turns PII handling off."""
    pii_types: tuple[str, ...] = DEFAULT_PII
    """PII entity types (Bedrock's GuardrailPiiEntityType values)."""
    blocked_message: str = "This request was blocked by policy."
    """What the caller sees when the guardrail blocks input or output."""


@dataclass(frozen=True)
class BedrockArgs:
    """A Bedrock foundation model target."""

    region: str
    """Region the model is called in (the inference profile's source region)."""
    model_id: str
    """Foundation model ID, e.g. ``anthropic.claude-3-haiku-20240307-v1:0``."""
    labels: Labels
    """Tags for every resource."""
    name_prefix: str
    """Prefix of physical names (``<stack>-<target>``)."""
    inference: Inference = "region"
    """``region`` (in-region model ID), ``geo`` (geographic profile) or ``global``."""
    geography: str | None = None
    """Profile prefix for ``geo`` inference: us, eu, apac, ... (required for geo)."""
    provisioned_units: int | None = None
    """Model units of provisioned throughput; None calls the model on demand."""
    commitment: Commitment = "none"
    """Provisioned throughput commitment: none (hourly), OneMonth or SixMonths."""
    approval: str | None = None
    """Change/approval reference for a commitment, tagged ``capacity-approval``."""
    guardrail: GuardrailArgs | None = None
    """Guardrail to create (with a published version); None for none."""
    invocation_logging: bool = False
    """Own the region's model invocation logging (one per account and region)."""
    log_text: bool = False
    """Deliver full prompt and completion text to the log bucket. Off: Bedrock logs the
    invocation metadata only (model, token counts, latency), never prompts."""
    log_expire_days: int = 30
    """Days after which logged objects are deleted (bucket lifecycle rule)."""
    log_kms_key_arn: str | None = None
    """KMS key for the log bucket; SSE-S3 when None."""
    extra_tags: dict[str, str] = field(default_factory=dict)
    """Tags added to the labels' tags."""

    @property
    def model_ref(self) -> str:
        """The on-demand modelId: the model ID or the inference profile ID."""
        if self.inference == "geo":
            return f"{self.geography}.{self.model_id}"
        if self.inference == "global":
            return f"global.{self.model_id}"
        return self.model_id


def _check(args: BedrockArgs) -> None:
    check_region("region", args.region)
    if not args.model_id or "/" in args.model_id or args.model_id.startswith("arn:"):
        raise ValueError(
            f"model_id: {args.model_id!r} is not a foundation model ID (provider.model-version)"
        )
    check_choice("inference", args.inference, INFERENCE)
    check_range("log_expire_days", args.log_expire_days, 1, 3650)
    if args.log_kms_key_arn is not None and not args.log_kms_key_arn.startswith("arn:aws"):
        raise ValueError(f"log_kms_key_arn: {args.log_kms_key_arn!r} is not a KMS key ARN")
    if args.inference == "geo":
        check_choice("geography", args.geography, GEO_PREFIXES)
    elif args.geography is not None:
        raise ValueError(f"geography: {args.geography!r} is only used with inference 'geo'")
    check_choice("commitment", args.commitment, COMMITMENTS)
    if args.provisioned_units is None:
        if args.commitment != "none":
            raise ValueError(f"commitment: {args.commitment!r} needs provisioned_units")
    else:
        check_range("provisioned_units", args.provisioned_units, 1, 10_000)
        if args.inference != "region":
            raise ValueError(
                f"inference: {args.inference!r} with provisioned_units; provisioned"
                " throughput serves the in-region model, so inference must be 'region'"
            )
    if args.guardrail is not None:
        guardrail = args.guardrail
        check_choice("guardrail.content_strength", guardrail.content_strength, FILTER_STRENGTHS)
        if guardrail.pii_action is not None:
            check_choice("guardrail.pii_action", guardrail.pii_action, PII_ACTIONS)
        allowed = botocore_enum("bedrock", "GuardrailPiiEntityType")
        for pii in guardrail.pii_types:
            check_choice("guardrail.pii_types", pii, allowed)


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
        _check(args)
        super().__init__("inferplane:aws:Bedrock", name, None, opts)
        region = args.region
        tags = args.labels.tags(
            **{"bedrock-inference": args.inference, "bedrock-model": args.model_ref},
            **args.extra_tags,
        )
        account = account_id()

        provisioned: aws.bedrock.ProvisionedModelThroughput | None = None
        if args.provisioned_units is not None:
            pt_tags = dict(tags, **{"capacity-commitment": args.commitment})
            if args.approval:
                pt_tags["capacity-approval"] = args.approval
            provisioned = aws.bedrock.ProvisionedModelThroughput(
                f"{name}-throughput",
                provisioned_model_name=physical_name(args.name_prefix, "pt", 63),
                # PT is bought on the context-length variant (``...:300k``), not the
                # on-demand ID; an ID that already names a variant passes through.
                model_arn=foundation_model_arn(
                    region, pt_model_id(args.model_id, region) or args.model_id
                ),
                model_units=args.provisioned_units,
                # Omitted = no commitment (hourly); AWS rejects the literal "none".
                commitment_duration=None if args.commitment == "none" else args.commitment,
                region=region,
                tags=pt_tags,
                opts=self.child(),
            )

        guardrail: aws.bedrock.Guardrail | None = None
        guardrail_version: aws.bedrock.GuardrailVersion | None = None
        if args.guardrail is not None:
            guardrail = self._guardrail(name, args, args.guardrail, tags)
            guardrail_version = aws.bedrock.GuardrailVersion(
                f"{name}-guardrail-version",
                guardrail_arn=guardrail.guardrail_arn,
                description=f"inferplane {args.name_prefix}",
                region=region,
                opts=self.child(),
            )

        model_arns = self._model_arns(name, args, account, provisioned)
        statements = [
            Statement(sid="InvokeModel", actions=INVOKE_ACTIONS, resources=model_arns.direct)
        ]
        if model_arns.via_profile is not None:
            # Destination-region models only through this profile, never called directly.
            statements.append(
                Statement(
                    sid="InvokeThroughProfile",
                    actions=INVOKE_ACTIONS,
                    resources=model_arns.via_profile,
                    conditions={
                        "StringEquals": {"bedrock:InferenceProfileArn": model_arns.profile}
                    },
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
        policy = aws.iam.Policy(
            f"{name}-invoke",
            description=f"Invoke {args.model_ref} ({args.inference} inference) only",
            policy=policy_document(statements),
            tags=tags,
            opts=self.child(),
        )

        log_bucket: aws.s3.Bucket | None = None
        if args.invocation_logging:
            log_bucket = self._invocation_logging(name, args, account, tags)

        model_ref: pulumi.Output[str] = (
            provisioned.provisioned_model_arn
            if provisioned is not None
            else pulumi.Output.from_input(args.model_ref)
        )
        self.inference = pulumi.Output.from_input(args.inference)
        self.model_ref = model_ref
        self.invoke_policy_arn = policy.arn
        self.provisioned_model_arn = (
            provisioned.provisioned_model_arn if provisioned else pulumi.Output.from_input(None)
        )
        self.guardrail_id = guardrail.guardrail_id if guardrail else pulumi.Output.from_input(None)
        self.guardrail_version = (
            guardrail_version.version if guardrail_version else pulumi.Output.from_input(None)
        )
        self.log_bucket = log_bucket.bucket if log_bucket else pulumi.Output.from_input(None)
        self.endpoint = pulumi.Output.all(model_ref, model_arns.grants).apply(
            lambda both: EndpointInfo(
                backend="bedrock",
                model=both[0],
                region=region,
                auth=sigv4("bedrock"),
                reach=cloud_api("bedrock-runtime"),
                grants=both[1],
            )
        )
        self.register_target_outputs(
            inference=self.inference,
            model_ref=self.model_ref,
            invoke_policy_arn=self.invoke_policy_arn,
            provisioned_model_arn=self.provisioned_model_arn,
            guardrail_id=self.guardrail_id,
            guardrail_version=self.guardrail_version,
            log_bucket=self.log_bucket,
        )

    def _model_arns(
        self,
        name: str,
        args: BedrockArgs,
        account: pulumi.Output[str],
        provisioned: aws.bedrock.ProvisionedModelThroughput | None,
    ) -> _ModelArns:
        region = args.region
        if provisioned is not None:
            return _ModelArns.only(provisioned.provisioned_model_arn)
        if args.inference == "region":
            return _ModelArns.only(
                pulumi.Output.from_input(foundation_model_arn(region, args.model_id))
            )
        profile = account.apply(lambda acct: inference_profile_arn(region, acct, args.model_ref))
        if args.inference == "global":
            # AWS documents these two for global profiles: the source-region model and
            # the region-less model ARN (any commercial region may serve the request).
            models: pulumi.Output[list[str]] = pulumi.Output.from_input(
                [
                    foundation_model_arn(region, args.model_id),
                    foundation_model_arn("", args.model_id),
                ]
            )
        else:
            # The regions a geographic profile routes to are AWS's to change; read them.
            found = aws.bedrock.get_inference_profile_output(
                inference_profile_id=args.model_ref,
                region=region,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            models = found.models.apply(lambda ms: sorted({m.model_arn for m in ms}))
        return _ModelArns.profile_of(profile, models)

    def _guardrail(
        self, name: str, args: BedrockArgs, guardrail: GuardrailArgs, tags: dict[str, str]
    ) -> aws.bedrock.Guardrail:
        strength = guardrail.content_strength
        filters = [
            aws.bedrock.GuardrailContentPolicyConfigFiltersConfigArgs(
                type=kind, input_strength=strength, output_strength=strength
            )
            for kind in CONTENT_FILTERS
        ]
        # Prompt attacks exist only on input; Bedrock requires output strength NONE.
        filters.append(
            aws.bedrock.GuardrailContentPolicyConfigFiltersConfigArgs(
                type="PROMPT_ATTACK", input_strength=strength, output_strength="NONE"
            )
        )
        pii = None
        if guardrail.pii_action is not None:
            action = guardrail.pii_action
            pii = aws.bedrock.GuardrailSensitiveInformationPolicyConfigArgs(
                pii_entities_configs=[
                    aws.bedrock.GuardrailSensitiveInformationPolicyConfigPiiEntitiesConfigArgs(
                        type=kind, action=action
                    )
                    for kind in guardrail.pii_types
                ]
            )
        return aws.bedrock.Guardrail(
            f"{name}-guardrail",
            name=physical_name(args.name_prefix, "guardrail", 50),
            description=f"inferplane guardrail for {args.model_ref}",
            blocked_input_messaging=guardrail.blocked_message,
            blocked_outputs_messaging=guardrail.blocked_message,
            content_policy_config=aws.bedrock.GuardrailContentPolicyConfigArgs(
                filters_configs=filters
            ),
            sensitive_information_policy_config=pii,
            region=args.region,
            tags=tags,
            opts=self.child(),
        )

    def _invocation_logging(
        self, name: str, args: BedrockArgs, account: pulumi.Output[str], tags: dict[str, str]
    ) -> aws.s3.Bucket:
        region = args.region

        def bedrock_writes(bucket: aws.s3.Bucket) -> list[Statement]:
            return [
                Statement(
                    sid="BedrockInvocationLogs",
                    actions=("s3:PutObject",),
                    resources=[
                        pulumi.Output.concat(
                            bucket.arn, "/AWSLogs/", account, "/BedrockModelInvocationLogs/*"
                        )
                    ],
                    principals={"Service": "bedrock.amazonaws.com"},
                    conditions={
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnLike": {
                            "aws:SourceArn": pulumi.Output.concat(
                                "arn:aws:bedrock:", region, ":", account, ":*"
                            )
                        },
                    },
                )
            ]

        parts = encrypted_bucket(
            f"{name}-invocation-logs",
            region=region,
            labels=args.labels,
            parent=self,
            kms_key_arn=args.log_kms_key_arn,
            expire_days=args.log_expire_days,
            writers=bedrock_writes,
            tags={k: v for k, v in tags.items() if k.startswith("bedrock-")},
        )
        aws.bedrockmodel.InvocationLoggingConfiguration(
            f"{name}-invocation-logging",
            logging_config=aws.bedrockmodel.InvocationLoggingConfigurationLoggingConfigArgs(
                s3_config=aws.bedrockmodel.InvocationLoggingConfigurationLoggingConfigS3ConfigArgs(
                    bucket_name=parts.bucket.bucket
                ),
                # Prompt text is retained only when the spec opts in; metadata always.
                text_data_delivery_enabled=args.log_text,
                image_data_delivery_enabled=False,
                embedding_data_delivery_enabled=False,
                video_data_delivery_enabled=False,
            ),
            region=region,
            # Bedrock checks it may write to the bucket when the config is set.
            opts=self.child(depends_on=[parts.policy]),
        )
        return parts.bucket


@dataclass(frozen=True)
class _ModelArns:
    """What the invoke policy names: ARNs callable directly (the model, the provisioned
    model or the inference profile) and, for profiles, the models the profile routes to."""

    direct: pulumi.Output[list[str]]
    profile: pulumi.Output[str] | None = None
    via_profile: pulumi.Output[list[str]] | None = None

    @classmethod
    def only(cls, arn: pulumi.Output[str]) -> _ModelArns:
        return cls(direct=arn.apply(lambda a: [a]))

    @classmethod
    def profile_of(
        cls, profile: pulumi.Output[str], models: pulumi.Output[list[str]]
    ) -> _ModelArns:
        return cls(direct=profile.apply(lambda a: [a]), profile=profile, via_profile=models)

    @property
    def grants(self) -> pulumi.Output[list[Grant]]:
        """What a caller needs: the statements of the invoke policy, as wiring grants."""
        if self.via_profile is None or self.profile is None:
            return self.direct.apply(bedrock_grants)
        return pulumi.Output.all(self.direct, self.profile, self.via_profile).apply(
            lambda parts: bedrock_grants(parts[0], parts[1], parts[2])
        )
