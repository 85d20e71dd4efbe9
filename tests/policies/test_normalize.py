"""Normalization: region/location resolution, tags from every cloud, tag inheritance."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.policies.normalize import location_of, region_of, tags_of
from inferplane.policies.values import UNKNOWN
from inferplane.residency import Location
from tests.policies.support import resource, stack


@pytest.mark.parametrize(
    ("type_", "inputs", "provider", "defaults", "expected"),
    [
        ("aws:s3/bucket:Bucket", {"region": "eu-west-1"}, {"region": "us-east-1"}, {}, "eu-west-1"),
        ("aws:s3/bucket:Bucket", {}, {"region": "us-west-2"}, {"aws": "us-east-1"}, "us-west-2"),
        ("aws:s3/bucket:Bucket", {}, None, {"aws": "us-east-1"}, "us-east-1"),
        ("aws:iam/role:Role", {}, None, {"aws": "us-east-1"}, None),
        ("gcp:cloudrunv2/service:Service", {"location": "europe-west4"}, None, {}, "europe-west4"),
        ("gcp:compute/instance:Instance", {}, {"region": "us-central1"}, {}, "us-central1"),
        (
            "azure-native:resources:ResourceGroup",
            {"location": "West Europe"},
            None,
            {},
            "West Europe",
        ),
        (
            "azure-native:cognitiveservices:Deployment",
            {},
            {"location": "swedencentral"},
            {},
            "swedencentral",
        ),
        ("kubernetes:apps/v1:Deployment", {}, None, {"aws": "us-east-1"}, None),
    ],
)
def test_region_resolution(
    type_: str,
    inputs: dict[str, Any],
    provider: dict[str, Any] | None,
    defaults: dict[str, str],
    expected: str | None,
) -> None:
    assert region_of(type_, inputs, provider, defaults) == expected


@pytest.mark.parametrize(
    ("type_", "region", "expected"),
    [
        ("aws:s3/bucket:Bucket", "us-east-1", Location("cloud", "aws", "us-east-1")),
        ("gcp:storage/bucket:Bucket", "EU", Location("geo", "gcp", "eu")),
        ("gcp:storage/bucket:Bucket", "nam4", Location("geo", "gcp", "us")),
        ("gcp:compute/instance:Instance", "us-central1-a", Location("cloud", "gcp", "us-central1")),
        (
            "azure-native:resources:ResourceGroup",
            "West Europe",
            Location("cloud", "azure", "westeurope"),
        ),
        ("azure-native:cognitiveservices:Account", "global", Location("global", "azure")),
        ("aws:s3/bucket:Bucket", UNKNOWN, None),
        ("aws:s3/bucket:Bucket", None, None),
    ],
)
def test_location(type_: str, region: str | None, expected: Location | None) -> None:
    assert location_of(type_, region) == expected


def test_tags_from_each_cloud() -> None:
    assert tags_of("aws:s3/bucket:Bucket", {"tags": {"owner": "x", "y": UNKNOWN}}) == {"owner": "x"}
    assert tags_of("gcp:storage/bucket:Bucket", {"labels": {"owner": "x"}, "tags": {"a": "b"}}) == {
        "owner": "x"
    }
    asg = [{"key": "owner", "value": "x", "propagateAtLaunch": True}]
    assert tags_of("aws:autoscaling/group:Group", {"tags": asg}) == {"owner": "x"}
    k8s = {"metadata": {"labels": {"inferplane.dev/owner": "x", "app": "vllm"}}}
    assert tags_of("kubernetes:apps/v1:Deployment", k8s) == {"owner": "x"}
    assert tags_of("aws:s3/bucket:Bucket", {"tags": UNKNOWN}) == {}


def test_untaggable_resources_borrow_a_siblings_tags() -> None:
    tagged = resource(
        "aws:lambda/function:Function", "fn", {"tags": {"data-class": "internal"}}, parent="urn:c"
    )
    url = resource("aws:lambda/functionUrl:FunctionUrl", "url", {}, parent="urn:c")
    untagged_bucket = resource("aws:s3/bucket:Bucket", "b", {}, parent="urn:c")
    built = stack([tagged, url, untagged_bucket])
    by_name = {r.name: r for r in built.resources}
    assert by_name["url"].data_class == "internal"
    assert by_name["url"].inherited_tags
    assert by_name["b"].tags == {}
    assert by_name["b"].taggable


def test_component_types_come_from_the_urn() -> None:
    r = resource("aws:s3/bucket:Bucket", "b", {}, parent_type="inferplane:router:Router")
    assert r.component_types == ("inferplane:router:Router",)
