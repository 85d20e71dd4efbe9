"""The Pulumi engine's side of the analyzer protocol, for the CrossGuard pack in policies/.

Reproduces what ``pulumi preview --policy-pack policies`` does with a Python policy pack
(pulumi/pulumi, sdk/go/common/resource/plugin/analyzer_plugin.go ``NewPolicyAnalyzer``,
sdk/python/cmd/pulumi-language-python/main.go ``RunPlugin``, sdk/policy_proxy.go,
pkg/engine/update.go ``LoadLocalPolicyPackAnalyzers``, pkg/resource/analyzer/config.go
``ReconcilePolicyPackConfig``, pkg/resource/deploy/step_generator.go ``analyzeAll`` /
``AnalyzeResources``):

1. the language host starts ``<venv python> -u -m pulumi.policy <engine address> <pack dir>``
   in the pack directory, with the stack's config as ``PULUMI_CONFIG`` (JSON, key -> string)
   and ``PULUMI_PROJECT/STACK/ORGANIZATION/DRY_RUN``, and reads the first stdout line: the
   port of the pack's Analyzer gRPC server;
2. the language host's proxy answers the engine's ``Handshake`` itself and forwards
   ``ConfigureStack`` (stack, project, config, secret keys, tags) to the pack;
3. the engine calls ``GetAnalyzerInfo``, reconciles each policy's config (the policy's own
   enforcement, then the pack's ``initialConfig``, then ``--policy-pack-config``: ``all``
   first, then per policy) and sends it whole with ``Configure``;
4. ``Analyze`` once per registered resource with its inputs (``KeepUnknowns``,
   ``KeepSecrets``), its options and its provider; ``AnalyzeStack`` once with every resource
   (outputs; a component's are its registered outputs), parent and dependencies.

Resource diagnostics carry no URN: the engine attributes them to the analyzed resource.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc, plugin_pb2

from inferplane.plan.graph import Graph
from inferplane.plan.graph import Resource as GraphResource
from inferplane.plan.wire import SECRET, UNKNOWN

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
PROJECT = "inferplane"
ORGANIZATION = "organization"

# sdk/go/common/resource/plugin/rpc.go: the wire forms MarshalProperties keeps.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# The offline plan masks secrets; the engine sends the decrypted value in a secret envelope.
SECRET_PLAINTEXT = "plaintext-secret-the-engine-would-send"

_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_OF = {v: k for k, v in _LEVELS.items()}


# --- the engine's own gRPC service (the pack gets its address) ----------------------------


class _Engine(engine_pb2_grpc.EngineServicer):
    """Enough of the engine for a policy pack: it may log through it."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.logs.append(request.message)
        return empty_pb2.Empty()


@dataclass
class EngineServer:
    server: grpc.Server
    engine: _Engine
    address: str

    @classmethod
    def start(cls) -> EngineServer:
        engine = _Engine()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        return cls(server, engine, f"127.0.0.1:{port}")

    def stop(self) -> None:
        self.server.stop(0)


# --- launching the pack -------------------------------------------------------------------


def stack_config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack config as the engine holds it: every value a string (objects as JSON)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


@dataclass
class PackProcess:
    """One running pack, started and configured as ``pulumi preview`` does."""

    process: subprocess.Popen[bytes]
    channel: grpc.Channel
    client: analyzer_pb2_grpc.AnalyzerStub
    stack: str
    info: analyzer_pb2.AnalyzerInfo | None = None
    stderr_lines: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    @classmethod
    def start(
        cls,
        engine_address: str,
        stack: str,
        config: Mapping[str, Any],
        secret_keys: Sequence[str] = (),
        extra_env: Mapping[str, str] | None = None,
        python: str | None = None,
    ) -> PackProcess:
        strings = stack_config_strings(config)
        env = dict(os.environ)
        # The test runner's own settings must not leak into the pack.
        for name in ("PYTHONPATH", "INFERPLANE_POLICY_CONFIG", "PULUMI_CONFIG"):
            env.pop(name, None)
        env.update(
            PULUMI_ORGANIZATION=ORGANIZATION,
            PULUMI_PROJECT=PROJECT,
            PULUMI_STACK=stack,
            PULUMI_DRY_RUN="true",
            PULUMI_CONFIG=json.dumps(strings),
        )
        env.update(extra_env or {})
        venv = virtualenv(python)
        env = activate_virtualenv(env, venv)
        # pulumi-language-python RunPlugin for kind=analyzer: `-u -m pulumi.policy`, the
        # engine address, then the pack's directory last; cwd is the pack's directory.
        argv = [str(venv / "bin" / "python"), "-u", "-m", "pulumi.policy", engine_address]
        argv.append(str(PACK_DIR))
        process = subprocess.Popen(
            argv, cwd=PACK_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert process.stdout is not None
        assert process.stderr is not None
        stderr_lines: list[str] = []
        drain = threading.Thread(target=_drain, args=(process.stderr, stderr_lines), daemon=True)
        drain.start()
        port = _read_port(process, stderr_lines, drain)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        pack = cls(process, channel, analyzer_pb2_grpc.AnalyzerStub(channel), stack)
        pack.stderr_lines, pack.drain = stderr_lines, drain
        # The proxy forwards the stack configuration before anything else.
        pack.client.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack,
                project=PROJECT,
                organization=ORGANIZATION,
                dry_run=True,
                config=strings,
                config_secret_keys=sorted(secret_keys),
                tags={},
            )
        )
        return pack

    def analyzer_info(self) -> analyzer_pb2.AnalyzerInfo:
        if self.info is None:
            self.info = self.client.GetAnalyzerInfo(empty_pb2.Empty())
        return self.info

    def configure(self, pack_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What the engine does after GetAnalyzerInfo: reconcile, then ``Configure``.
        ``pack_config`` is the ``--policy-pack-config`` file's content. Returns the
        reconciled config (policy name -> {enforcementLevel, properties})."""
        reconciled = reconcile(self.analyzer_info(), pack_config or {})
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, value in reconciled.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_OF[value["enforcementLevel"]]
            if value["properties"]:
                entry.properties.update(value["properties"])
        self.client.Configure(request)
        return reconciled

    def plugin_version(self) -> str:
        info: plugin_pb2.PluginInfo = self.client.GetPluginInfo(empty_pb2.Empty())
        return str(info.version)

    def analyze(self, graph: Graph, config: Mapping[str, Any]) -> list[Diagnostic]:
        """Every diagnostic of one preview of ``graph``: Analyze per resource, then
        AnalyzeStack; a resource diagnostic is attributed to the analyzed resource."""
        found: list[Diagnostic] = []
        resources = engine_resources(graph, config)
        for resource in resources:
            request = analyzer_pb2.AnalyzeRequest(
                type=resource.type,
                properties=resource.properties,
                urn=resource.urn,
                name=resource.name,
                options=resource.options,
            )
            if resource.provider is not None:
                request.provider.CopyFrom(resource.provider)
            response = self.client.Analyze(request)
            found += [Diagnostic.of(d, resource.urn) for d in response.diagnostics]
        stack_request = analyzer_pb2.AnalyzeStackRequest(
            resources=[r.for_stack() for r in resources]
        )
        response = self.client.AnalyzeStack(stack_request)
        found += [Diagnostic.of(d, None) for d in response.diagnostics]
        return found

    def stop(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.drain is not None:
            self.drain.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def pack_runtime() -> dict[str, Any]:
    """``runtime`` of policies/PulumiPolicy.yaml (name and options)."""
    data = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    runtime = data["runtime"]
    return runtime if isinstance(runtime, dict) else {"name": runtime, "options": {}}


def virtualenv(python: str | None = None) -> Path:
    """The virtualenv the language host runs the pack with: PulumiPolicy.yaml's
    ``virtualenv`` option, relative to the pack directory (the project's ``.venv``). A git
    worktree has no ``.venv`` of its own; then the one running the tests."""
    if python is not None:
        return Path(python).parent.parent
    configured: Path = (PACK_DIR / pack_runtime()["options"]["virtualenv"]).resolve()
    if (configured / "bin" / "python").exists():
        return configured
    return Path(sys.prefix)


def activate_virtualenv(env: Mapping[str, str], venv: Path) -> dict[str, str]:
    """sdk/python/toolchain ActivateVirtualEnv: the venv's bin first on PATH, PYTHONHOME
    unset, VIRTUAL_ENV set."""
    result = {k: v for k, v in env.items() if k.upper() not in ("PYTHONHOME", "VIRTUAL_ENV")}
    result["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}".rstrip(os.pathsep)
    result["VIRTUAL_ENV"] = str(venv)
    return result


def _drain(stream: IO[bytes], into: list[str]) -> None:
    for line in stream:
        into.append(line.decode(errors="replace").rstrip())


class PackDidNotStart(Exception):
    """The pack exited before printing its port (the engine: "policy pack failed to
    start"), with what it wrote to stderr."""

    def __init__(self, line: str, returncode: int | None, stderr: str) -> None:
        super().__init__(f"the pack printed {line!r}, exit {returncode}:\n{stderr}")
        self.returncode, self.stderr = returncode, stderr


def _read_port(
    process: subprocess.Popen[bytes], stderr_lines: list[str], drain: threading.Thread
) -> int:
    # The engine reads one line from stdout and requires it to be a port number.
    assert process.stdout is not None
    assert process.stderr is not None
    line = process.stdout.readline().decode(errors="replace").strip()
    if not line.isdigit():
        process.wait(timeout=10)
        drain.join(timeout=10)
        process.stdout.close()
        process.stderr.close()
        raise PackDidNotStart(line, process.returncode, "\n".join(stderr_lines))
    return int(line)


def reconcile(info: analyzer_pb2.AnalyzerInfo, pack_config: Mapping[str, Any]) -> dict[str, Any]:
    """pkg/resource/analyzer/config.go ReconcilePolicyPackConfig: defaults from each
    policy's info (enforcement, schema defaults), then the pack's initialConfig, then the
    user's pack config; ``all`` sets every policy's enforcement before per-policy keys."""
    result: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        defaults = {k: v["default"] for k, v in schema.items() if "default" in v}
        result[policy.name] = {
            "enforcementLevel": _LEVELS[policy.enforcementLevel],
            "properties": defaults,
        }
    initial = {
        name: _user_entry(
            {
                "enforcementLevel": _LEVELS[entry.enforcementLevel],
                **json_format.MessageToDict(entry.properties),
            }
        )
        for name, entry in info.initialConfig.items()
    }
    for layer in (initial, {k: _user_entry(v) for k, v in pack_config.items()}):
        everyone = layer.get("all")
        if everyone is not None and everyone["enforcementLevel"]:
            for value in result.values():
                value["enforcementLevel"] = everyone["enforcementLevel"]
        for name, given in layer.items():
            value = result.setdefault(name, {"enforcementLevel": "", "properties": {}})
            if given["enforcementLevel"]:
                value["enforcementLevel"] = given["enforcementLevel"]
            value["properties"].update(given["properties"])
    return result


def _user_entry(value: Any) -> dict[str, Any]:
    # A policy's config is an enforcement level string or an object with optional
    # "enforcementLevel" and properties (parsePolicyPackConfig).
    if isinstance(value, str):
        return {"enforcementLevel": value, "properties": {}}
    props = dict(value)
    level = props.pop("enforcementLevel", "")
    return {"enforcementLevel": level, "properties": props}


# --- the graph as the engine sends it -----------------------------------------------------


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation as the engine reports it."""

    policy: str
    urn: str | None
    message: str
    enforcement: str

    @classmethod
    def of(cls, d: analyzer_pb2.AnalyzeDiagnostic, analyzed: str | None) -> Diagnostic:
        return cls(d.policyName, d.urn or analyzed, d.message, _LEVELS[d.enforcementLevel])


@dataclass
class EngineResource:
    type: str
    urn: str
    name: str
    properties: struct_pb2.Struct
    options: analyzer_pb2.AnalyzerResourceOptions
    provider: analyzer_pb2.AnalyzerProviderResource | None
    parent: str
    dependencies: list[str]
    outputs: struct_pb2.Struct | None = None
    """What AnalyzeStack sees when it differs from the inputs (components, the stack)."""

    def for_stack(self) -> analyzer_pb2.AnalyzerResource:
        resource = analyzer_pb2.AnalyzerResource(
            type=self.type,
            urn=self.urn,
            name=self.name,
            properties=self.properties if self.outputs is None else self.outputs,
            options=self.options,
            parent=self.parent,
            dependencies=self.dependencies,
        )
        if self.provider is not None:
            resource.provider.CopyFrom(self.provider)
        return resource


def wire_value(value: Any) -> Any:
    """A plan value in the engine's wire form: ``[unknown]`` -> the unknown sentinel,
    ``[secret]`` -> a secret envelope around its (decrypted) value."""
    if value == UNKNOWN:
        return UNKNOWN_VALUE
    if value == SECRET:
        return {SIG_KEY: SECRET_SIG, "value": SECRET_PLAINTEXT}
    if isinstance(value, Mapping):
        return {str(k): wire_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_value(v) for v in value]
    return value


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    # Struct has no null-free form for None inside lists; the engine drops null properties.
    result.update({k: wire_value(v) for k, v in values.items() if v is not None})
    return result


def _package(type_: str) -> str:
    return type_.split(":", 1)[0]


def _plugin_version(package: str) -> str | None:
    # The engine names a default provider after its plugin's version (default_7_51_1).
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pulumi_" + package.replace("-", "_"))
    except PackageNotFoundError:
        return None


def default_providers(
    graph: Graph, config: Mapping[str, Any]
) -> dict[str, analyzer_pb2.AnalyzerProviderResource]:
    """The engine's default provider per package (``pulumi:providers:<pkg>::default``),
    configured from the stack config keys of that package."""
    providers: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}
    strings = stack_config_strings(config)
    for resource in graph.resources:
        package = _package(resource.type)
        if not resource.custom or resource.provider or package in providers:
            continue
        props = {k.split(":", 1)[1]: v for k, v in strings.items() if k.startswith(f"{package}:")}
        version = _plugin_version(package)
        if version:
            props["version"] = version
        name = f"default_{version.replace('.', '_')}" if version else "default"
        providers[package] = analyzer_pb2.AnalyzerProviderResource(
            type=f"pulumi:providers:{package}",
            urn=f"urn:pulumi:{graph.stack}::{PROJECT}::pulumi:providers:{package}::{name}",
            name=name,
            properties=struct(props),
        )
    return providers


def engine_resources(graph: Graph, config: Mapping[str, Any]) -> list[EngineResource]:
    """The resources of one preview of ``graph`` in registration order: the root stack,
    each default provider before its first user, then the program's resources."""
    providers = default_providers(graph, config)
    explicit = {
        r.urn: r for r in graph.resources if r.type.startswith("pulumi:providers:")
    }  # fmt: skip
    root = _root_urn(graph)
    result: list[EngineResource] = [
        EngineResource(
            "pulumi:pulumi:Stack",
            root,
            root.rsplit("::", 1)[1],
            struct({}),
            analyzer_pb2.AnalyzerResourceOptions(),
            None,
            "",
            [],
            struct(graph.stack_outputs),
        )
    ]
    announced: set[str] = set()
    for resource in graph.resources:
        provider = _provider_of(resource, providers, explicit)
        if (
            provider is not None
            and provider.urn not in announced
            and provider.name.startswith("default")
        ):
            announced.add(provider.urn)
            result.append(
                EngineResource(
                    provider.type,
                    provider.urn,
                    provider.name,
                    provider.properties,
                    analyzer_pb2.AnalyzerResourceOptions(),
                    None,
                    "",
                    [],
                )
            )
        # Analyze sees the inputs; AnalyzeStack the outputs, which for a preview of a
        # create are a custom resource's inputs (computed outputs unknown), and for a
        # component its registered outputs.
        outputs = None if resource.custom else struct(resource.outputs)
        result.append(
            EngineResource(
                resource.type,
                resource.urn,
                resource.urn.rsplit("::", 1)[1],
                struct(resource.inputs),
                analyzer_pb2.AnalyzerResourceOptions(
                    parent=resource.parent or "",
                    customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
                ),
                provider,
                resource.parent or "",
                list(resource.dependencies),
                outputs,
            )
        )
    return result


def _root_urn(graph: Graph) -> str:
    for resource in graph.resources:
        if resource.parent and "pulumi:pulumi:Stack::" in resource.parent:
            return resource.parent
    return f"urn:pulumi:{graph.stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{graph.stack}"


def _provider_of(
    resource: GraphResource,
    defaults: Mapping[str, analyzer_pb2.AnalyzerProviderResource],
    explicit: Mapping[str, GraphResource],
) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not resource.custom or resource.type.startswith("pulumi:providers:"):
        return None
    if resource.provider:
        ref = explicit.get(resource.provider.rsplit("::", 1)[0])
        if ref is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=ref.type, urn=ref.urn, name=ref.name, properties=struct(ref.inputs)
        )
    return defaults.get(_package(resource.type))


def iter_stack_files() -> Iterator[str]:
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        yield path.name.removeprefix("Pulumi.").removesuffix(".yaml")
