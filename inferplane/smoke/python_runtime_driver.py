"""The invoke loop of the fake Lambda managed Python runtime (``python_runtime``): run by an
isolated interpreter (``-I -S``: no site-packages, no PYTHONPATH, not even this file's
folder), it imports ``$_HANDLER`` from ``$LAMBDA_TASK_ROOT`` as Lambda's ``bootstrap``
does, with ``$LAMBDA_RUNTIME_DIR`` (the runtime's boto3) after it on ``sys.path``, then
answers one invocation per stdin line with one stdout line (after one line saying the
init phase is over).

    in:  {"event": {...}, "request_id": "...", "deadline_ms": 1700000000000}
    out: {"result": ...}  or  {"error": {"errorType": "...", "errorMessage": "..."}}

Standard library only. The handler's own prints and tracebacks go to stderr (the
function's log), never into the protocol."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method of Lambda's context object a handler may read."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = os.environ.get("SMOKE_FUNCTION_ARN", "")
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(exc: BaseException, kind: str | None = None) -> dict[str, Any]:
    traceback.print_exception(exc)
    return {"error": {"errorType": kind or type(exc).__name__, "errorMessage": str(exc)}}


def main() -> None:
    sys.path[:0] = [os.environ["LAMBDA_TASK_ROOT"], os.environ["LAMBDA_RUNTIME_DIR"]]
    out = sys.stdout
    sys.stdout = sys.stderr
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    handler: Any = None
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), function_name)
    except Exception as exc:  # answered on every invocation, as Lambda does
        init_error = _error(exc, "Runtime.ImportModuleError")
    out.write(json.dumps({"initialised": init_error is None}) + "\n")  # the init phase is over
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        answer = init_error
        if answer is None:
            context = LambdaContext(request["request_id"], request["deadline_ms"])
            try:
                answer = {"result": handler(request["event"], context)}
            except Exception as exc:
                answer = _error(exc)
        try:
            text = json.dumps(answer)
        except (TypeError, ValueError) as exc:
            text = json.dumps(_error(exc, "Runtime.MarshalError"))
        out.write(text + "\n")
        out.flush()


if __name__ == "__main__":
    main()
