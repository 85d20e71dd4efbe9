"""A ``lambda`` target in the smoke: the REAL Converse handler, unpacked from the converse
zip as ``inferplane.packaging.converse_zip`` builds it for the deployment, with the
handler and environment the deployment renders (``HANDLER``, ``function_environment``),
run by the fake Lambda Python runtime (``python_runtime``) behind a fake function URL
(``function_url``: ``AWS_IAM`` unless the target is a public URL).

The handler's boto3 client reaches a fake Bedrock runtime through
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` with the function's execution-role credentials (an
STS session the fake issued for the role). That fake enforces what Bedrock does: a SigV4
signature of the role for service ``bedrock`` in the function's region, the Converse
paths ``/model/{modelId}/converse`` and ``/converse-stream``, the request valid against
botocore's bedrock-runtime model, and only the model the role may invoke (the
deployment's IAM statement names exactly one); it answers ConverseStream in AWS
event-stream framing, which botocore in the function decodes and CRC-checks.

Both the function URL and the Bedrock fake record what they received for the target, so
a probe passes only when the router's request went through the handler to Bedrock and
the answer came back the same way."""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from inferplane.packaging.converse_zip import HANDLER, build_converse_zip, function_environment
from inferplane.router.config import TargetAuth, TargetConfig
from inferplane.smoke.credentials import Book, verify_sigv4
from inferplane.smoke.function_url import FunctionUrl
from inferplane.smoke.lambda_runtime import unpack
from inferplane.smoke.python_runtime import PythonFunction
from inferplane.smoke.server import Call, LoopbackServer, Reply
from inferplane.smoke.service_model import validate_request
from inferplane.smoke.targets import Received, Recorder, aws_error, check_auth, smoke_id
from inferplane.smoke.wire import Operation, bedrock_reply

__all__ = ["ACCOUNT", "FunctionBedrock", "is_function_url", "start_converse_function"]

FUNCTION_URL_HOST = re.compile(r"(?P<id>[a-z0-9]+)\.lambda-url\.(?P<region>[a-z0-9-]+)\.on\.aws")
ACCOUNT = "000000000000"
"""The fake account the function and its role live in."""
TIMEOUT_S = 60.0
"""The function's timeout (``LambdaFunctionArgs.timeout_s``'s default)."""
URL_AUTH = TargetAuth(scheme="sigv4", service="lambda")
"""What an ``AWS_IAM`` function URL requires of every caller."""


def is_function_url(target: TargetConfig) -> bool:
    """Whether ``target`` is a Lambda function URL (a ``lambda`` target: the Converse
    handler), signed (``lambda_url``) or public (``openai``)."""
    host = urlsplit(target.url or "").hostname or ""
    return FUNCTION_URL_HOST.fullmatch(host) is not None


class FunctionBedrock:
    """Bedrock runtime as the function's role reaches it (the module doc says what it
    enforces); records each call under the target's ``name``."""

    def __init__(
        self, book: Book, name: str, target: TargetConfig, role_arn: str, recorder: Recorder
    ) -> None:
        self.book, self.name, self.target = book, name, target
        self.model, self.region = target.model, target.region
        self.role_arn, self.recorder = role_arn, recorder
        self.host_url = ""

    def __call__(self, call: Call) -> Reply:
        stream = call.path.endswith("/converse-stream")
        op: Operation = "stream" if stream else "chat"
        reply, refused = self._check(call, "ConverseStream" if stream else "Converse")
        self.recorder.add(Received(self.name, op, smoke_id(call), refused, "bedrock"))
        if reply is not None:
            return reply
        return bedrock_reply(self.target, op, f"answer from {self.name} ({smoke_id(call)})")

    def _check(self, call: Call, operation: str) -> tuple[Reply | None, str | None]:
        """(None, None) when Bedrock would answer ``call``, else its error and why."""
        refused = verify_sigv4(
            self.book,
            call,
            self.host_url,
            service="bedrock",
            region=self.region,
            role_arn=self.role_arn,
        )
        if refused is not None:
            return aws_error(403, "AccessDeniedException", refused), f"bedrock: {refused}"
        labels, invalid = validate_request("bedrock-runtime", operation, call)
        if invalid is not None:
            return aws_error(400, "ValidationException", invalid), f"bedrock: {invalid}"
        if labels["modelId"] != self.model:
            why = f"{self.role_arn} may invoke {self.model!r} only, not {labels['modelId']!r}"
            return aws_error(403, "AccessDeniedException", why), f"bedrock: {why}"
        return None, None


class _RecordedUrl:
    """The function URL, recording what the router sent the target and how it went."""

    def __init__(self, url: FunctionUrl, name: str, recorder: Recorder) -> None:
        self.url, self.name, self.recorder = url, name, recorder

    def __call__(self, call: Call) -> Reply:
        reply, refused = self.url.respond(call)
        body = call.json()
        op = "stream" if isinstance(body, dict) and body.get("stream") else "chat"
        if refused is None and reply.status != 200:
            answer = reply.body[:300].decode(errors="replace")
            refused = f"the function answered {reply.status}: {answer}"
        self.recorder.add(Received(self.name, op, smoke_id(call), refused, "function_url"))
        return reply


def _url_auth(target: TargetConfig) -> TargetAuth:
    """What the function URL demands: a signed (``lambda_url``) target's URL is
    ``AWS_IAM`` (SigV4 for service ``lambda``, by the identity the config names); a public
    one (``openai``) is ``NONE``."""
    if target.backend != "lambda_url":
        return target.auth
    if target.auth.scheme != "sigv4":
        return URL_AUTH
    return target.auth.model_copy(update={"service": "lambda"})


def start_converse_function(
    stack: ExitStack,
    name: str,
    target: TargetConfig,
    *,
    book: Book,
    recorder: Recorder,
    workdir: Path,
) -> str:
    """Start the function of ``target`` (a function URL) on ``stack``; the fake URL's
    ``http://127.0.0.1:PORT`` (the path stays the target's)."""
    host = FUNCTION_URL_HOST.fullmatch(urlsplit(target.url or "").hostname or "")
    if host is None:
        raise ValueError(f"target {name!r}: {target.url!r} is not a Lambda function URL")
    region = target.region or host["region"]
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/smoke-{host['id']}"
    at_region = target.model_copy(update={"region": region})
    bedrock = FunctionBedrock(book, name, at_region, role_arn, recorder)
    bedrock.host_url = stack.enter_context(LoopbackServer(bedrock)).url

    workdir.mkdir(parents=True, exist_ok=True)
    task = unpack(build_converse_zip(workdir / "converse.zip"), workdir / "task")
    key_id, key = book.aws_key(role_arn=role_arn, session=True)
    assert key.session_token is not None
    environment = {
        **function_environment(target.model),
        # What Lambda sets: the region, the execution role's session, the function.
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": key.secret,
        "AWS_SESSION_TOKEN": key.session_token,
        "AWS_LAMBDA_FUNCTION_NAME": f"smoke-{host['id']}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "SMOKE_FUNCTION_ARN": f"arn:aws:lambda:{region}:{ACCOUNT}:function:smoke-{host['id']}",
        # The smoke's only change: Bedrock is the fake.
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.host_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    function = stack.enter_context(
        PythonFunction(task, HANDLER, environment, workdir, timeout_s=TIMEOUT_S)
    )
    auth = _url_auth(target)
    url_target = target.model_copy(update={"auth": auth, "region": region})
    front = FunctionUrl(
        function,
        lambda call: check_auth(book, url_target, call, server.url),
        url_id=host["id"],
        region=region,
        account=ACCOUNT,
    )
    server = LoopbackServer(_RecordedUrl(front, name, recorder))
    return stack.enter_context(server).url
