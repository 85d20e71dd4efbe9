"""The stage of a smoke run: a stack's RouterConfig with only its URLs/endpoints moved to
loopback fakes (one per URL target, one for the AWS APIs, the token issuers, a
redis-server when the state is Redis) and every secret it references provided. A
``lambda`` target (a function URL) runs its real Converse handler in front of a fake
Bedrock (``converse_function``)."""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from inferplane.router.auth import hash_key
from inferplane.router.config import KeyConfig, RouterConfig, SecretRef, TargetConfig
from inferplane.router.contract import CONFIG_ENV
from inferplane.smoke.converse_function import is_function_url, start_converse_function
from inferplane.smoke.credentials import Book
from inferplane.smoke.issuers import Issuers
from inferplane.smoke.redis import LocalRedis
from inferplane.smoke.server import LoopbackServer
from inferplane.smoke.targets import AwsApis, Recorder, TargetFake, secret_id
from inferplane.smoke.tls import TestCa, make_ca

__all__ = ["AWS_BACKENDS", "Stage", "rebase", "stage"]

AWS_BACKENDS = ("bedrock", "sagemaker")
"""Backends that reach their target through an AWS SDK endpoint, not a URL."""
AWS_ENDPOINT_ENV = (
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
)


def rebase(url: str, base: str) -> str:
    """``url`` with scheme and host:port of ``base``; path and query kept."""
    parts, new = urlsplit(url), urlsplit(base)
    return urlunsplit((new.scheme, new.netloc, parts.path, parts.query, parts.fragment))


@dataclass
class Stage:
    """The fakes, issuers and secrets of one smoke run."""

    config: RouterConfig
    """The rewritten config the router runs with."""
    env: dict[str, str]
    book: Book
    recorder: Recorder
    issuers: Issuers
    problems: list[str]
    keys: dict[str, str] = field(default_factory=dict)
    """Client key id -> the secret the smoke gave it (see ``stage``)."""


@dataclass
class _Staging:
    """What the stage gathers while it starts the fakes."""

    stack: ExitStack
    book: Book = field(default_factory=Book)
    recorder: Recorder = field(default_factory=Recorder)
    env: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    test_ca: TestCa | None = None
    _workdir: str | None = None

    def provide(self, ref: SecretRef, value: str) -> None:
        _provide(ref, value, self.env, self.book, self.problems)

    def aws_apis(self, config: RouterConfig) -> str:
        """One fake for the AWS APIs of the config's AWS targets; its URL."""
        aws_targets = {n: t for n, t in config.targets.items() if t.backend in AWS_BACKENDS}
        aws = AwsApis(self.book, aws_targets, self.recorder)
        aws.host_url = self.stack.enter_context(LoopbackServer(aws)).url
        return aws.host_url

    def url_target(self, name: str, target: TargetConfig) -> TargetConfig | None:
        """A fake for one URL target (TLS from the site's own CA when it names one); the
        target moved to it, or None (a problem noted) when it has no URL."""
        fake = TargetFake(self.book, {name: target}, self.recorder)
        tls = None
        if target.auth.ca is not None:  # the site's own CA: serve TLS signed by it
            self.test_ca = self.test_ca or make_ca()
            tls = self.test_ca.server
            self.provide(target.auth.ca, self.test_ca.ca_pem)
        server = self.stack.enter_context(LoopbackServer(fake, tls))
        fake.host_url = server.url
        if target.url is None:
            self.problems.append(
                f"target {name!r} ({target.backend}) has no url to point at a fake"
            )
            return None
        return target.model_copy(update={"url": rebase(target.url, server.url)})

    def url_targets(self, config: RouterConfig) -> dict[str, TargetConfig]:
        targets = dict(config.targets)
        for index, (name, target) in enumerate(config.targets.items()):
            if is_function_url(target):
                # A lambda target: its real handler, not a stand-in (converse_function).
                workdir = Path(self.workdir(), f"function-{index}")
                base = start_converse_function(
                    self.stack,
                    name,
                    target,
                    book=self.book,
                    recorder=self.recorder,
                    workdir=workdir,
                )
                targets[name] = target.model_copy(update={"url": rebase(str(target.url), base)})
            elif target.backend not in AWS_BACKENDS:
                moved = self.url_target(name, target)
                targets[name] = moved or target
        return targets

    def workdir(self) -> str:
        """A directory that lives as long as the stage."""
        if self._workdir is None:
            temporary = tempfile.TemporaryDirectory(prefix="inferplane-smoke-stage-")
            self._workdir = self.stack.enter_context(temporary)
        return self._workdir

    def target_secrets(self, config: RouterConfig) -> None:
        for target in config.targets.values():
            if target.auth.secret is not None:
                value = secrets.token_urlsafe(24)
                self.book.api_keys[secret_id(target.auth.secret)] = value
                self.provide(target.auth.secret, value)

    def redis(self, config: RouterConfig) -> None:
        if config.state.backend == "redis" and config.state.url is not None:
            self.provide(config.state.url, self.stack.enter_context(LocalRedis()).url)

    def aws_env(self, aws_url: str, issuers: Issuers, issuer_url: str) -> None:
        key_id, key = self.book.aws_key()
        self.env.update(
            {
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": key.secret,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": "127.0.0.1,localhost",
                **dict.fromkeys(AWS_ENDPOINT_ENV, aws_url),
                **issuers.env(issuer_url),
            }
        )


def _rekeyed(config: RouterConfig) -> tuple[dict[str, str], tuple[KeyConfig, ...]]:
    """Each client key with a fresh secret (a new salt and hash); the secrets by key id."""
    keys: dict[str, str] = {}
    client_keys = list(config.keys)
    for i, client in enumerate(client_keys):
        keys[client.id] = "smoke-key-" + secrets.token_urlsafe(24)
        salt = secrets.token_hex(8)
        hashed = {"salt": salt, "sha256": hash_key(keys[client.id], salt)}
        client_keys[i] = client.model_copy(update=hashed)
    return keys, tuple(client_keys)


@contextmanager
def stage(config: RouterConfig, *, rekey: bool = True) -> Iterator[Stage]:
    """Start a fake per URL target, one for the AWS APIs, the issuers and (when the state
    is Redis) a redis-server; provision every secret the config references.

    The stack's client keys are stored as hashes whose secrets nobody has, so with
    ``rekey`` each key keeps its id, data classes, routes, rate limit and team and gets a
    fresh secret (a new salt and hash): the only change besides URLs and endpoints."""
    with ExitStack() as stack:
        staging = _Staging(stack)
        issuers = Issuers(staging.book)
        issuer_url = stack.enter_context(LoopbackServer(issuers)).url
        aws_url = staging.aws_apis(config)
        targets = staging.url_targets(config)
        staging.target_secrets(config)
        staging.redis(config)
        staging.aws_env(aws_url, issuers, issuer_url)
        keys, client_keys = _rekeyed(config) if rekey else ({}, tuple(config.keys))
        moved = {"targets": targets, "keys": client_keys}
        rewritten = RouterConfig.from_json(config.model_copy(update=moved).to_json())
        staging.env[CONFIG_ENV] = rewritten.to_json()
        book, recorder, problems = staging.book, staging.recorder, staging.problems
        yield Stage(rewritten, staging.env, book, recorder, issuers, problems, keys)


def _provide(
    ref: SecretRef, value: str, env: dict[str, str], book: Book, problems: list[str]
) -> None:
    text = json.dumps({ref.key: value}) if ref.key else value
    if ref.store == "env":
        env[ref.name] = text
    elif ref.store == "aws_secretsmanager":
        book.secrets[ref.name] = text
    else:
        problems.append(f"secret {secret_id(ref)}: the smoke has no fake {ref.store} yet")
