"""A user's own Pulumi program: two Bedrock models in the EU from inferplane's components,
with the project's own names and tags. No ``inferplane:spec``: ``inferplane plan`` and
``inferplane check`` run it as it is, and waivers name its URNs
(``urn:pulumi:dev::acme-inference::...``)."""

import pulumi

from inferplane.components.aws.bedrock import Bedrock, BedrockArgs
from inferplane.components.base import Labels

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
labels = Labels(
    environment=pulumi.get_stack(),
    owner=config.require("owner"),
    cost_center="cc-4711",
    residency_zone="eu",
)

models = {
    "chat": "anthropic.claude-3-haiku-20240307-v1:0",
    "embed": "amazon.titan-embed-text-v2:0",
}
for name, model_id in models.items():
    model = Bedrock(
        name,
        BedrockArgs(
            region=region,
            model_id=model_id,
            labels=labels.for_target(name, "internal"),
            name_prefix=f"{pulumi.get_stack()}-{name}",
        ),
    )
    pulumi.export(f"{name}_model", model.model_ref)
    pulumi.export(f"{name}_invoke_policy", model.invoke_policy_arn)
