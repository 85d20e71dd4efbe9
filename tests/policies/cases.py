"""One compliant world per rule and the mutations that must each violate it.

A world is a few resources as the components create them (wire names, Labels tags) plus,
for rules that need it, a shipped stack's spec. A mutation edits a deep copy."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from inferplane.components.base import EndpointInfo
from inferplane.policies.model import Context, ResourceRule, Stack, StackRule, Violation
from inferplane.policies.registry import all_rules
from inferplane.routerconfig import render_router_config
from inferplane.spec import StackSpec
from tests.policies.support import (
    Props,
    context,
    deep_del,
    deep_set,
    load_spec,
    resource,
    stack,
    tags,
    urn,
)

DIGEST = "sha256:" + "ab" * 32
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
DLC_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.7.0"


def rename_class(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    """The issue-19 bypass: rename a class so the org's placement for it no longer applies."""

    def edit(data: dict[str, Any]) -> None:
        data["data_classes"].pop(old)
        data["data_classes"][new] = {"placement": "any"}
        for key in data.get("router", {}).get("keys", []):
            key["data_classes"] = [new if c == old else c for c in key.get("data_classes", [])]
        for route in data.get("routes", []):
            if route.get("match", {}).get("data_class") == old:
                route["match"]["data_class"] = new

    return edit


def fleet_script(image: str) -> str:
    """GPU fleet user data as the fleet renders it: the engine started by ``docker run``."""
    return (
        "#!/bin/bash\nset -euo pipefail\n"
        "docker run -d --name model-server --restart unless-stopped --gpus all "
        f"--ipc=host -p 8000:8000 -v /opt/models:/models -e HF_HOME=/models {image} "
        "--model meta-llama/Llama-3.1-8B-Instruct --port 8000\n"
    )


HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
PMT = "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput"
ODCR = "aws:ec2/capacityReservation:CapacityReservation"
AOAI = "azure-native:cognitiveservices:Deployment"
BUCKET = "aws:s3/bucket:Bucket"
LAMBDA = "aws:lambda/function:Function"


@dataclass
class Item:
    type: str
    props: Props
    region: str | None = None
    parent_type: str = "inferplane:aws:Target"
    depends_on: tuple[str, ...] = ()


@dataclass
class World:
    items: dict[str, Item]
    spec: str | None = None
    spec_edits: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)

    def props(self, name: str) -> Props:
        return self.items[name].props

    def build(self) -> tuple[Stack, Context]:
        def edit(data: dict[str, Any]) -> None:
            for fn in self.spec_edits:
                fn(data)

        spec = None
        if self.spec:
            spec = load_spec(self.spec, edit) if self.spec_edits else shipped_spec(self.spec)
        resources = [
            resource(
                item.type,
                name,
                item.props,
                region=item.region,
                parent_type=item.parent_type,
                dependencies=tuple(
                    urn(self.items[d].type, d, self.items[d].parent_type) for d in item.depends_on
                ),
                parent="urn:parent",
            )
            for name, item in self.items.items()
        ]
        return stack(resources, spec), context(spec, **self.policy)


@cache
def shipped_spec(name: str) -> StackSpec:
    return load_spec(name)


Mutation = Callable[[World], None]


def setp(name: str, path: str, value: Any) -> Mutation:
    return lambda w: deep_set(w.props(name), path, value)


def delp(name: str, path: str) -> Mutation:
    return lambda w: deep_del(w.props(name), path)


def spec_edit(fn: Callable[[dict[str, Any]], None]) -> Mutation:
    return lambda w: w.spec_edits.append(fn)


def policy(**values: Any) -> Mutation:
    return lambda w: w.policy.update(values)


def add(name: str, item: Item) -> Mutation:
    return lambda w: w.items.update({name: item})


def combine(*mutations: Mutation) -> Mutation:
    def mutate(w: World) -> None:
        for m in mutations:
            m(w)

    return mutate


def violations(rule_id: str, world: World) -> list[Violation]:
    rule = next(r for r in all_rules() if r.id == rule_id)
    built, ctx = world.build()
    if isinstance(rule, ResourceRule):
        return [v for r in built.resources for v in rule.evaluate(r, ctx)]
    assert isinstance(rule, StackRule)
    return rule.evaluate(built, ctx)


# --- the compliant worlds -------------------------------------------------------------


def bucket(region: str = "us-east-1", **tag: Any) -> Item:
    return Item(BUCKET, {"bucket": "logs-bucket", "region": region, "tags": tags(**tag)})


@cache
def router_config(spec_name: str) -> str:
    spec = load_spec(spec_name)
    endpoints = {
        name: EndpointInfo(backend="openai" if t.kind == "edge" else "bedrock", model=t.model)
        for name, t in spec.targets.items()
    }
    return render_router_config(spec, spec_name, endpoints).to_json()


def edit_config(name: str, fn: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(w: World) -> None:
        variables = w.props(name)["environment"]["variables"]
        config = json.loads(variables["INFERPLANE_ROUTER_CONFIG"])
        fn(config)
        variables["INFERPLANE_ROUTER_CONFIG"] = json.dumps(config)

    return mutate


def fleet(min_size: int = 2) -> dict[str, Item]:
    return {
        "fleet-lt": Item(
            LT,
            {
                "instanceType": "g5.2xlarge",
                "region": "us-east-1",
                "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
                "blockDeviceMappings": [
                    {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 200.0}}
                ],
                "capacityReservationSpecification": {
                    "capacityReservationTarget": {"capacityReservationId": "cr-0a1b2c3d4e5f60718"}
                },
                "tags": tags(target="llama-fleet"),
            },
        ),
        "fleet-asg": Item(
            ASG,
            {
                "minSize": float(min_size),
                "maxSize": 8.0,
                "region": "us-east-1",
                "launchTemplate": {"id": "fleet-lt-id", "version": "$Latest"},
                "tags": [
                    {"key": k, "value": v, "propagateAtLaunch": True}
                    for k, v in tags(target="llama-fleet").items()
                ],
            },
            depends_on=("fleet-lt",),
        ),
    }


def pmt(units: float = 1.0, environment: str = "prod", term: str | None = "OneMonth") -> Item:
    props: Props = {
        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        "modelUnits": units,
        "provisionedModelName": "haiku-pt",
        "region": "us-east-1",
        "tags": tags(
            environment=environment, target="claude-haiku-pt", **{"capacity-approval": "CHG-2041"}
        ),
    }
    if term:
        props["commitmentDuration"] = term
    return Item(PMT, props)


def odcr(environment: str = "dev", count: float = 2.0) -> Item:
    return Item(
        ODCR,
        {
            "instanceType": "g5.2xlarge",
            "instanceCount": count,
            "availabilityZone": "us-east-1a",
            "instancePlatform": "Linux/UNIX",
            "endDateType": "limited",
            "endDate": "2027-01-31T00:00:00Z",
            "region": "us-east-1",
            "tags": tags(
                environment=environment, target="llama-fleet", **{"capacity-approval": "CHG-7"}
            ),
        },
    )


def ptu_deployment(
    sku: str = "ProvisionedManaged", capacity: float = 100, environment: str = "prod"
) -> Item:
    return Item(
        AOAI,
        {
            "accountName": "aoai",
            "resourceGroupName": "rg",
            "sku": {"name": sku, "capacity": capacity},
            "properties": {
                "model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}
            },
            "tags": tags(
                environment=environment, zone="eu", target="gpt4o", **{"capacity-approval": "APP-9"}
            ),
        },
        region="westeurope",
        parent_type="inferplane:azure:AzureOpenAI",
    )


@dataclass
class Case:
    rule: str
    world: Callable[[], World]
    mutations: dict[str, Mutation]


CASES: list[Case] = [
    Case(
        "IP-RES-001",
        lambda: World({"logs": bucket()}),
        {
            "region outside the zone": setp("logs", "region", "eu-west-1"),
            "no data-class tag": delp("logs", "tags.data-class"),
            "edge-only class in a cloud region": setp("logs", "tags.data-class", "restricted"),
            "unknown data class": setp("logs", "tags.data-class", "top-secret"),
            "unknown residency zone": setp("logs", "tags.residency-zone", "mars"),
        },
    ),
    Case(
        "IP-RES-002",
        lambda: World(
            {
                "invoke": Item(
                    "aws:iam/policy:Policy",
                    {
                        "policy": json.dumps(
                            {
                                "Statement": [
                                    {
                                        "Action": "bedrock:InvokeModel",
                                        "Resource": f"{PROFILE_ARN}us.{SONNET}",
                                    }
                                ]
                            }
                        ),
                        "tags": tags(target="claude-sonnet"),
                    },
                ),
                "fn": Item(
                    LAMBDA,
                    {
                        "region": "us-east-1",
                        "environment": {
                            "variables": {
                                "BEDROCK_MODEL_ID": "anthropic.claude-3-haiku-20240307-v1:0"
                            }
                        },
                        "tags": tags(target="summarize-fn"),
                    },
                ),
            }
        ),
        {
            "global. profile for a zone class": lambda w: w.props("invoke").update(
                policy=w.props("invoke")["policy"].replace("/us.", "/global.")
            ),
            "another geography's profile": lambda w: w.props("invoke").update(
                policy=w.props("invoke")["policy"].replace("/us.", "/eu.")
            ),
            "global model ID in a Lambda env": setp(
                "fn",
                "environment.variables.BEDROCK_MODEL_ID",
                "global.anthropic.claude-3-haiku-20240307-v1:0",
            ),
        },
    ),
    Case(
        "IP-RES-003",
        lambda: World({"gpt": ptu_deployment(sku="DataZoneStandard")}),
        {
            "Global SKU for a zone class": setp("gpt", "sku.name", "GlobalStandard"),
            "Global provisioned SKU": setp("gpt", "sku.name", "GlobalProvisionedManaged"),
            "data zone of another geography": lambda w: setattr(w.items["gpt"], "region", "eastus"),
        },
    ),
    Case(
        "IP-RES-004",
        lambda: World(
            {
                "run": Item(
                    "gcp:cloudrunv2/service:Service",
                    {
                        "location": "europe-west4",
                        "labels": {k: v.lower() for k, v in tags(zone="eu").items()},
                    },
                    parent_type="inferplane:gcp:CloudRun",
                ),
                "ws": Item(
                    "azure-native:machinelearningservices:Workspace",
                    {"location": "westeurope", "tags": tags(zone="eu")},
                    parent_type="inferplane:azure:AzureMl",
                ),
            }
        ),
        {
            "GCP region off the allowlist": setp("run", "location", "asia-east1"),
            "GCP multi-region for a zone class": setp("run", "location", "eu"),
            "Azure region off the allowlist": setp("ws", "location", "brazilsouth"),
            "Azure global location": setp("ws", "location", "global"),
        },
    ),
    Case(
        "IP-RES-005",
        lambda: World(
            {
                "capture": Item(
                    BUCKET, {"bucket": "capture-bucket", "region": "us-east-1", "tags": tags()}
                ),
                "epc": Item(
                    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
                    {
                        "region": "us-east-1",
                        "dataCaptureConfig": {"destinationS3Uri": "s3://capture-bucket/mistral/"},
                        "tags": tags(target="mistral-sm"),
                    },
                ),
                "logging": Item(
                    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration",
                    {
                        "region": "us-east-1",
                        "loggingConfig": {"s3Config": {"bucketName": "capture-bucket"}},
                    },
                ),
            }
        ),
        {
            "capture bucket in another zone": setp("capture", "region", "eu-west-1"),
            "logs to a bucket in another zone": combine(
                add(
                    "other",
                    Item(
                        BUCKET, {"bucket": "far-logs", "region": "ap-southeast-2", "tags": tags()}
                    ),
                ),
                setp("logging", "loggingConfig.s3Config.bucketName", "far-logs"),
            ),
        },
    ),
    Case(
        "IP-RES-006",
        lambda: World(
            {
                "router-fn": Item(
                    LAMBDA,
                    {
                        "region": "us-east-1",
                        "environment": {
                            "variables": {"INFERPLANE_ROUTER_CONFIG": router_config("dev")}
                        },
                        "tags": tags(environment="dev", data_class="internal", target=None),
                    },
                    parent_type="inferplane:router:Router",
                )
            },
            spec="dev",
        ),
        {
            "a cloud target accepts an edge-only class": edit_config(
                "router-fn",
                lambda c: c["targets"]["claude-haiku"].update(
                    allowed_data_classes=["public", "internal", "restricted"]
                ),
            ),
            "a route sends an edge-only class to the cloud": edit_config(
                "router-fn", lambda c: c["routes"][0].update(targets=["llama-lab", "claude-haiku"])
            ),
            "config weakens a class's placement": edit_config(
                "router-fn",
                lambda c: c["data_classes"]["restricted"].update(placement="any", rank=1),
            ),
            "global location accepts a zone class": edit_config(
                "router-fn", lambda c: c["targets"]["claude-haiku"].update(location="global:aws")
            ),
            "config is a secret": setp(
                "router-fn", "environment.variables.INFERPLANE_ROUTER_CONFIG", "[secret]"
            ),
            "config is not a RouterConfig": setp(
                "router-fn", "environment.variables.INFERPLANE_ROUTER_CONFIG", '{"version": 1}'
            ),
            "no router config at all": delp("router-fn", "environment"),
        },
    ),
    Case(
        "IP-RES-007",
        lambda: World({"logs": bucket(region="eu-central-1", zone="eu")}, spec="prod-eu-central-1"),
        {
            "zone adds a region": spec_edit(
                lambda d: d["residency"]["regions"]["aws"].append("eu-west-3")
            ),
            "zone adds an edge site": spec_edit(
                lambda d: d["residency"].update(edge_sites=["munich-plant", "lyon-lab"])
            ),
            "class placement weaker than the org's": spec_edit(
                lambda d: d["data_classes"]["confidential"].update(placement="any")
            ),
            "zone unknown to the org": spec_edit(lambda d: d["residency"].update(zone="mars")),
            # Old main skipped classes the org does not define.
            "class the org does not define": spec_edit(
                rename_class("confidential", "confidential-x")
            ),
        },
    ),
    Case(
        "IP-SAF-010",
        lambda: World({"logs": bucket(region="us-east-1")}, spec="prod-us-east-1"),
        {
            # The shipped prod-us-east-1 models before issue 13.
            "past-EOL Claude 3.5 Sonnet in prod": spec_edit(
                lambda d: d["targets"]["claude-sonnet"].update(
                    model="anthropic.claude-3-5-sonnet-20240620-v1:0"
                )
            ),
            "past-EOL Claude 3 Haiku behind a prod Lambda": spec_edit(
                lambda d: d["targets"]["summarize-fn"].update(
                    model="anthropic.claude-3-haiku-20240307-v1:0"
                )
            ),
        },
    ),
    Case(
        "IP-SAF-011",
        lambda: World({"logs": bucket(region="eu-central-1")}, spec="dev"),
        {
            "past-EOL Claude 3 Haiku in dev": spec_edit(
                lambda d: d["targets"]["claude-haiku"].update(
                    model="anthropic.claude-3-haiku-20240307-v1:0"
                )
            ),
        },
    ),
    Case(
        "IP-CAP-001",
        lambda: World({"pt": pmt(), "gpt": ptu_deployment()}),
        {
            "Bedrock term outside prod": setp("pt", "tags.environment", "dev"),
            "Azure provisioned SKU in staging": setp("gpt", "tags.environment", "staging"),
        },
    ),
    Case(
        "IP-CAP-002",
        lambda: World({"pt": pmt(), "odcr": odcr(), "gpt": ptu_deployment()}),
        {
            "no approval tag": delp("pt", "tags.capacity-approval"),
            "approval tag not a reference": setp("odcr", "tags.capacity-approval", "yes please"),
            "Azure PTU without approval": delp("gpt", "tags.capacity-approval"),
        },
    ),
    Case(
        "IP-CAP-003",
        lambda: World({"pt": pmt(), "odcr": odcr(), "gpt": ptu_deployment()}),
        {
            "too many model units": setp("pt", "modelUnits", 10.0),
            "term not allowed": combine(
                policy(
                    commitments=context().policy.commitments.model_copy(
                        update={"bedrock_terms": ("OneMonth",)}
                    )
                ),
                setp("pt", "commitmentDuration", "SixMonths"),
            ),
            "reservation too large": setp("odcr", "instanceCount", 40.0),
            "too many PTUs": setp("gpt", "sku.capacity", 1000.0),
        },
    ),
    Case(
        "IP-CAP-004",
        lambda: World({"odcr": odcr()}),
        {
            "open-ended in dev": setp("odcr", "endDateType", "unlimited"),
            "no end date": delp("odcr", "endDate"),
        },
    ),
    Case(
        "IP-CAP-005",
        lambda: World(fleet(), spec="prod-us-east-1"),
        {
            "no reservation targeted": delp("fleet-lt", "capacityReservationSpecification"),
            "reservation smaller than the baseline": combine(
                add("res", odcr(environment="prod", count=1.0)),
                setp(
                    "fleet-lt",
                    "capacityReservationSpecification.capacityReservationTarget.capacityReservationId",
                    "res-id",
                ),
            ),
        },
    ),
    Case(
        "IP-CAP-006",
        lambda: World({"pt": pmt()}, spec="prod-us-east-1"),
        {
            "commitment far above the forecast": setp("pt", "modelUnits", 100.0),
            "commitment without a forecast": spec_edit(lambda d: d.pop("forecast")),
        },
    ),
    Case(
        "IP-SAF-001",
        lambda: World(
            {
                "url": Item(
                    "aws:lambda/functionUrl:FunctionUrl",
                    {"authorizationType": "AWS_IAM", "region": "us-east-1"},
                ),
                "fn": Item(LAMBDA, {"region": "us-east-1", "tags": tags(target="summarize-fn")}),
                "invoker": Item(
                    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
                    {
                        "location": "us-central1",
                        "role": "roles/run.invoker",
                        "member": "serviceAccount:router@p.iam.gserviceaccount.com",
                    },
                ),
                "account": Item(
                    "azure-native:cognitiveservices:Account",
                    {
                        "kind": "OpenAI",
                        "location": "eastus",
                        "properties": {"publicNetworkAccess": "Disabled"},
                        "tags": tags(),
                    },
                ),
            },
            spec="prod-us-east-1",
        ),
        {
            "Lambda URL without auth": setp("url", "authorizationType", "NONE"),
            "Cloud Run open to allUsers": setp("invoker", "member", "allUsers"),
            "Azure public network access": setp(
                "account", "properties.publicNetworkAccess", "Enabled"
            ),
            "declared public but the org forbids it": combine(
                spec_edit(lambda d: d["targets"]["summarize-fn"].update(public=True)),
                setp("url", "authorizationType", "NONE"),
            ),
        },
    ),
    Case(
        "IP-SAF-002",
        lambda: World(fleet()),
        {
            "IMDSv1 allowed": setp("fleet-lt", "metadataOptions.httpTokens", "optional"),
            "metadata options unset": delp("fleet-lt", "metadataOptions"),
        },
    ),
    Case(
        "IP-SAF-003",
        lambda: World(fleet()),
        {
            "unencrypted volume": setp("fleet-lt", "blockDeviceMappings.0.ebs.encrypted", "false"),
            "no block device mappings": delp("fleet-lt", "blockDeviceMappings"),
        },
    ),
    Case(
        "IP-SAF-004",
        lambda: World({"logs": bucket()}),
        {
            "no owner": delp("logs", "tags.owner"),
            "empty cost-center": setp("logs", "tags.cost-center", ""),
            "no tags at all": delp("logs", "tags"),
        },
    ),
    Case(
        "IP-SAF-005",
        lambda: World(
            {
                **fleet(),
                "run": Item(
                    "gcp:cloudrunv2/service:Service",
                    {
                        "location": "us-central1",
                        "template": {"scaling": {"maxInstanceCount": 4.0}},
                        "labels": tags(),
                    },
                ),
                "hpa": Item(
                    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
                    {
                        "metadata": {"labels": {"inferplane.dev/environment": "dev"}},
                        "spec": {"maxReplicas": 4.0, "minReplicas": 1.0},
                    },
                ),
            }
        ),
        {
            "ASG above the prod cap": setp("fleet-asg", "maxSize", 100.0),
            "Cloud Run without a maximum": delp("run", "template.scaling"),
            "HPA above the dev cap": setp("hpa", "spec.maxReplicas", 20.0),
        },
    ),
    Case(
        "IP-SAF-006",
        lambda: World(
            {
                "server": Item(
                    "kubernetes:apps/v1:Deployment",
                    {
                        "metadata": {"labels": {"inferplane.dev/data-class": "restricted"}},
                        "spec": {
                            "template": {
                                "spec": {
                                    "containers": [
                                        {"name": "vllm", "image": f"vllm/vllm-openai@{DIGEST}"}
                                    ],
                                    "initContainers": [
                                        {"name": "fetch", "image": f"busybox@{DIGEST}"}
                                    ],
                                }
                            }
                        },
                    },
                    parent_type="inferplane:kubernetes:ModelServer",
                ),
                "fleet-lt": Item(
                    LT,
                    {
                        "userData": base64.b64encode(
                            fleet_script(f"vllm/vllm-openai@{DIGEST}").encode()
                        ).decode()
                    },
                ),
                "run": Item(
                    "gcp:cloudrunv2/service:Service",
                    {"template": {"containers": [{"image": f"vllm/vllm-openai@{DIGEST}"}]}},
                    region="europe-west4",
                ),
                "aca": Item(
                    "azure-native:app:ContainerApp",
                    {
                        "template": {
                            "containers": [{"name": "m", "image": f"vllm/vllm-openai@{DIGEST}"}]
                        }
                    },
                ),
                "sm-dlc": Item(
                    "aws:sagemaker/model:Model",
                    {"primaryContainer": {"image": DLC_IMAGE}},
                ),
                "sm-custom": Item(
                    "aws:sagemaker/model:Model",
                    {"primaryContainer": {"image": f"{ECR}/custom@{DIGEST}"}},
                ),
            }
        ),
        {
            "container by tag": setp(
                "server", "spec.template.spec.containers.0.image", "vllm/vllm-openai:latest"
            ),
            "init container by tag": setp(
                "server", "spec.template.spec.initContainers.0.image", "busybox:1.36"
            ),
            # Old main: only Kubernetes and edge were checked; prod-us-east-1's fleet ran
            # vllm/vllm-openai:v0.11.0 by tag and passed.
            "GPU fleet user data by tag": setp(
                "fleet-lt",
                "userData",
                base64.b64encode(fleet_script("vllm/vllm-openai:v0.11.0").encode()).decode(),
            ),
            "GPU fleet user data untagged": setp(
                "fleet-lt", "userData", fleet_script("vllm/vllm-openai")
            ),
            "Cloud Run by tag": setp(
                "run", "template.containers.0.image", "vllm/vllm-openai:v0.11.0"
            ),
            "Container App by tag": setp(
                "aca", "template.containers.0.image", "vllm/vllm-openai:v0.11.0"
            ),
            "SageMaker custom image by tag": setp(
                "sm-custom", "primaryContainer.image", f"{ECR}/custom:1.0"
            ),
        },
    ),
    Case(
        "IP-SAF-007",
        lambda: World(fleet()),
        {
            "unapproved GPU type": setp("fleet-lt", "instanceType", "p3.2xlarge"),
            "unapproved override type": setp(
                "fleet-asg",
                "mixedInstancesPolicy",
                {"launchTemplate": {"overrides": [{"instanceType": "g4dn.xlarge"}]}},
            ),
        },
    ),
]


def fresh(case: Case) -> World:
    return copy.deepcopy(case.world())
