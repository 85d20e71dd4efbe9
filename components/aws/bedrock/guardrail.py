"""A Bedrock guardrail applied to every call (content filters, prompt-attack filter and
PII handling) and its published version."""

from __future__ import annotations

import pulumi_aws as aws

from inferplane.components.aws.bedrock.args import CONTENT_FILTERS, BedrockArgs, GuardrailArgs
from inferplane.components.aws.naming import physical_name
from inferplane.components.base import TargetComponent

__all__ = ["guardrail_with_version"]

_Filter = aws.bedrock.GuardrailContentPolicyConfigFiltersConfigArgs
_PiiEntity = aws.bedrock.GuardrailSensitiveInformationPolicyConfigPiiEntitiesConfigArgs


def guardrail_with_version(
    owner: TargetComponent, name: str, args: BedrockArgs, tags: dict[str, str]
) -> tuple[aws.bedrock.Guardrail, aws.bedrock.GuardrailVersion] | None:
    """The guardrail ``args.guardrail`` describes and its version; None without one."""
    if args.guardrail is None:
        return None
    guardrail = _guardrail(owner, name, args, args.guardrail, tags)
    version = aws.bedrock.GuardrailVersion(
        f"{name}-guardrail-version",
        guardrail_arn=guardrail.guardrail_arn,
        description=f"inferplane {args.name_prefix}",
        region=args.region,
        opts=owner.child(),
    )
    return guardrail, version


def _guardrail(
    owner: TargetComponent,
    name: str,
    args: BedrockArgs,
    guardrail: GuardrailArgs,
    tags: dict[str, str],
) -> aws.bedrock.Guardrail:
    return aws.bedrock.Guardrail(
        f"{name}-guardrail",
        name=physical_name(args.name_prefix, "guardrail", 50),
        description=f"inferplane guardrail for {args.model_ref}",
        blocked_input_messaging=guardrail.blocked_message,
        blocked_outputs_messaging=guardrail.blocked_message,
        content_policy_config=aws.bedrock.GuardrailContentPolicyConfigArgs(
            filters_configs=_content_filters(guardrail)
        ),
        sensitive_information_policy_config=_pii_policy(guardrail),
        region=args.region,
        tags=tags,
        opts=owner.child(),
    )


def _content_filters(guardrail: GuardrailArgs) -> list[_Filter]:
    strength = guardrail.content_strength
    filters = [
        _Filter(type=kind, input_strength=strength, output_strength=strength)
        for kind in CONTENT_FILTERS
    ]
    # Prompt attacks exist only on input; Bedrock requires output strength NONE.
    filters.append(_Filter(type="PROMPT_ATTACK", input_strength=strength, output_strength="NONE"))
    return filters


def _pii_policy(
    guardrail: GuardrailArgs,
) -> aws.bedrock.GuardrailSensitiveInformationPolicyConfigArgs | None:
    action = guardrail.pii_action
    if action is None:
        return None
    return aws.bedrock.GuardrailSensitiveInformationPolicyConfigArgs(
        pii_entities_configs=[_PiiEntity(type=kind, action=action) for kind in guardrail.pii_types]
    )
