"""A Lambda target's function (and a Lambda-hosted router) is Active and its last update
succeeded."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.aws import error_code
from inferplane.preflight.context import Subject
from inferplane.preflight.result import CheckResult
from inferplane.stackoutputs import ROUTER_FUNCTION
from inferplane.verify.context import VerifyContext

__all__ = ["NAME", "applies", "run"]

NAME = "lambda-function"


def applies(ctx: VerifyContext, subject: Subject) -> bool:
    return subject.kind in ("lambda", "router:lambda")


def _function_name(ctx: VerifyContext, subject: Subject) -> str | None:
    if subject.kind == "router:lambda":
        return ctx.outputs.router_function
    outputs = ctx.outputs.targets.get(subject.name, {})
    name = outputs.get("function_name") or outputs.get("endpoint_name")
    return str(name) if name else None


def run(ctx: VerifyContext, subject: Subject) -> Iterator[CheckResult]:
    function = _function_name(ctx, subject)
    if function is None:
        key = ROUTER_FUNCTION if subject.kind == "router:lambda" else "endpoint_name"
        yield CheckResult(NAME, subject.name, "could-not-check", f"the outputs have no {key}")
        return
    try:
        reply = ctx.aws("lambda", str(subject.region), "get_function", FunctionName=function)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            yield CheckResult(NAME, subject.name, "fail", f"function {function} does not exist")
            return
        raise
    config = reply["Configuration"]
    state = config.get("State", "Active")
    update = config.get("LastUpdateStatus", "Successful")
    if state == "Active" and update == "Successful":
        yield CheckResult(NAME, subject.name, "pass", f"{function} is Active")
        return
    reason = config.get("StateReason") or config.get("LastUpdateStatusReason") or ""
    yield CheckResult(
        NAME,
        subject.name,
        "fail",
        f"{function} is {state} (last update {update})" + (f": {reason}" if reason else ""),
    )
