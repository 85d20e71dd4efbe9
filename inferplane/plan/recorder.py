"""The mock engine that records: a MockMonitor subclass that keeps every RegisterResource
(type, name, parent, provider, dependencies, inputs) and every invoke, in order."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2

from inferplane.plan.computed import computed_outputs, invoke_result
from inferplane.plan.graph import Graph, Invoke, Resource
from inferplane.plan.wire import plain

__all__ = ["PlanMocks", "RecordingMonitor"]


_MISSING = object()


class PlanMocks(Mocks):
    """Answers the program like an engine after a successful create."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", self.new_resource_state(args.typ, args.name, dict(args.inputs))

    def new_resource_state(self, type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return computed_outputs(type_, name, inputs, self.default_region)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return invoke_result(args.token, dict(args.args)), []


class RecordingMonitor(MockMonitor):
    """A MockMonitor that writes each registration into ``graph``."""

    mocks: PlanMocks

    def __init__(self, mocks: PlanMocks, graph: Graph) -> None:
        super().__init__(mocks)
        self.graph = graph
        self._by_urn: dict[str, Resource] = {}

    def RegisterResource(self, request: Any) -> Any:
        # Answered here rather than by MockMonitor, which deserializes the inputs and
        # serializes the state again through the SDK's async machinery: the request's own
        # Struct, plus the computed outputs, is the state. That halves a plan's time.
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = plain(request.object)
        resource = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            provider=request.provider or None,
            dependencies=sorted(set(request.dependencies)),
            inputs=inputs,
            custom=bool(request.custom),
        )
        self.graph.resources.append(resource)
        self._by_urn[urn] = resource
        state = struct_pb2.Struct()
        state.CopyFrom(request.object)
        computed = self.mocks.new_resource_state(request.type, request.name, inputs)
        # Inputs a create completes (an identity's principal ID) are replaced too.
        state.update({k: v for k, v in computed.items() if inputs.get(k, _MISSING) != v})
        resource_id = f"{request.name}-id" if request.custom else ""
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = plain(request.outputs)
        resource = self._by_urn.get(request.urn)
        if resource is not None:
            resource.outputs = outputs
        elif "::pulumi:pulumi:Stack::" in request.urn:
            self.graph.stack_outputs = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:
        self.graph.invokes.append(
            Invoke(request.tok, plain(request.args), request.provider or None)
        )
        return super().Invoke(request)  # type: ignore[no-untyped-call]
