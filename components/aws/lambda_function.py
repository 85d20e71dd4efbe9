"""LambdaFunction: serverless inference (or any HTTP service, such as the router) as a
Lambda function behind a function URL.

It takes any code archive, handler and environment, so the same building block carries
the Bedrock proxy of a ``lambda`` target and the stack's router. The role gets only the
log stream it writes to plus the statements the caller passes (e.g. invoke on exactly
one model); the URL requires SigV4 (``AWS_IAM``) unless ``public`` is set, and whether a
public URL is acceptable is for the policies to decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.checks import (
    LOG_RETENTION_DAYS,
    botocore_enum,
    check_choice,
    check_range,
    check_region,
)
from inferplane.components.aws.iam import Statement, assume_role_policy, policy_document
from inferplane.components.aws.naming import physical_name
from inferplane.components.aws.wiring import lambda_url_grants, sigv4
from inferplane.components.base import EndpointInfo, Labels, TargetComponent
from inferplane.components.wiring import Reach

__all__ = ["LambdaFunction", "LambdaFunctionArgs", "LambdaVpc"]

ARCHITECTURES = ("x86_64", "arm64")
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
_HANDLER = r"^[A-Za-z0-9_.\-/]+\.[A-Za-z_][A-Za-z0-9_]*$"
_LAYER = r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$"
_SETTABLE_AWS_ENV = r"^AWS_(LAMBDA_EXEC_WRAPPER|LWA_[A-Z0-9_]+)$"
"""The ``AWS_`` variables a function may set: a runtime wrapper and its (the Lambda Web
Adapter's) settings; Lambda reserves the rest."""


@dataclass(frozen=True)
class LambdaVpc:
    """Where a function that must reach private resources (Redis, an internal ALB) runs."""

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets (at least one)."""
    security_group_ids: tuple[pulumi.Input[str], ...]
    """Security groups of the function's network interfaces (at least one)."""


@dataclass(frozen=True)
class LambdaFunctionArgs:
    """A Lambda function with a function URL."""

    region: str
    """Region of the function, its URL and its log group."""
    code: pulumi.Archive
    """The deployment package (``AssetArchive``/``FileArchive`` of the handler and deps)."""
    handler: str
    """``module.function`` in the package, e.g. ``converse_handler.handler``."""
    labels: Labels
    """Tags for every resource."""
    name_prefix: str
    """Prefix of the function name (at most 64 characters in all)."""
    runtime: str = "python3.12"
    """Lambda runtime identifier (botocore's Runtime enum)."""
    architecture: Literal["x86_64", "arm64"] = "arm64"
    """Instruction set; the package's native wheels must match."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables (visible in the resource graph: no secrets here)."""
    memory_mb: int = 512
    """Memory (128..10240 MB); CPU scales with it."""
    timeout_s: int = 60
    """Per-invocation timeout (1..900 s); function URLs cut responses at 900 s."""
    reserved_concurrency: int | None = None
    """Concurrency reserved for (and capping) this function; None shares the account pool."""
    log_retention_days: int = 30
    """CloudWatch log retention; one of CloudWatch's allowed periods."""
    statements: tuple[Statement, ...] = ()
    """Extra IAM statements for the function's role (what it may call)."""
    policy_arns: tuple[pulumi.Input[str], ...] = ()
    """Managed policies to attach (e.g. a Bedrock target's invoke policy)."""
    public: bool = False
    """URL auth NONE instead of AWS_IAM. Only when the spec declares it; policies decide."""
    invoke_mode: Literal["BUFFERED", "RESPONSE_STREAM"] = "BUFFERED"
    """RESPONSE_STREAM streams the body (the handler must be a streaming handler)."""
    layers: tuple[str, ...] = ()
    """Layer version ARNs (e.g. the Lambda Web Adapter's, which streams a web server)."""
    vpc: LambdaVpc | None = None
    """Run inside a VPC (attaches the VPC access managed policy)."""
    model: str = ""
    """The model the function answers for (the router's ``model`` for this target)."""
    openai_base_path: str = "/v1"
    """Path under the URL where the OpenAI-compatible API starts."""
    description: str = ""
    """Function description."""


def _check(args: LambdaFunctionArgs) -> None:
    import re

    check_region("region", args.region)
    if not re.match(_HANDLER, args.handler):
        raise ValueError(f"handler: {args.handler!r} is not 'module.function'")
    check_choice("runtime", args.runtime, botocore_enum("lambda", "Runtime"))
    check_choice("architecture", args.architecture, ARCHITECTURES)
    check_range("memory_mb", args.memory_mb, 128, 10240)
    check_range("timeout_s", args.timeout_s, 1, 900)
    if args.reserved_concurrency is not None:
        check_range("reserved_concurrency", args.reserved_concurrency, 0, 1000)
    check_choice("log_retention_days", args.log_retention_days, LOG_RETENTION_DAYS)
    check_choice("invoke_mode", args.invoke_mode, INVOKE_MODES)
    for layer in args.layers:
        if not re.match(_LAYER, layer):
            raise ValueError(f"layers: {layer!r} is not a layer version ARN")
    if args.vpc is not None and not (args.vpc.subnet_ids and args.vpc.security_group_ids):
        raise ValueError("vpc: needs at least one subnet_id and one security_group_id")
    if not args.openai_base_path.startswith("/"):
        raise ValueError(f"openai_base_path: {args.openai_base_path!r} must start with '/'")
    for key in args.environment:
        reserved = key.startswith("AWS_") and not re.match(_SETTABLE_AWS_ENV, key)
        if reserved or not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", key):
            raise ValueError(f"environment: {key!r} is reserved or not a variable name")


def _url_auth(args: LambdaFunctionArgs) -> Literal["NONE", "AWS_IAM"]:
    """The function URL's auth type: NONE only when the spec declares the URL public."""
    return "NONE" if args.public else "AWS_IAM"


class LambdaFunction(TargetComponent):
    """A Lambda function, its role, log group and function URL."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    function_url: pulumi.Output[str]
    """The URL (``https://<id>.lambda-url.<region>.on.aws/``)."""
    url_auth: pulumi.Output[str]
    """AWS_IAM or NONE."""
    role_name: pulumi.Output[str]
    """The execution role, for callers that attach more policies."""
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LambdaFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:aws:LambdaFunction", name, None, opts)
        self._name, self._args, self._tags = name, args, args.labels.tags()
        function_name = physical_name(args.name_prefix, limit=64)
        log_group = self._log_group(function_name)
        role = self._role(function_name)
        grants = self._grants(role, log_group)
        function = self._function(function_name, role, log_group, grants)
        url = self._url(function)
        self.function_name = function.name
        self.function_arn = function.arn
        self.function_url = url.function_url
        self.url_auth = pulumi.Output.from_input(_url_auth(args))
        self.role_name = role.name
        self.role_arn = role.arn
        self.endpoint = self._endpoint(url, function)
        self.register_target_outputs(
            function_name=self.function_name,
            function_arn=self.function_arn,
            function_url=self.function_url,
            url_auth=self.url_auth,
            role_name=self.role_name,
            role_arn=self.role_arn,
        )

    def _log_group(self, function_name: str) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=self._args.log_retention_days,
            region=self._args.region,
            tags=self._tags,
            opts=self.child(),
        )

    def _role(self, function_name: str) -> aws.iam.Role:
        return aws.iam.Role(
            f"{self._name}-role",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            description=f"Execution role of Lambda {function_name} ({self._args.region})",
            tags=self._tags,
            opts=self.child(),
        )

    def _grants(
        self, role: aws.iam.Role, log_group: aws.cloudwatch.LogGroup
    ) -> list[pulumi.Resource]:
        """The role's inline policy (its own log group, plus ``statements``) and the
        managed policies it carries."""
        name, args = self._name, self._args
        writes_logs = Statement(
            sid="WriteLogs",
            actions=("logs:CreateLogStream", "logs:PutLogEvents"),
            resources=[pulumi.Output.concat(log_group.arn, ":*")],
        )
        grants: list[pulumi.Resource] = [
            aws.iam.RolePolicy(
                f"{name}-role-policy",
                role=role.id,
                policy=policy_document([writes_logs, *args.statements]),
                opts=self.child(),
            )
        ]
        attached = [*args.policy_arns, *([VPC_ACCESS_POLICY] if args.vpc else [])]
        grants += [
            aws.iam.RolePolicyAttachment(
                f"{name}-policy-{i}", role=role.name, policy_arn=arn, opts=self.child()
            )
            for i, arn in enumerate(attached)
        ]
        return grants

    def _function(
        self,
        function_name: str,
        role: aws.iam.Role,
        log_group: aws.cloudwatch.LogGroup,
        grants: list[pulumi.Resource],
    ) -> aws.lambda_.Function:
        args = self._args
        return aws.lambda_.Function(
            f"{self._name}-function",
            name=function_name,
            description=args.description or f"inferplane {args.name_prefix}",
            role=role.arn,
            code=args.code,
            handler=args.handler,
            runtime=args.runtime,
            architectures=[args.architecture],
            layers=list(args.layers) or None,
            memory_size=args.memory_mb,
            timeout=args.timeout_s,
            reserved_concurrent_executions=args.reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=log_group.name
            ),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.vpc.subnet_ids,
                security_group_ids=list(args.vpc.security_group_ids),
            )
            if args.vpc
            else None,
            region=args.region,
            tags=self._tags,
            # Permissions first: the first invocation must not fail on a missing grant.
            opts=self.child(depends_on=grants),
        )

    def _url(self, function: aws.lambda_.Function) -> aws.lambda_.FunctionUrl:
        args = self._args
        url = aws.lambda_.FunctionUrl(
            f"{self._name}-url",
            function_name=function.name,
            authorization_type=_url_auth(args),
            invoke_mode=args.invoke_mode,
            region=args.region,
            opts=self.child(),
        )
        if args.public:
            self._public_permissions(self._name, function, args.region)
        return url

    def _endpoint(
        self, url: aws.lambda_.FunctionUrl, function: aws.lambda_.Function
    ) -> pulumi.Output[EndpointInfo]:
        args = self._args
        # An AWS_IAM URL answers only SigV4-signed requests: the router's lambda_url backend.
        backend = "openai" if args.public else "lambda_url"
        return pulumi.Output.all(url.function_url, function.arn).apply(
            lambda both: EndpointInfo(
                backend=backend,
                model=args.model,
                url=both[0].rstrip("/") + args.openai_base_path,
                region=args.region,
                # A function URL is a public host (no PrivateLink for URLs): the caller
                # needs internet egress (NAT inside a VPC) whatever its auth.
                reach=Reach(path="public"),
                auth={"scheme": "none"} if args.public else sigv4("lambda"),
                grants=[] if args.public else lambda_url_grants(both[1]),
            )
        )

    def _public_permissions(self, name: str, function: aws.lambda_.Function, region: str) -> None:
        # An unauthenticated URL needs both grants since AWS's October 2025 change.
        aws.lambda_.Permission(
            f"{name}-public-url",
            function=function.name,
            action="lambda:InvokeFunctionUrl",
            principal="*",
            function_url_auth_type="NONE",
            region=region,
            opts=self.child(),
        )
        aws.lambda_.Permission(
            f"{name}-public-invoke",
            function=function.name,
            action="lambda:InvokeFunction",
            principal="*",
            invoked_via_function_url=True,
            region=region,
            opts=self.child(),
        )
