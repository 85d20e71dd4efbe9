"""The fleet's launch template: the Deep Learning AMI (from its public SSM parameter),
IMDSv2 only, an encrypted gp3 root volume sized for the weights, no public IP, and the
user data that starts the model server."""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.gpu_fleet.instance_profile import instance_profile
from inferplane.components.aws.gpu_fleet.scope import FleetScope
from inferplane.components.aws.gpu_fleet.user_data import render_user_data

__all__ = ["DLAMI_PARAMETERS", "ROOT_DEVICE", "launch_template"]

# Public SSM parameters of the Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04):
# NVIDIA driver, Docker and the NVIDIA container toolkit preinstalled.
_DLAMI = "base-oss-nvidia-driver-gpu-ubuntu-22.04"
DLAMI_PARAMETERS = {
    arch: f"/aws/service/deeplearning/ami/{arch}/{_DLAMI}/latest/ami-id"
    for arch in ("x86_64", "arm64")
}
ROOT_DEVICE = "/dev/sda1"  # the DLAMI's root device
_TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")


def launch_template(
    scope: FleetScope, instance_sg: aws.ec2.SecurityGroup
) -> aws.ec2.LaunchTemplate:
    """The template every instance of the group (and its fallback) boots from."""
    args = scope.args
    image_id = _image_id(scope)
    queue = (args.queue_metric, args.name_prefix) if args.queue_metric else None
    user_data = render_user_data(
        args.container, args.region, args.model, args.hf_token_secret_arn, queue
    )
    profile = instance_profile(scope)
    return aws.ec2.LaunchTemplate(
        f"{scope.name}-lt",
        description=f"inferplane {args.name_prefix}: {args.model}",
        image_id=image_id,
        instance_type=args.instance_type,
        iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
        user_data=base64.b64encode(user_data.encode()).decode(),
        metadata_options=_imds_v2(),
        block_device_mappings=[_root_volume(scope)],
        network_interfaces=[_private_interface(instance_sg)],
        capacity_reservation_specification=_open_reservations(scope),
        monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=scope.tags)
            for kind in _TAGGED_AT_LAUNCH
        ],
        update_default_version=True,
        region=args.region,
        tags=scope.tags,
        opts=scope.child(),
    )


def _image_id(scope: FleetScope) -> pulumi.Input[str]:
    """The pinned AMI, else the latest Deep Learning AMI of the architecture."""
    args = scope.args
    if args.ami_id:
        return args.ami_id
    parameter = aws.ssm.get_parameter_output(
        name=DLAMI_PARAMETERS[args.architecture], region=args.region, opts=scope.invoke()
    )
    return parameter.value


def _imds_v2() -> aws.ec2.LaunchTemplateMetadataOptionsArgs:
    return aws.ec2.LaunchTemplateMetadataOptionsArgs(
        http_endpoint="enabled",
        http_tokens="required",
        # 1 hop: the containers cannot reach the instance's credentials.
        http_put_response_hop_limit=1,
    )


def _root_volume(scope: FleetScope) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
    """OS, image and weights cache, encrypted (with the caller's key, if any)."""
    return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
        device_name=ROOT_DEVICE,
        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
            volume_size=scope.args.volume_gib,
            volume_type="gp3",
            encrypted="true",
            kms_key_id=scope.args.kms_key_arn,
            delete_on_termination="true",
        ),
    )


def _private_interface(
    instance_sg: aws.ec2.SecurityGroup,
) -> aws.ec2.LaunchTemplateNetworkInterfaceArgs:
    return aws.ec2.LaunchTemplateNetworkInterfaceArgs(
        device_index=0,
        associate_public_ip_address="false",
        security_groups=[instance_sg.id],
        delete_on_termination="true",
    )


def _open_reservations(
    scope: FleetScope,
) -> aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs | None:
    """``open`` preference lives on the template; targeted reservations on the group."""
    reservation = scope.args.reservation
    if reservation is None or reservation.preference != "open":
        return None
    return aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
        capacity_reservation_preference="open"
    )
