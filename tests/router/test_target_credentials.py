"""The router authenticates to each target like the cloud SDKs do: every scheme against
loopback issuers and upstreams that enforce what the real services enforce
(tests/support/token_issuers.py), token refresh off the request path, and failure modes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

from inferplane.router.app import create_app
from inferplane.router.backends import BackendContext, build_backend
from inferplane.router.config import RouterConfig, SecretRef, TargetConfig
from inferplane.router.credentials import resolve_secret
from inferplane.router.errors import ConfigError
from inferplane.router.target_auth import CredentialsUnavailableError, OutgoingRequest
from inferplane.router.target_auth.aws import SigV4
from inferplane.router.target_auth.fetch import IssuerError
from inferplane.router.target_auth.options import CredentialOptions
from inferplane.router.target_auth.tokens import Token, TokenCache
from tests.router import configs
from tests.router.configs import auth, chat
from tests.router.fakes import LoopThread
from tests.support.token_issuers import (
    ANSWER,
    AuthenticatedUpstream,
    Clock,
    Cloud,
    EntraTokenEndpoint,
    GceMetadata,
    HttpCall,
    KeyVault,
    ManagedIdentity,
    SecretManager,
    Sts,
    bearer_check,
    private_ca,
    sigv4_check,
)

COGNITIVE = "https://cognitiveservices.azure.com/.default"
ROLE = "arn:aws:iam::123456789012:role/router-from-gcp"
TENANT, CLIENT = "tenant-1", "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def cloud() -> Cloud:
    return Cloud()


@pytest.fixture
def gce(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[GceMetadata]:
    with GceMetadata(cloud, lifetime_s=100) as server:
        monkeypatch.setenv("GCE_METADATA_HOST", server.host)
        yield server


@pytest.fixture
def identity(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[ManagedIdentity]:
    with ManagedIdentity(cloud, lifetime_s=100) as server:
        monkeypatch.setenv("IDENTITY_ENDPOINT", server.endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", server.secret)
        yield server


@pytest.fixture
def entra(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[EntraTokenEndpoint]:
    with EntraTokenEndpoint(cloud, TENANT, CLIENT) as server:
        monkeypatch.setenv("AZURE_AUTHORITY_HOST", server.url)
        yield server


@pytest.fixture
def sts(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sts]:
    with Sts(cloud, ROLE) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.url)
        yield server


@pytest.fixture
def aws_env(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """Static keys in botocore's chain (the native identity), nothing from ~/.aws."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAROUTER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "router-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    cloud.add_static_aws_keys("AKIAROUTER", "router-secret")


def serve(
    loop: LoopThread,
    cloud: Cloud,
    targets: dict[str, dict[str, Any]],
    route: list[str] | None = None,
) -> str:
    """The router with its credential caches on the cloud's clock, refresh polled fast."""
    cfg: RouterConfig = configs.config(
        targets, [{"name": "default", "targets": route or list(targets)}]
    )
    context = BackendContext(clock=cloud.clock, refresh_poll_s=0.01)
    backends = {name: build_backend(name, t, context) for name, t in cfg.targets.items()}
    app = create_app(cfg, backends=backends)

    async def close_context(_: web.Application) -> None:
        await context.close()

    app.on_cleanup.append(close_context)
    return loop.serve(app).url


def target(url: str, backend: str, auth_: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        **configs.target(url, ("public",)),
        "url": url,
        "backend": backend,
        "auth": auth_,
        "timeouts": {"connect": 2, "first_byte": 5, "total": 5},
        **extra,
    }


def wait_for(condition: Callable[[], bool], seconds: float = 1.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def ask(router: str, *, stream: bool = False) -> httpx.Response:
    return httpx.post(
        f"{router}/v1/chat/completions", json=chat(stream=stream), headers=auth(), timeout=10
    )


def streamed_text(response: httpx.Response) -> str:
    events = [line[6:] for line in response.text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [orjson.loads(e) for e in events[:-1]]
    return "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])


# --- every scheme, end to end --------------------------------------------------------


def test_google_access_token_for_vertex(loop: LoopThread, cloud: Cloud, gce: GceMetadata) -> None:
    with AuthenticatedUpstream(bearer_check(cloud, "google")) as up:
        router = serve(loop, cloud, {"v": target(up.url + "/v1/models", "vertex", _ACCESS)})
        assert gce.count("/token") == 1  # minted at start-up, before any request
        assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
        assert up.refusals == []
        assert up.calls[0].path == "/v1/models/m:generateContent"
        assert gce.count("/token") == 1  # the request did not mint


def test_google_id_token_for_cloud_run(loop: LoopThread, cloud: Cloud, gce: GceMetadata) -> None:
    with AuthenticatedUpstream(bearer_check(cloud, "", id_token=True)) as up:
        up.check = bearer_check(cloud, up.url, id_token=True)  # audience = the service URL
        scheme = {"scheme": "google_id_token", "audience": up.url}
        router = serve(loop, cloud, {"run": target(up.url + "/v1", "openai", scheme)})
        assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
        assert streamed_text(ask(router, stream=True)) == ANSWER
        assert up.refusals == []
        assert [c.query["audience"] for c in gce.calls] == [up.url]


@pytest.mark.parametrize("via", ["identity_endpoint", "imds"])
def test_azure_entra_managed_identity(
    loop: LoopThread, cloud: Cloud, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    with ManagedIdentity(cloud, client_id=CLIENT) as mi:
        if via == "identity_endpoint":
            monkeypatch.setenv("IDENTITY_ENDPOINT", mi.endpoint)
            monkeypatch.setenv("IDENTITY_HEADER", mi.secret)
        else:
            monkeypatch.delenv("IDENTITY_ENDPOINT", raising=False)
            monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", mi.url)
        with AuthenticatedUpstream(
            bearer_check(cloud, "https://cognitiveservices.azure.com")
        ) as up:
            scheme = {"scheme": "azure_entra", "scope": COGNITIVE, "client_id": CLIENT}
            router = serve(loop, cloud, {"az": target(up.url, "azure_openai", scheme)})
            assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
            assert up.refusals == []
            assert "api-key" not in up.calls[0].headers
        (call,) = mi.calls
        assert call.query["resource"] == "https://cognitiveservices.azure.com"
        assert call.query["client_id"] == CLIENT


def test_managed_identity_endpoint_refuses_a_wrong_header(
    loop: LoopThread, cloud: Cloud, identity: ManagedIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-secret")
    with AuthenticatedUpstream(bearer_check(cloud, "https://cognitiveservices.azure.com")) as up:
        scheme = {"scheme": "azure_entra", "scope": COGNITIVE}
        router = serve(loop, cloud, {"az": target(up.url, "azure_openai", scheme)})
        response = ask(router)
    assert response.status_code == 503  # no token: the target fails over, never a 500
    assert up.calls == []


def test_azure_entra_federated_from_google(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata, entra: EntraTokenEndpoint
) -> None:
    with AuthenticatedUpstream(bearer_check(cloud, "https://cognitiveservices.azure.com")) as up:
        scheme = {
            "scheme": "azure_entra",
            "scope": COGNITIVE,
            "federation": "google",
            "client_id": CLIENT,
            "tenant_id": TENANT,
        }
        router = serve(loop, cloud, {"az": target(up.url, "azure_openai", scheme)})
        assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
        assert up.refusals == []
    assert [c.query["audience"] for c in gce.calls] == ["api://AzureADTokenExchange"]
    assert len(entra.calls) == 1


def test_sigv4_native_for_a_lambda_url(loop: LoopThread, cloud: Cloud, aws_env: None) -> None:
    with AuthenticatedUpstream(sigv4_check(cloud, "lambda", "us-east-1")) as up:
        scheme = {"scheme": "sigv4", "service": "lambda"}
        router = serve(
            loop, cloud, {"fn": target(up.url + "/v1", "lambda_url", scheme, region="us-east-1")}
        )
        assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
        assert streamed_text(ask(router, stream=True)) == ANSWER
        assert up.refusals == []


def test_sigv4_native_for_sagemaker_through_boto3(
    loop: LoopThread, cloud: Cloud, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with AuthenticatedUpstream(sigv4_check(cloud, "sagemaker", "eu-central-1")) as up:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", up.url)
        scheme = {"scheme": "sigv4", "service": "sagemaker"}
        sm = target(up.url, "sagemaker", scheme, region="eu-central-1", endpoint_name="llm-ep")
        router = serve(loop, cloud, {"sm": sm})
        assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
        assert up.refusals == []
        assert up.calls[0].path == "/endpoints/llm-ep/invocations"


def test_sigv4_check_rejects_a_tampered_body(cloud: Cloud, aws_env: None) -> None:
    """The upstream fake really verifies: a signature over another body is refused."""
    lambda_auth = {"scheme": "sigv4", "service": "lambda"}
    spec = TargetConfig.model_validate(target("http://x", "lambda_url", lambda_auth, region="r"))
    signer = SigV4("fn", spec, CredentialOptions())
    request = OutgoingRequest("POST", "http://127.0.0.1:9/v1/chat/completions", {}, b"{}")
    asyncio.run(signer.authorize(request))
    check = sigv4_check(cloud, "lambda", "r")

    def call(body: bytes) -> HttpCall:
        return HttpCall("POST", "/v1/chat/completions", {}, request.headers, body, request.url)

    assert check(call(b"{}")) is None
    assert check(call(b'{"x":1}')) == (403, "SignatureDoesNotMatch")


def test_sigv4_federated_from_google_signs_lambda_and_bedrock(
    loop: LoopThread,
    cloud: Cloud,
    gce: GceMetadata,
    sts: Sts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both the HTTP signer and the boto3 client use the keys from AssumeRoleWithWebIdentity
    (no key in botocore's chain: a client that fell back to it could not sign)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    federated = {"federation": "google", "role_arn": ROLE}
    with (
        AuthenticatedUpstream(sigv4_check(cloud, "lambda", "eu-west-1")) as fn,
        AuthenticatedUpstream(sigv4_check(cloud, "bedrock", "eu-west-1")) as bedrock,
    ):
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bedrock.url)
        targets = {
            "fn": target(
                fn.url + "/v1",
                "lambda_url",
                {"scheme": "sigv4", "service": "lambda", **federated},
                region="eu-west-1",
            ),
            "br": target(
                bedrock.url,
                "bedrock",
                {"scheme": "sigv4", "service": "bedrock", **federated},
                region="eu-west-1",
                model="anthropic.claude-3-haiku",
            ),
        }
        router = serve(loop, cloud, targets, route=["fn"])
        assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
        router_br = serve(loop, cloud, {"br": targets["br"]})
        assert ask(router_br).json()["choices"][0]["message"]["content"] == ANSWER
        assert fn.refusals == []
        assert bedrock.refusals == []
        assert bedrock.calls[0].path == "/model/anthropic.claude-3-haiku/converse"
        assert bedrock.calls[0].headers["X-Amz-Security-Token"]
    assert {c.query["audience"] for c in gce.calls} == {"sts.amazonaws.com"}


@pytest.mark.parametrize(
    ("backend", "header", "expected_header", "expected_value"),
    [
        ("openai", "authorization", "Authorization", "Bearer sk-site"),
        ("openai", "x-api-key", "x-api-key", "sk-site"),
        ("azure_openai", "authorization", "api-key", "sk-site"),
        ("azure_openai", "api-key", "api-key", "sk-site"),
    ],
)
def test_api_key_in_the_header_the_auth_names(
    loop: LoopThread,
    cloud: Cloud,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    header: str,
    expected_header: str,
    expected_value: str,
) -> None:
    monkeypatch.setenv("SITE_KEY", "sk-site")

    with AuthenticatedUpstream(_key_check(expected_header, expected_value)) as up:
        scheme = {"scheme": "api_key", "secret": {"store": "env", "name": "SITE_KEY"}}
        url = up.url + ("/v1" if backend == "openai" else "")
        router = serve(loop, cloud, {"t": target(url, backend, {**scheme, "header": header})})
        assert ask(router).status_code == 200
        assert up.refusals == []


def test_upstream_refusing_the_routers_credentials_fails_over(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata
) -> None:
    """A target that answers 401/403 refused the router, not the caller: the next target
    serves; alone, the answer is a 503 naming it."""
    with (
        AuthenticatedUpstream(bearer_check(cloud, "google")) as vertex,
        AuthenticatedUpstream(lambda call: None) as backup,
    ):
        unauthenticated = target(vertex.url + "/v1/models", "vertex", {"scheme": "none"})
        only = serve(loop, cloud, {"v": unauthenticated})
        response = ask(only)
        assert response.status_code == 503
        assert vertex.refusals == [(401, "missing bearer token")]
        both = serve(
            loop, cloud, {"v": unauthenticated, "b": target(backup.url + "/v1", "openai", {})}
        )
        assert ask(both).json()["choices"][0]["message"]["content"] == ANSWER
        assert backup.accepted == 1


def test_id_token_for_another_audience_is_refused_and_fails_over(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata
) -> None:
    with AuthenticatedUpstream(lambda call: None) as up:
        up.check = bearer_check(cloud, up.url, id_token=True)
        scheme = {"scheme": "google_id_token", "audience": "https://other.run.app"}
        router = serve(loop, cloud, {"run": target(up.url + "/v1", "openai", scheme)})
        response = ask(router)
    assert response.status_code == 503
    assert up.refusals == [(403, f"audience 'https://other.run.app' is not {up.url!r}")]


def test_the_fakes_refuse_expired_and_forged_tokens(cloud: Cloud) -> None:
    token, _ = cloud.issue_bearer("google", 10)
    id_token = cloud.issue_id_token("aud", 10)
    assert cloud.bearer_problem(token, "google") is None
    assert cloud.id_token_problem(id_token, "aud") is None
    forged = id_token[:-4] + ("AAAA" if not id_token.endswith("AAAA") else "BBBB")
    assert cloud.id_token_problem(forged, "aud") == "bad signature"
    cloud.clock.advance(10)
    assert cloud.bearer_problem(token, "google") == "expired"
    assert cloud.id_token_problem(id_token, "aud") == "expired"


# --- refresh off the hot path ----------------------------------------------------------

_ACCESS = {"scheme": "google_access_token"}


def test_token_is_refreshed_in_the_background_before_expiry(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata
) -> None:
    with AuthenticatedUpstream(bearer_check(cloud, "google")) as up:
        router = serve(loop, cloud, {"v": target(up.url + "/v1/models", "vertex", _ACCESS)})
        assert ask(router).status_code == 200
        first = up.calls[-1].headers["Authorization"]
        cloud.clock.advance(79)  # before 80 % of the 100 s lifetime: nothing to do
        time.sleep(0.1)
        assert gce.count("/token") == 1
        cloud.clock.advance(2)  # past 80 %, 19 s before expiry
        wait_for(lambda: gce.count("/token") == 2)  # refreshed with no request in flight
        minted = len(gce.calls)
        assert ask(router).status_code == 200
        assert len(gce.calls) == minted  # the request itself minted nothing
        assert up.calls[-1].headers["Authorization"] != first
        assert up.refusals == []


def test_refresh_failure_keeps_the_token_until_it_expires_then_fails_over(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="router.credentials")
    with (
        AuthenticatedUpstream(bearer_check(cloud, "google")) as up,
        AuthenticatedUpstream(lambda call: None) as backup,
    ):
        targets = {
            "v": target(up.url + "/v1/models", "vertex", _ACCESS),
            "b": target(backup.url + "/v1", "openai", {}),
        }
        router = serve(loop, cloud, targets)
        gce.fail = True
        cloud.clock.advance(81)
        wait_for(lambda: gce.count("/token") == 2)  # one failed refresh
        cloud.clock.advance(5)  # the retry comes after a quarter of the time left
        wait_for(lambda: gce.count("/token") == 3)  # and failed again
        response = ask(router)  # 86 s into a 100 s token: still served by vertex
        assert response.json()["choices"][0]["message"]["content"] == ANSWER
        assert up.accepted == 1
        assert backup.accepted == 0
        failures = [r for r in caplog.records if "refreshing the credential failed" in r.message]
        assert len(failures) == 1  # logged once, not per attempt
        cloud.clock.advance(20)  # expired, the issuer still down
        response = ask(router)
        assert response.status_code == 200  # the backup served it
        assert up.accepted == 1  # the expired token was never sent
        assert backup.accepted == 1
        gce.fail = False
        wait_for(lambda: len(cloud.bearer) == 2, seconds=3)  # the issuer is back: minted
        assert ask(router).status_code == 200
        assert up.accepted == 2  # and the target serves again


def test_expired_token_on_a_sole_target_is_a_503_not_a_500(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata
) -> None:
    with AuthenticatedUpstream(bearer_check(cloud, "google")) as up:
        router = serve(loop, cloud, {"v": target(up.url + "/v1/models", "vertex", _ACCESS)})
        gce.fail = True
        cloud.clock.advance(101)
        response = ask(router)
        assert response.status_code == 503
        assert "credential" in response.json()["error"]["message"]
        assert up.calls == []


def test_failed_warm_up_mints_on_the_first_call(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata
) -> None:
    gce.fail = True
    with AuthenticatedUpstream(bearer_check(cloud, "google")) as up:
        router = serve(loop, cloud, {"v": target(up.url + "/v1/models", "vertex", _ACCESS)})
        assert gce.count("/token") == 1
        gce.fail = False
        assert ask(router).status_code == 200
        assert up.refusals == []


# --- secret stores and TLS -------------------------------------------------------------


def test_gcp_secret_manager_secret_feeds_an_api_key(
    loop: LoopThread, cloud: Cloud, gce: GceMetadata, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = {"projects/p1/secrets/site-key": "sk-gcp", "projects/p1/secrets/json": '{"k": "v"}'}
    with SecretManager(cloud, store) as manager:
        monkeypatch.setenv("INFERPLANE_SECRETMANAGER_URL", manager.url)
        assert (
            resolve_secret(
                SecretRef(store="gcp_secretmanager", name="projects/p1/secrets/json", key="k")
            )
            == "v"
        )
        with AuthenticatedUpstream(_key_check("Authorization", "Bearer sk-gcp")) as up:
            secret = {"store": "gcp_secretmanager", "name": "projects/p1/secrets/site-key"}
            router = serve(
                loop,
                cloud,
                {"t": target(up.url + "/v1", "openai", {"scheme": "api_key", "secret": secret})},
            )
            assert ask(router).status_code == 200
            assert up.refusals == []
        assert manager.calls[-1].path == "/v1/projects/p1/secrets/site-key/versions/latest:access"
        gce.fail = True  # no access token: a clear start-up error, not a silent empty key
        with pytest.raises(ConfigError, match="gcp_secretmanager:projects/p1/secrets/site-key"):
            resolve_secret(
                SecretRef(store="gcp_secretmanager", name="projects/p1/secrets/site-key")
            )


def test_azure_key_vault_secret(
    cloud: Cloud, identity: ManagedIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    with KeyVault(cloud, {"kv-prod/site-key": "sk-az"}) as vault:
        monkeypatch.setenv("INFERPLANE_KEYVAULT_URL", vault.url + "/{vault}")
        assert resolve_secret(SecretRef(store="azure_keyvault", name="kv-prod/site-key")) == "sk-az"
        assert identity.calls[-1].query["resource"] == "https://vault.azure.net"
        assert vault.calls[-1].query == {"api-version": "7.4"}
        with pytest.raises(ConfigError, match="SecretNotFound"):
            resolve_secret(SecretRef(store="azure_keyvault", name="kv-prod/other"))
        monkeypatch.setenv("IDENTITY_HEADER", "wrong")
        with pytest.raises(ConfigError, match=r"azure_keyvault:kv-prod/site-key.*401"):
            resolve_secret(SecretRef(store="azure_keyvault", name="kv-prod/site-key"))


@pytest.mark.parametrize(
    "name", ["evil.example#/x", "kv-prod", "kv/a/b/c", "projects/p/secrets/s", "a/s"]
)
def test_key_vault_names_are_checked_before_any_call(name: str) -> None:
    with pytest.raises(ConfigError, match="VAULT/SECRET"):
        resolve_secret(SecretRef(store="azure_keyvault", name=name))


@pytest.mark.parametrize("name", ["p/secrets/s", "projects/p/keys/s", "projects/p/secrets"])
def test_secret_manager_names_are_checked_before_any_call(name: str) -> None:
    with pytest.raises(ConfigError, match="projects/P/secrets/S"):
        resolve_secret(SecretRef(store="gcp_secretmanager", name=name))


def test_auth_ca_verifies_an_edge_site_against_its_own_ca(
    loop: LoopThread,
    cloud: Cloud,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ca_pem, server_tls = private_ca()
    monkeypatch.setenv("SITE_CA", ca_pem)
    monkeypatch.setenv("SITE_KEY", "sk-site")
    key = {"scheme": "api_key", "secret": {"store": "env", "name": "SITE_KEY"}}
    with AuthenticatedUpstream(_key_check("Authorization", "Bearer sk-site"), tls=server_tls) as up:
        assert up.url.startswith("https://")
        pinned = {**key, "ca": {"store": "env", "name": "SITE_CA"}}
        router = serve(loop, cloud, {"edge": target(up.url + "/v1", "openai", pinned)})
        assert ask(router).json()["choices"][0]["message"]["content"] == ANSWER
        assert streamed_text(ask(router, stream=True)) == ANSWER
        unpinned = serve(loop, cloud, {"edge": target(up.url + "/v1", "openai", key)})
        with caplog.at_level(logging.WARNING, logger="inferplane.router"):
            response = ask(unpinned)  # the system store does not know the site's CA
        assert response.status_code == 503
        # The client gets codes and a request id; the certificate error is in the log line.
        request_id = response.headers["x-request-id"]
        assert response.json()["error"]["message"].endswith(
            f"edge: upstream_unreachable; request id {request_id}"
        )
        logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
        assert len(logged) == 1
        assert "CERTIFICATE_VERIFY_FAILED" in logged[0]
        assert up.accepted == 2


def test_auth_ca_that_is_not_pem_is_a_start_up_error(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITE_CA", "not a certificate")
    spec = TargetConfig.model_validate(
        target("https://x", "openai", {"ca": {"store": "env", "name": "SITE_CA"}})
    )
    with pytest.raises(ConfigError, match=r"auth\.ca"):
        build_backend("edge", spec, BackendContext())


def _key_check(header: str, value: str) -> Callable[[HttpCall], tuple[int, str] | None]:
    def check(call: HttpCall) -> tuple[int, str] | None:
        sent = call.headers.get(header)
        if sent is None:
            return 401, "no key"
        return None if sent == value else (403, "wrong key")

    return check


# --- the cache alone ---------------------------------------------------------------------


def test_token_that_expired_while_frozen_is_minted_once_inline() -> None:
    """A Lambda environment runs no background task between invocations: a token that
    expired meanwhile, with no failed refresh, is minted on the next call; after a failed
    refresh an expired token is refused instead (the target fails over)."""
    clock = Clock()
    minted: list[str] = []
    fail = False

    def mint() -> Token[str]:
        if fail:
            raise IssuerError("issuer down")
        minted.append(f"t{len(minted)}")
        return Token(minted[-1], clock() + 100, clock())

    async def scenario() -> None:
        nonlocal fail
        cache: TokenCache[str] = TokenCache(mint, what="t", clock=clock, poll_s=1000)
        await cache.start()
        assert await cache.current() == "t0"
        clock.advance(150)  # frozen past expiry: the refresh loop never woke
        assert await cache.current() == "t1"
        fail = True
        clock.advance(150)
        with pytest.raises(CredentialsUnavailableError):
            await cache.current()  # the inline attempt failed ...
        with pytest.raises(CredentialsUnavailableError):
            await cache.current()  # ... and is not repeated per request
        assert minted == ["t0", "t1"]
        await cache.close()

    asyncio.run(scenario())


def test_an_issuer_stating_no_lifetime_is_not_hammered() -> None:
    clock = Clock()
    calls: list[float] = []

    def mint() -> Token[str]:
        calls.append(clock())
        return Token("t", clock(), clock())  # expires the moment it is issued

    async def scenario() -> None:
        cache: TokenCache[str] = TokenCache(mint, what="t", clock=clock, poll_s=0.01)
        await cache.start()
        await asyncio.sleep(0.3)
        await cache.close()

    asyncio.run(scenario())
    assert len(calls) == 1  # next attempt no sooner than a second later
