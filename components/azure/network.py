"""The stack's Azure network: one VNet where the router runs and where the private
endpoints of private targets live, with the private DNS zones that resolve them.

Why one VNet in the router's region (not one per target region, peered): a private
endpoint may sit in a VNet of another region than its resource (Azure Private Link is
cross-region), so a single VNet holding both the router's Container Apps environment and
every private endpoint gives the router a path to each target with no peering to keep in
step, one set of DNS zones and one link per zone. Traffic to a target in another region
crosses Microsoft's backbone, not the internet.

Subnets:

- ``apps``               a /23 delegated to ``Microsoft.App/environments``: the
                         infrastructure subnet of a workload-profiles environment (one
                         environment per subnet; /27 is the minimum, /23 leaves room to
                         scale out),
- ``private-endpoints``  a /24 for the private endpoints' network interfaces.

Private DNS zones are created on first use (``private_endpoint``), linked to the VNet
(resolution only, no auto-registration), and each private endpoint gets a DNS zone group
so its A records are written into them: the target's public host name then resolves to
the private address inside the VNet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from inferplane.components.azure.group import resource_group_name
from inferplane.components.wiring import Reach

__all__ = [
    "AML_ZONES",
    "OPENAI_ZONES",
    "AzureNetwork",
    "AzureNetworkArgs",
    "private_endpoint",
]

OPENAI_ZONES = ("privatelink.openai.azure.com",)
"""Private DNS zones of an Azure OpenAI account's private endpoint (group ``account``)."""
AML_ZONES = ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
"""Private DNS zones of an Azure ML workspace's private endpoint (group ``amlworkspace``);
online endpoints with public access off are scored through it."""
APPS_DELEGATION = "Microsoft.App/environments"
_CIDR = re.compile(r"^10\.(\d{1,3})\.0\.0/16$")
_net = azure.network
_dns = azure.privatedns


@dataclass
class AzureNetworkArgs:
    location: str
    """Region of the VNet (the router's region)."""
    address_space: str = "10.40.0.0/16"
    """A private 10.x.0.0/16; the subnets are carved from it."""
    resource_group_name: pulumi.Input[str] | None = None
    """Existing resource group; None creates ``<name>-rg``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags (``Labels.tags()``) of the VNet, its group and the private endpoints."""
    zone_tags: Mapping[str, str] | None = None
    """Tags of the private DNS zones and links (location ``global``; they hold only A
    records); None: ``tags``."""


class AzureNetwork(pulumi.ComponentResource):
    """A VNet with an apps subnet and a private-endpoints subnet, and private DNS zones
    created as private endpoints need them."""

    vnet_id: pulumi.Output[str]
    """ARM ID of the VNet: the ``network`` of targets reached through it."""
    apps_subnet_id: pulumi.Output[str]
    """Infrastructure subnet for one Container Apps environment."""
    endpoints_subnet_id: pulumi.Output[str]
    """Subnet of the private endpoints."""
    location: str
    group: pulumi.Output[str]

    def __init__(
        self, name: str, args: AzureNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        match = _CIDR.match(args.address_space)
        if not match or int(match.group(1)) > 255:
            raise ValueError(
                f"address_space {args.address_space!r} is not allowed; use a 10.x.0.0/16"
            )
        super().__init__("inferplane:azure:AzureNetwork", name, None, opts)
        self._name = name
        self._tags = dict(args.tags)
        self._zone_tags = dict(args.tags if args.zone_tags is None else args.zone_tags)
        self._zones: dict[str, _dns.PrivateZone] = {}
        self.location = args.location
        octet = match.group(1)
        self.group = resource_group_name(
            self, name, args.location, self._tags, args.resource_group_name
        )
        self.vnet = _net.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=self.group,
            location=args.location,
            address_space=_net.AddressSpaceArgs(address_prefixes=[args.address_space]),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.apps_subnet, self.endpoints_subnet = self._subnets(name, octet)
        self.vnet_id = self.vnet.id
        self.apps_subnet_id = self.apps_subnet.id
        self.endpoints_subnet_id = self.endpoints_subnet.id
        self.register_outputs(
            {
                "vnet_id": self.vnet_id,
                "apps_subnet_id": self.apps_subnet_id,
                "endpoints_subnet_id": self.endpoints_subnet_id,
            }
        )

    def _subnets(self, name: str, octet: str) -> tuple[_net.Subnet, _net.Subnet]:
        """The apps subnet (delegated to Container Apps) and the private endpoints' one."""
        apps = _net.Subnet(
            f"{name}-apps",
            subnet_name="apps",
            resource_group_name=self.group,
            virtual_network_name=self.vnet.name,
            address_prefix=f"10.{octet}.0.0/23",
            delegations=[_net.DelegationArgs(name="apps", service_name=APPS_DELEGATION)],
            opts=pulumi.ResourceOptions(parent=self),
        )
        endpoints = _net.Subnet(
            f"{name}-private-endpoints",
            subnet_name="private-endpoints",
            resource_group_name=self.group,
            virtual_network_name=self.vnet.name,
            address_prefix=f"10.{octet}.8.0/24",
            private_endpoint_network_policies=_net.VirtualNetworkPrivateEndpointNetworkPolicies.DISABLED,
            # One subnet at a time: Azure refuses concurrent subnet writes on a VNet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[apps]),
        )
        return apps, endpoints

    def zone(self, zone_name: str) -> azure.privatedns.PrivateZone:
        """The private DNS zone ``zone_name``, linked to the VNet (created once)."""
        if zone_name in self._zones:
            return self._zones[zone_name]
        label = zone_name.replace(".", "-")
        zone = _dns.PrivateZone(
            f"{self._name}-{label}",
            private_zone_name=zone_name,
            resource_group_name=self.group,
            location="global",
            tags=self._zone_tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        _dns.VirtualNetworkLink(
            f"{self._name}-{label}-link",
            private_zone_name=zone.name,
            resource_group_name=self.group,
            location="global",
            virtual_network=_dns.SubResourceArgs(id=self.vnet.id),
            # Resolution only: the VNet's VMs must not write records into a shared zone.
            registration_enabled=False,
            tags=self._zone_tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._zones[zone_name] = zone
        return zone


def private_reach(
    network: AzureNetwork | None, public_network_access: bool
) -> pulumi.Output[Reach]:
    """How a caller reaches a resource that may have a private endpoint in ``network``:
    through it when public network access is off, else over its public endpoint."""
    if network is None or public_network_access:
        return pulumi.Output.from_input(Reach(path="public"))
    return network.vnet_id.apply(lambda vnet: Reach(path="private_endpoint", network=vnet))


def private_endpoint(  # noqa: PLR0917 - each argument is a distinct ARM reference
    owner: pulumi.ComponentResource,
    name: str,
    network: AzureNetwork,
    resource_id: pulumi.Input[str],
    group_id: str,
    zones: Sequence[str],
    tags: Mapping[str, str],
) -> azure.network.PrivateEndpoint:
    """A private endpoint for sub-resource ``group_id`` of ``resource_id`` in the network's
    private-endpoints subnet, with a DNS zone group writing its records into ``zones``;
    a child ``name`` of ``owner`` (the target it reaches)."""
    endpoint = _net.PrivateEndpoint(
        name,
        resource_group_name=network.group,
        # The VNet's region: Private Link reaches resources in other regions.
        location=network.location,
        subnet=_net.SubnetArgs(id=network.endpoints_subnet_id),
        private_link_service_connections=[
            _net.PrivateLinkServiceConnectionArgs(
                name=name, private_link_service_id=resource_id, group_ids=[group_id]
            )
        ],
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=owner),
    )
    _net.PrivateDnsZoneGroup(
        f"{name}-dns",
        private_dns_zone_group_name="default",
        private_endpoint_name=endpoint.name,
        resource_group_name=network.group,
        private_dns_zone_configs=[
            _net.PrivateDnsZoneConfigArgs(
                name=zone.replace(".", "-"), private_dns_zone_id=network.zone(zone).id
            )
            for zone in zones
        ],
        opts=pulumi.ResourceOptions(parent=owner),
    )
    return endpoint
