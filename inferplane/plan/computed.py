"""What the mock engine answers: plausible computed outputs (ARNs, URLs, IDs) for created
resources and canned results for invokes (AMI and VPC lookups...), so that programs that
read outputs (the router config, IAM policies) produce a complete graph offline.

The tables are keyed by type token; a component that reads an output the generic rules do
not produce adds an entry here. Values are fake but shaped like the real ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

__all__ = ["ACCOUNT_ID", "INVOKE_RESULTS", "RESOURCE_OUTPUTS", "computed_outputs", "invoke_result"]

ACCOUNT_ID = "123456789012"
GCP_PROJECT = "inferplane-offline"
AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"

Outputs = Callable[[str, dict[str, Any], str], dict[str, Any]]


def _short(name: str) -> str:
    return hashlib.blake2b(name.encode(), digest_size=4).hexdigest()


def _aws_arn(type_: str, name: str, inputs: dict[str, Any], region: str) -> str:
    service = type_.split(":")[1].split("/", maxsplit=1)[0]
    kind = type_.rsplit(":", 1)[-1].lower()
    if service == "iam":
        return f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{inputs.get('name', name)}"
    if service == "s3":
        return f"arn:aws:s3:::{inputs.get('bucket', name)}"
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{inputs.get('name', name)}"


RESOURCE_OUTPUTS: dict[str, Outputs] = {
    "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput": lambda name, _i, region: {
        "provisionedModelArn": (
            f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:provisioned-model/{_short(name)}pt0"
        ),
    },
    "aws:bedrock/guardrail:Guardrail": lambda name, inputs, region: {
        "guardrailId": f"gr{_short(name)}",
        "guardrailArn": f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:guardrail/gr{_short(name)}",
        "version": "DRAFT",
        "status": "READY",
    },
    "aws:bedrock/guardrailVersion:GuardrailVersion": lambda _n, _i, _r: {"version": "1"},
    "aws:lambda/function:Function": lambda name, inputs, region: {
        "arn": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{inputs.get('name', name)}",
        "invokeArn": (
            f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:"
            f"{region}:{ACCOUNT_ID}:function:{inputs.get('name', name)}/invocations"
        ),
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda name, inputs, region: {
        "arn": f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{inputs.get('name', name)}",
    },
    "aws:lb/targetGroup:TargetGroup": lambda name, inputs, _r: {
        "arnSuffix": f"targetgroup/{inputs.get('name', name)[:32]}/{_short(name)}{_short(name)}",
    },
    "aws:ec2/launchTemplate:LaunchTemplate": lambda _n, _i, _r: {"latestVersion": 1},
    "aws:lambda/functionUrl:FunctionUrl": lambda name, _i, region: {
        "functionUrl": f"https://{_short(name)}.lambda-url.{region}.on.aws/",
    },
    "aws:lb/loadBalancer:LoadBalancer": lambda name, inputs, region: {
        "dnsName": f"internal-{name[:20]}-{_short(name)}.{region}.elb.amazonaws.com",
        "arnSuffix": f"app/{inputs.get('name', name)[:32]}/{_short(name)}{_short(name)}",
        "zoneId": "Z35SXDOTRQ7X7K",
    },
    "aws:route53/zone:Zone": lambda name, _i, _r: {"zoneId": f"Z{_short(name).upper()}OFFLINE"},
    "aws:s3/bucket:Bucket": lambda name, inputs, _r: {"bucket": inputs.get("bucket", name)},
    "gcp:cloudrunv2/service:Service": lambda name, inputs, _r: {
        "uri": f"https://{inputs.get('name', name)}-{_short(name)}-ew.a.run.app",
        "project": inputs.get("project", GCP_PROJECT),
    },
    "gcp:serviceaccount/account:Account": lambda name, inputs, _r: {
        "email": _sa_email(inputs, name),
        "member": f"serviceAccount:{_sa_email(inputs, name)}",
        "project": inputs.get("project", GCP_PROJECT),
        # 21 digits, like Google's: what other clouds' federation trusts as the subject.
        "uniqueId": f"1{int(_short(name) * 3, 16):020d}"[:21],
    },
    # Vertex endpoint IDs are numeric; the endpoint's URL is built from ID + project.
    "gcp:vertex/aiEndpoint:AiEndpoint": lambda name, inputs, _r: {
        "name": inputs.get("name", _numeric_id(name)),
        "project": inputs.get("project", GCP_PROJECT),
        **_psc_automation(name, inputs, ("privateServiceConnectConfig",)),
    },
    "gcp:vertex/aiEndpointWithModelGardenDeployment:AiEndpointWithModelGardenDeployment": (
        lambda name, inputs, _r: {
            "endpoint": _numeric_id(name),
            "deployedModelId": _numeric_id(f"{name}/model"),
            "project": inputs.get("project", GCP_PROJECT),
            **_psc_automation(name, inputs, ("endpointConfig", "privateServiceConnectConfig")),
        }
    ),
    # azure-native resources output their physical name as ``name``.
    "azure-native:cognitiveservices:Account": lambda name, inputs, _r: {
        "name": inputs.get("accountName", name),
    },
    "azure-native:app:ManagedEnvironment": lambda name, inputs, _r: {
        "name": inputs.get("environmentName", name),
        "defaultDomain": f"{_short(name)}.{inputs.get('location', 'westeurope')}"
        ".azurecontainerapps.io",
    },
    "azure-native:app:ContainerApp": lambda name, inputs, _r: {
        "name": inputs.get("containerAppName", name),
        "identity": _app_identity(name, inputs.get("identity") or {}),
    },
    "azure-native:machinelearningservices:Workspace": lambda name, inputs, _r: {
        "name": inputs.get("workspaceName", name),
    },
    "azure-native:machinelearningservices:OnlineEndpoint": lambda name, inputs, _r: {
        "name": inputs.get("endpointName", name),
    },
    "azure-native:managedidentity:UserAssignedIdentity": lambda name, inputs, _r: {
        "name": inputs.get("resourceName", name),
        "clientId": _guid(f"{name}/client"),
        "principalId": _guid(f"{name}/principal"),
        "tenantId": _guid("tenant"),
    },
    "azure-native:resources:ResourceGroup": lambda name, inputs, _r: {
        "name": inputs.get("resourceGroupName", name),
    },
    # The router's managed state (components/<cloud>/router_state.py).
    "aws:elasticache/serverlessCache:ServerlessCache": lambda name, inputs, region: {
        "endpoints": [
            {
                "address": f"{inputs.get('name', name)}-{_short(name)}.serverless.{region}"
                ".cache.amazonaws.com",
                "port": 6379,
            }
        ],
    },
    "gcp:redis/instance:Instance": lambda name, _i, _r: {
        "host": f"10.129.0.{int(_short(name), 16) % 200 + 10}",
        "port": 6378,
        "authString": f"offline-auth-{_short(name)}",
        "serverCaCerts": [
            {"cert": "-----BEGIN CERTIFICATE-----\noffline\n-----END CERTIFICATE-----\n"}
        ],
    },
    "azure-native:redis:Redis": lambda name, inputs, _r: {
        "name": inputs.get("name", name),
        "hostName": f"{inputs.get('name', name)}.redis.cache.windows.net",
        "sslPort": 6380,
    },
}


def _app_identity(name: str, identity: dict[str, Any]) -> dict[str, Any]:
    """A system-assigned identity gets a principal (object) ID when the app is created;
    user-assigned identities, given as a list of IDs, come back as a map keyed by ID."""
    state: dict[str, Any] = {**identity, "principalId": _guid(name)}
    given = identity.get("userAssignedIdentities")
    if isinstance(given, list):
        state["userAssignedIdentities"] = {
            str(i): {"principalId": _guid(f"{i}/principal"), "clientId": _guid(f"{i}/client")}
            for i in given
        }
    return state


def _guid(name: str) -> str:
    digest = hashlib.blake2b(name.encode(), digest_size=16).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def _numeric_id(name: str) -> str:
    return str(int(_short(name), 16) % 10**10)


def _psc_automation(name: str, inputs: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """PSC automation's computed forwarding-rule address, beside the given config."""
    top = dict(inputs.get(path[0]) or {})
    node = top
    for key in path[1:]:
        node[key] = dict(node.get(key) or {})
        node = node[key]
    automation = node.get("pscAutomationConfigs")
    if not automation:
        return {}
    address = f"10.128.0.{int(_short(name), 16) % 200 + 10}"
    if isinstance(automation, list):
        node["pscAutomationConfigs"] = [{**a, "ipAddress": address} for a in automation]
    else:
        node["pscAutomationConfigs"] = {**automation, "ipAddress": address}
    return {path[0]: top}


def _sa_email(inputs: dict[str, Any], name: str) -> str:
    project = inputs.get("project", GCP_PROJECT)
    return f"{inputs.get('accountId', name)}@{project}.iam.gserviceaccount.com"


def computed_outputs(type_: str, name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """Inputs plus the outputs a real create would have computed."""
    state = dict(inputs)
    state.setdefault("name", name)
    if type_.startswith("aws:"):
        state.setdefault("arn", _aws_arn(type_, name, inputs, inputs.get("region") or region))
    special = RESOURCE_OUTPUTS.get(type_)
    if special is not None:
        state.update(special(name, inputs, inputs.get("region") or region))
    return state


# Destination regions of the system-defined geographic inference profiles (a sample of
# AWS's, enough for the stacks here); the real list comes from GetInferenceProfile.
PROFILE_REGIONS = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"),
    "apac": ("ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2"),
}


def _inference_profile(args: dict[str, Any]) -> dict[str, Any]:
    profile = str(args.get("inferenceProfileId", ""))
    geo, _, model = profile.partition(".")
    region = args.get("region", "us-east-1")
    return {
        "id": profile,
        "inferenceProfileId": profile,
        "inferenceProfileArn": (
            f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{profile}"
        ),
        "inferenceProfileName": profile,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
        "models": [
            {"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model}"}
            for r in PROFILE_REGIONS.get(geo, (region,))
        ],
    }


INVOKE_RESULTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda _a: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
        "userId": "OFFLINE",
        "id": ACCOUNT_ID,
    },
    "aws:index/getPartition:getPartition": lambda _a: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
    },
    "aws:ec2/getAmi:getAmi": lambda args: {
        "id": "ami-0abcdef1234567890",
        "imageId": "ami-0abcdef1234567890",
        "name": "offline-ami",
        "architecture": "x86_64",
    },
    "aws:ssm/getParameter:getParameter": lambda args: {
        "name": args.get("name", ""),
        "value": "ami-0abcdef1234567890",
        "type": "String",
        "id": args.get("name", ""),
    },
    "aws:bedrock/getInferenceProfile:getInferenceProfile": _inference_profile,
    "aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage": lambda args: {
        "registryId": "763104351884",
        "registryPath": (
            f"763104351884.dkr.ecr.{args.get('region', 'us-east-1')}.amazonaws.com/"
            f"{args.get('repositoryName', '')}:{args.get('imageTag', '1')}"
        ),
        "id": "763104351884",
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda args: {
        "names": [f"{args.get('region', 'us-east-1')}{z}" for z in "abc"],
        "zoneIds": [f"az{i}" for i in (1, 2, 3)],
        "id": args.get("region", "us-east-1"),
    },
    "aws:ec2/getVpc:getVpc": lambda _a: {"id": "vpc-0offline", "cidrBlock": "10.0.0.0/16"},
    "aws:eks/getCluster:getCluster": lambda args: {
        "name": args.get("name", ""),
        "id": args.get("name", ""),
        "vpcConfig": {
            "vpcId": "vpc-0offline",
            "subnetIds": ["subnet-0offlinea", "subnet-0offlineb"],
            "clusterSecurityGroupId": "sg-0offlinecluster",
            "securityGroupIds": [],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "publicAccessCidrs": [],
            "controlPlaneEgressMode": "",
        },
    },
    "aws:ec2/getSubnets:getSubnets": lambda _a: {
        "ids": ["subnet-0offlinea", "subnet-0offlineb"],
        "id": "subnets",
    },
    "gcp:organizations/getProject:getProject": lambda _a: {
        "projectId": GCP_PROJECT,
        "number": "123456789012",
        "id": GCP_PROJECT,
    },
    "azure-native:redis:listRedisKeys": lambda args: {
        "primaryKey": f"offline-key-{_short(str(args.get('name', '')))}",
        "secondaryKey": "offline-secondary",
    },
    "azure-native:authorization:getClientConfig": lambda _a: {
        "subscriptionId": AZURE_SUBSCRIPTION,
        "tenantId": AZURE_SUBSCRIPTION,
        "clientId": AZURE_SUBSCRIPTION,
        "objectId": AZURE_SUBSCRIPTION,
    },
}


def invoke_result(token: str, args: dict[str, Any]) -> dict[str, Any]:
    handler = INVOKE_RESULTS.get(token)
    return handler(args) if handler is not None else {}
