"""Each fake is strict: the right credential passes, a wrong signature, a token for
another audience, a forged token or a wrong key is refused -- with the real clients
(botocore signing, the metadata/identity/STS/Entra protocols over HTTP)."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError
from urllib.parse import urlencode

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from inferplane.smoke.credentials import Book
from inferplane.smoke.issuers import AZURE_EXCHANGE_AUDIENCE, Issuers
from inferplane.smoke.server import Call, LoopbackServer
from inferplane.smoke.targets import AwsApis, Recorder, TargetFake, check_auth
from inferplane.smoke.wire import reply
from tests.support.targets import target_config

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime.type_defs import MessageTypeDef

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def _post(url: str, form: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def issued() -> Iterator[tuple[Book, Issuers, str]]:
    book = Book()
    issuers = Issuers(book)
    with LoopbackServer(issuers) as server:
        yield book, issuers, server.url


def _bearer(token: str) -> Call:
    return Call("POST", "/v1/chat/completions", {"authorization": f"Bearer {token}"}, b"{}")


# --- SigV4 -------------------------------------------------------------------------


def _signed(book: Book, service: str, region: str, secret: str | None = None) -> Call:
    key_id, key = book.aws_key()
    url = "http://127.0.0.1:1/model/m/converse"
    request = AWSRequest(method="POST", url=url, data=b'{"a":1}', headers={"content-type": "x"})
    SigV4Auth(Credentials(key_id, secret or key.secret), service, region).add_auth(request)
    headers = {k.lower(): str(v) for k, v in request.headers.items()}
    headers["host"] = "127.0.0.1:1"
    return Call("POST", "/model/m/converse", headers, b'{"a":1}')


def test_sigv4_signed_by_a_known_key_passes() -> None:
    book = Book()
    target = target_config("bedrock", auth={"scheme": "sigv4", "service": "bedrock"})
    assert (
        check_auth(book, target, _signed(book, "bedrock", "us-east-1"), "http://127.0.0.1:1")
        is None
    )


@pytest.mark.parametrize(
    ("service", "region", "secret", "reason"),
    [
        ("bedrock", "us-east-1", "not-the-secret", "signature does not match"),
        ("sagemaker", "us-east-1", None, "signed for service 'sagemaker'"),
        ("bedrock", "eu-west-1", None, "signed for region 'eu-west-1'"),
    ],
)
def test_sigv4_refuses_a_wrong_signature_service_or_region(
    service: str, region: str, secret: str | None, reason: str
) -> None:
    book = Book()
    target = target_config("bedrock", auth={"scheme": "sigv4", "service": "bedrock"})
    refused = check_auth(book, target, _signed(book, service, region, secret), "http://127.0.0.1:1")
    assert refused is not None
    assert reason in refused


def test_sigv4_refuses_a_tampered_body_and_unknown_keys() -> None:
    book = Book()
    target = target_config("bedrock", auth={"scheme": "sigv4", "service": "bedrock"})
    call = _signed(book, "bedrock", "us-east-1")
    tampered = Call(call.method, call.target, call.headers, b'{"a":2}')
    assert "does not match" in str(check_auth(book, target, tampered, "http://127.0.0.1:1"))
    assert "not issued" in str(check_auth(Book(), target, call, "http://127.0.0.1:1"))


def test_federated_sigv4_needs_a_session_of_the_trusted_role(
    issued: tuple[Book, Issuers, str],
) -> None:
    book, _, url = issued
    role = "arn:aws:iam::123456789012:role/router"
    target = target_config(
        "bedrock",
        auth={"scheme": "sigv4", "service": "bedrock", "federation": "google", "role_arn": role},
    )
    # The router's own (non-federated) key is not enough.
    assert "role" in str(check_auth(book, target, _signed(book, "bedrock", "us-east-1"), url))
    id_token = _get(
        f"{url}/computeMetadata/v1/instance/service-accounts/default/identity?audience=aws",
        {"Metadata-Flavor": "Google"},
    )[1].decode()
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    creds = sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="router", WebIdentityToken=id_token
    )["Credentials"]
    request = AWSRequest(method="POST", url="http://h:1/model/m/converse", data=b"{}")
    frozen = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    SigV4Auth(frozen, "bedrock", "us-east-1").add_auth(request)
    headers = {k.lower(): str(v) for k, v in request.headers.items()} | {"host": "h:1"}
    assert (
        check_auth(book, target, Call("POST", "/model/m/converse", headers, b"{}"), "http://h:1")
        is None
    )


def test_sts_refuses_a_forged_web_identity(issued: tuple[Book, Issuers, str]) -> None:
    _, issuers, url = issued
    status, _ = _post(
        url,
        {
            "Action": "AssumeRoleWithWebIdentity",
            "RoleArn": "arn:aws:iam::1:role/r",
            "RoleSessionName": "s",
            "WebIdentityToken": "forged",
            "Version": "2011-06-15",
        },
    )
    assert status == 403
    assert "STS" in issuers.refused[-1]


# --- Entra (managed identity and federation) ----------------------------------------


def _managed_identity(
    url: str, issuers: Issuers, resource: str, header: str | None = None
) -> tuple[int, bytes]:
    return _get(
        f"{url}/msi/token?{urlencode({'resource': resource, 'api-version': '2019-08-01'})}",
        {"X-IDENTITY-HEADER": header if header is not None else issuers.identity_header},
    )


def test_entra_token_for_the_scope_passes_and_another_audience_is_refused(
    issued: tuple[Book, Issuers, str],
) -> None:
    book, issuers, url = issued
    scope = "https://cognitiveservices.azure.com/.default"
    target = target_config("azure_openai", auth={"scheme": "azure_entra", "scope": scope})
    status, body = _managed_identity(url, issuers, "https://cognitiveservices.azure.com")
    assert status == 200
    good = json.loads(body)["access_token"]
    other = json.loads(_managed_identity(url, issuers, "https://ml.azure.com")[1])["access_token"]
    assert check_auth(book, target, _bearer(good), url) is None
    assert "token for 'https://ml.azure.com'" in str(check_auth(book, target, _bearer(other), url))
    assert "not issued" in str(check_auth(book, target, _bearer("made-up"), url))
    assert "Bearer" in str(check_auth(book, target, Call("POST", "/", {}, b""), url))


def test_managed_identity_endpoint_needs_its_header(issued: tuple[Book, Issuers, str]) -> None:
    _, issuers, url = issued
    assert _managed_identity(url, issuers, "https://ml.azure.com", header="wrong")[0] == 401


def test_entra_exchange_needs_a_google_assertion_for_the_exchange_audience(
    issued: tuple[Book, Issuers, str],
) -> None:
    book, _, url = issued
    identity = f"{url}/computeMetadata/v1/instance/service-accounts/default/identity"
    flavor = {"Metadata-Flavor": "Google"}
    right = _get(f"{identity}?audience={AZURE_EXCHANGE_AUDIENCE}", flavor)[1].decode()
    wrong = _get(f"{identity}?audience=https://elsewhere", flavor)[1].decode()
    form = {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "scope": "https://cognitiveservices.azure.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    assert _post(f"{url}/tenant/oauth2/v2.0/token", {**form, "client_assertion": wrong})[0] == 401
    status, body = _post(f"{url}/tenant/oauth2/v2.0/token", {**form, "client_assertion": right})
    assert status == 200
    target = target_config(
        "azure_openai",
        auth={
            "scheme": "azure_entra",
            "scope": form["scope"],
            "federation": "google",
            "client_id": "cid",
            "tenant_id": "tenant",
        },
    )
    assert check_auth(book, target, _bearer(json.loads(body)["access_token"]), url) is None


# --- Google ---------------------------------------------------------------------------


def test_metadata_server_needs_the_flavor_header(issued: tuple[Book, Issuers, str]) -> None:
    _, _, url = issued
    token_url = f"{url}/computeMetadata/v1/instance/service-accounts/default/token"
    assert _get(token_url)[0] == 403
    assert _get(token_url, {"Metadata-Flavor": "Google"})[0] == 200


def test_google_tokens_are_checked_by_kind_and_audience(issued: tuple[Book, Issuers, str]) -> None:
    book, _, url = issued
    sa = f"{url}/computeMetadata/v1/instance/service-accounts/default"
    flavor = {"Metadata-Flavor": "Google"}
    access = json.loads(_get(f"{sa}/token", flavor)[1])["access_token"]
    run_url = "https://llama-run-abc-ew.a.run.app"
    id_token = _get(f"{sa}/identity?audience={run_url}", flavor)[1].decode()
    other = _get(f"{sa}/identity?audience=https://other.run.app", flavor)[1].decode()
    vertex = target_config("vertex", auth={"scheme": "google_access_token"})
    run = target_config("openai", auth={"scheme": "google_id_token", "audience": run_url})
    assert check_auth(book, vertex, _bearer(access), url) is None
    assert "a google_id token where a google_access" in str(
        check_auth(book, vertex, _bearer(id_token), url)
    )
    assert check_auth(book, run, _bearer(id_token), url) is None
    assert "https://other.run.app" in str(check_auth(book, run, _bearer(other), url))


# --- API keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "sent"), [("authorization", "Bearer {key}"), ("api-key", "{key}")]
)
def test_api_key_in_its_header(header: str, sent: str) -> None:
    book = Book()
    book.api_keys["env:SITE_KEY"] = "k-123"
    target = target_config(
        auth={"scheme": "api_key", "secret": {"store": "env", "name": "SITE_KEY"}, "header": header}
    )
    right = Call("POST", "/", {header: sent.format(key="k-123")}, b"")
    wrong = Call("POST", "/", {header: sent.format(key="k-124")}, b"")
    assert check_auth(book, target, right, "") is None
    assert "wrong API key" in str(check_auth(book, target, wrong, ""))


# --- wire protocols -------------------------------------------------------------------


def test_bedrock_fake_speaks_converse_and_its_event_stream_to_boto3() -> None:
    book, recorder = Book(), Recorder()
    target = target_config(
        "bedrock", model=MODEL, url=None, auth={"scheme": "sigv4", "service": "bedrock"}
    )
    fake = AwsApis(book, {"claude": target}, recorder)
    key_id, key = book.aws_key()
    with LoopbackServer(fake) as server:
        fake.host_url = server.url
        client = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=server.url,
            aws_access_key_id=key_id,
            aws_secret_access_key=key.secret,
        )
        messages: list[MessageTypeDef] = [
            {"role": "user", "content": [{"text": "smoke-0123456789ab hi"}]}
        ]
        answer = client.converse(modelId=MODEL, messages=messages)
        events = list(client.converse_stream(modelId=MODEL, messages=messages)["stream"])
        bad = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=server.url,
            aws_access_key_id=key_id,
            aws_secret_access_key="wrong",
        )
        with pytest.raises(bad.exceptions.AccessDeniedException):
            bad.converse(modelId=MODEL, messages=messages)
    assert (
        answer["output"]["message"]["content"][0]["text"]
        == "answer from claude (smoke-0123456789ab)"
    )
    assert [next(iter(e)) for e in events] == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert [(r.target, r.operation, r.refused is None) for r in recorder.received] == [
        ("claude", "chat", True),
        ("claude", "stream", True),
        ("claude", "chat", False),
    ]


def test_sagemaker_stream_is_a_valid_event_stream() -> None:
    target = target_config("sagemaker", url=None, endpoint_name="ep")
    body = reply(target, "stream", "hi").body
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    parts = [message.payload for message in buffer]
    assert b"".join(parts).rstrip().endswith(b"data: [DONE]")
    assert len(parts) == 2


def test_a_fake_refuses_the_wrong_path_and_records_it() -> None:
    recorder = Recorder()
    fake = TargetFake(
        Book(), {"t": target_config("azure_openai", url="https://x.openai.azure.com")}, recorder
    )
    body = json.dumps({"messages": [], "model": "m"}).encode()
    answered = fake(
        Call("POST", "/openai/deployments/m/chat/completions?api-version=2024-10-21", {}, body)
    )
    wrong = fake(
        Call("POST", "/openai/deployments/other/chat/completions?api-version=2024-10-21", {}, body)
    )
    assert answered.status == 200
    assert wrong.status == 404
    assert recorder.received[-1].target is None


def test_loopback_server_relays_the_raw_request() -> None:
    seen: list[Call] = []

    def app(call: Call) -> Any:
        seen.append(call)
        return reply(target_config(), "chat", "x")

    with LoopbackServer(app) as server:
        request = urllib.request.Request(f"{server.url}/v1/a%3Ab?q=1", data=b"{}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(io.BytesIO(response.read()))["choices"][0]["message"]["content"] == "x"
    assert seen[0].target == "/v1/a%3Ab?q=1"
    assert seen[0].path == "/v1/a:b"
