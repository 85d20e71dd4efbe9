"""The router's managed state on each cloud (components/<cloud>/router_state.py), run under
the recording mock engine: TLS and auth on, reachable only from the router's network,
the URL only in a secret."""

from __future__ import annotations

from typing import Any

import pulumi

from inferplane.components.aws.router_state import AwsRouterState, AwsRouterStateArgs
from inferplane.components.azure.network import AzureNetwork, AzureNetworkArgs
from inferplane.components.azure.router_state import (
    REDIS_ZONE,
    AzureRouterState,
    AzureRouterStateArgs,
)
from inferplane.components.gcp.router_state import GcpRouterState, GcpRouterStateArgs
from inferplane.plan.graph import Graph
from tests.components.aws.helpers import LABELS, untagged_aws
from tests.support.recording import only, record

NETWORK = "projects/p/global/networks/stack-vpc"


def _aws(seen: dict[str, Any]) -> Graph:
    def program() -> None:
        state = AwsRouterState(
            "state",
            AwsRouterStateArgs(
                region="eu-central-1",
                vpc_id="vpc-1",
                subnet_ids=["subnet-a", "subnet-b"],
                labels=LABELS,
                name_prefix="prod-router-state",
            ),
        )
        state.grant().apply(lambda g: seen.setdefault("grant", g))

    return record(program)


def test_elasticache_serverless_admits_the_router_only_and_auth_is_on() -> None:
    seen: dict[str, Any] = {}
    graph = _aws(seen)
    cache = only(graph, "aws:elasticache/serverlessCache:ServerlessCache").inputs
    assert (cache["engine"], cache["subnetIds"]) == ("valkey", ["subnet-a", "subnet-b"])
    assert cache["userGroupId"] == "prod-router-state"
    assert cache["securityGroupIds"] == ["state-cache-id"]
    # The cache's group admits the router's client group on the cache's ports, nothing else.
    [ingress] = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert ingress.inputs == {
        "securityGroupId": "state-cache-id",
        "referencedSecurityGroupId": "state-client-id",
        "fromPort": 6379,
        "toPort": 6380,
        "ipProtocol": "tcp",
        "region": "eu-central-1",
        "tags": ingress.inputs["tags"],
    }
    users = {u.inputs["userName"]: u.inputs for u in graph.by_type("aws:elasticache/user:User")}
    assert users["default"]["accessString"] == "off -@all"
    assert users["router"]["accessString"] == "on ~* &* +@all -@dangerous"
    assert users["router"]["authenticationMode"]["type"] == "password"
    group = only(graph, "aws:elasticache/userGroup:UserGroup").inputs
    assert group["userIds"] == ["prod-router-state-default", "prod-router-state-router"]
    version = only(graph, "aws:secretsmanager/secretVersion:SecretVersion").inputs
    assert version["secretString"] == "[secret]"
    assert seen["grant"]["actions"] == ["secretsmanager:GetSecretValue"]
    [secret_arn] = seen["grant"]["resources"]
    assert secret_arn.startswith("arn:aws:secretsmanager:eu-central-1:")
    assert untagged_aws(graph) == []


def test_memorystore_is_private_with_auth_and_tls_and_one_reader() -> None:
    def program() -> None:
        GcpRouterState(
            "state",
            GcpRouterStateArgs(
                project="p",
                region="europe-west4",
                network=NETWORK,
                reader="router@p.iam.gserviceaccount.com",
                labels={"environment": "prod"},
            ),
        )

    graph = record(program)
    instance = only(graph, "gcp:redis/instance:Instance").inputs
    assert {k: instance[k] for k in ("authEnabled", "transitEncryptionMode", "connectMode")} == {
        "authEnabled": True,
        "transitEncryptionMode": "SERVER_AUTHENTICATION",
        "connectMode": "PRIVATE_SERVICE_ACCESS",
    }
    assert (instance["authorizedNetwork"], instance["tier"]) == (NETWORK, "STANDARD_HA")
    peering = only(graph, "gcp:compute/globalAddress:GlobalAddress").inputs
    assert (peering["purpose"], peering["network"]) == ("VPC_PEERING", NETWORK)
    secret = only(graph, "gcp:secretmanager/secret:Secret").inputs
    assert secret["replication"] == {"userManaged": {"replicas": [{"location": "europe-west4"}]}}
    assert only(graph, "gcp:secretmanager/secretVersion:SecretVersion").inputs["secretData"] == (
        "[secret]"
    )
    member = only(graph, "gcp:secretmanager/secretIamMember:SecretIamMember").inputs
    assert (member["role"], member["member"]) == (
        "roles/secretmanager.secretAccessor",
        "serviceAccount:router@p.iam.gserviceaccount.com",
    )
    assert graph.by_type("gcp:projects/iAMMember:IAMMember") == []  # never project-wide


def test_azure_cache_is_tls_only_private_and_its_url_a_secret() -> None:
    urls: list[str] = []

    def program() -> None:
        network = AzureNetwork("net", AzureNetworkArgs(location="swedencentral"))
        state = AzureRouterState(
            "state", AzureRouterStateArgs(network=network, name="prod-router-state")
        )
        state.url.apply(urls.append)
        pulumi.export("url_is_secret", pulumi.Output.is_secret(state.url))

    graph = record(program)
    cache = only(graph, "azure-native:redis:Redis").inputs
    assert {
        k: cache[k] for k in ("enableNonSslPort", "minimumTlsVersion", "publicNetworkAccess")
    } == {"enableNonSslPort": False, "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}
    endpoint = only(graph, "azure-native:network:PrivateEndpoint").inputs
    [connection] = endpoint["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["redisCache"]
    zones = [
        z.inputs["privateZoneName"] for z in graph.by_type("azure-native:privatedns:PrivateZone")
    ]
    assert zones == [REDIS_ZONE]
    [url] = urls
    assert url.startswith("rediss://:offline-key-")
    assert url.endswith("@prod-router-state.redis.cache.windows.net:6380/0")
