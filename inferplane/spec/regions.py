"""The real region catalogues of each cloud, and the geography each region belongs to.

AWS regions come from botocore's own endpoint data (shipped with boto3, so it moves with
the pinned botocore). GCP and Azure publish no offline list in their SDKs, so theirs are
written out here from the providers' public region pages (checked 2026-11).
"""

from __future__ import annotations

from functools import cache
from typing import Literal

__all__ = ["Cloud", "geography", "is_region", "regions"]

Cloud = Literal["aws", "gcp", "azure"]

GCP_REGIONS = frozenset(
    [
        "africa-south1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "me-central1",
        "me-central2",
        "me-west1",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "northamerica-south1",
        "southamerica-east1",
        "southamerica-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
    ]
)

AZURE_REGIONS: dict[str, str] = {
    **dict.fromkeys(
        [
            "eastus",
            "eastus2",
            "westus",
            "westus2",
            "westus3",
            "centralus",
            "northcentralus",
            "southcentralus",
            "westcentralus",
        ],
        "us",
    ),
    **dict.fromkeys(
        [
            "northeurope",
            "westeurope",
            "francecentral",
            "francesouth",
            "germanywestcentral",
            "germanynorth",
            "swedencentral",
            "swedensouth",
            "polandcentral",
            "italynorth",
            "spaincentral",
            "norwayeast",
            "norwaywest",
            "switzerlandnorth",
            "switzerlandwest",
            "uksouth",
            "ukwest",
        ],
        "eu",
    ),
    **dict.fromkeys(
        [
            "eastasia",
            "southeastasia",
            "japaneast",
            "japanwest",
            "koreacentral",
            "koreasouth",
            "australiaeast",
            "australiasoutheast",
            "australiacentral",
            "centralindia",
            "southindia",
            "westindia",
            "newzealandnorth",
        ],
        "apac",
    ),
    **dict.fromkeys(["canadacentral", "canadaeast"], "ca"),
    **dict.fromkeys(["brazilsouth", "mexicocentral"], "sa"),
    **dict.fromkeys(["uaenorth", "uaecentral", "qatarcentral", "israelcentral"], "me"),
    "southafricanorth": "af",
}

# Region-name prefix -> geography. The same geography names as Bedrock's cross-region
# inference profiles (us., eu., apac.) and Azure's data zones (US, EU).
_AWS_GEO = {
    "us": "us",
    "eu": "eu",
    "ap": "apac",
    "ca": "ca",
    "sa": "sa",
    "me": "me",
    "il": "me",
    "af": "af",
    "mx": "sa",
}
_GCP_GEO = {
    "us": "us",
    "northamerica": "us",
    "europe": "eu",
    "asia": "apac",
    "australia": "apac",
    "southamerica": "sa",
    "me": "me",
    "africa": "af",
}


@cache
def regions(cloud: Cloud) -> frozenset[str]:
    """Every region of ``cloud``."""
    if cloud == "aws":
        import boto3

        session = boto3.session.Session()
        return frozenset(
            region
            for partition in ("aws", "aws-us-gov")
            for region in session.get_available_regions("ec2", partition_name=partition)
        )
    if cloud == "gcp":
        return GCP_REGIONS
    return frozenset(AZURE_REGIONS)


def is_region(cloud: Cloud, region: str) -> bool:
    return region in regions(cloud)


def geography(cloud: Cloud, region: str) -> str:
    """The geography (us, eu, apac, ...) a region belongs to."""
    if cloud == "azure":
        return AZURE_REGIONS[region]
    prefix = region.split("-", 1)[0]
    table = _AWS_GEO if cloud == "aws" else _GCP_GEO
    if region.startswith("us-gov"):
        return "us"
    return table.get(prefix, prefix)
