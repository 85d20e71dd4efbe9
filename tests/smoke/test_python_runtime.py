"""The fake Lambda Python runtime and function URL behave like Lambda where a handler can
tell: only the zip and the runtime's boto3 importable, Lambda's event and context, an
import error or exception reported as Lambda reports it, a timeout ending the environment
(the next invocation starts a fresh one), and the function URL's response mapping."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from inferplane.smoke.function_url import FunctionUrl, function_url_reply
from inferplane.smoke.python_runtime import RUNTIME_PACKAGES, PythonFunction
from inferplane.smoke.server import Call, Reply

HANDLERS = """
import json, os, sys, time
STARTED = time.time()

def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event, "request_id": context.aws_request_id,
                                "remaining": context.get_remaining_time_in_millis(),
                                "started": STARTED, "path": sys.path[:2],
                                "model": os.environ.get("MODEL_ID")})}

def imports(event, context):
    import importlib
    found = {}
    for name in event["names"]:
        try:
            importlib.import_module(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return found

def sleeps(event, context):
    time.sleep(event["seconds"])
    return {"statusCode": 204}

def fails(event, context):
    raise KeyError("no such thing")
"""


def _function(tmp_path: Path, handler: str, timeout_s: float = 10.0) -> PythonFunction:
    task = tmp_path / "task"
    task.mkdir(exist_ok=True)
    (task / "app.py").write_text(HANDLERS)
    env = {"MODEL_ID": "m", "AWS_REGION": "eu-west-1"}
    return PythonFunction(task, handler, env, tmp_path / "env", timeout_s=timeout_s)


def _invoke(function: PythonFunction, event: dict[str, Any]) -> tuple[Any, str | None]:
    return function.invoke(event)


def test_the_handler_sees_the_task_root_first_and_the_functions_environment(
    tmp_path: Path,
) -> None:
    with _function(tmp_path, "app.echo") as function:
        result, error = _invoke(function, {"x": 1})
    assert error is None
    body = json.loads(result["body"])
    assert body["event"] == {"x": 1}
    assert body["path"] == [str(tmp_path / "task"), str(tmp_path / "env" / "runtime")]
    assert body["model"] == "m"
    assert 0 < body["remaining"] <= 10_000
    assert len(body["request_id"]) == 36


def test_only_the_runtimes_boto3_and_the_zip_are_importable(tmp_path: Path) -> None:
    names = [*RUNTIME_PACKAGES, "pydantic", "orjson", "inferplane", "router", "app"]
    with _function(tmp_path, "app.imports") as function:
        result, error = _invoke(function, {"names": names})
    assert error is None
    assert {name for name, found in result.items() if found} == {
        name for name in RUNTIME_PACKAGES if name != "six" or result["six"]
    } | {"app"}


def test_errors_are_reported_as_lambda_reports_them(tmp_path: Path) -> None:
    with _function(tmp_path, "app.fails") as function:
        assert _invoke(function, {}) == (None, "KeyError: 'no such thing'")
    with _function(tmp_path, "missing.handler") as function:
        result, error = _invoke(function, {})
    assert result is None
    assert error == "Runtime.ImportModuleError: No module named 'missing'"


def test_a_timeout_ends_the_environment_and_the_next_call_starts_a_fresh_one(
    tmp_path: Path,
) -> None:
    with _function(tmp_path, "app.sleeps", timeout_s=0.5) as function:
        assert _invoke(function, {"seconds": 30}) == (None, "Task timed out after 0.50 seconds")
        # The init phase is not part of the function's timeout: a cold start fits.
        assert _invoke(function, {"seconds": 0}) == ({"statusCode": 204}, None)
    with _function(tmp_path, "app.echo") as function:
        first = json.loads(_invoke(function, {})[0]["body"])["started"]
        assert json.loads(_invoke(function, {})[0]["body"])["started"] == first  # warm


@pytest.mark.parametrize(
    ("result", "reply"),
    [
        ({"ok": True}, Reply(200, "application/json", b'{"ok": true}')),
        (
            {
                "statusCode": 201,
                "headers": {"X-A": "b", "Content-Type": "text/plain"},
                "body": "hi",
            },
            Reply(201, "text/plain", b"hi", {"x-a": "b"}),
        ),
        (
            {
                "statusCode": 200,
                "body": base64.b64encode(b"\x00\x01").decode(),
                "isBase64Encoded": True,
            },
            Reply(200, "application/json", b"\x00\x01"),
        ),
    ],
)
def test_the_function_url_maps_the_handlers_result(result: Any, reply: Reply) -> None:
    assert function_url_reply(result) == reply


def test_the_function_url_sends_a_payload_2_0_event(tmp_path: Path) -> None:
    with _function(tmp_path, "app.echo") as function:
        url = FunctionUrl(
            function, lambda call: None, url_id="abc123", region="eu-west-1", account="0" * 12
        )
        call = Call("POST", "/v1/x?a=1", {"content-type": "application/json"}, b'{"q": 1}')
        reply = url(call)
        binary = url(Call("POST", "/b", {"content-type": "application/octet-stream"}, b"\xff"))
    assert reply.status == 200
    event = json.loads(reply.body)["event"]
    assert (event["version"], event["rawPath"], event["rawQueryString"]) == ("2.0", "/v1/x", "a=1")
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["domainName"] == "abc123.lambda-url.eu-west-1.on.aws"
    assert (event["body"], event["isBase64Encoded"]) == ('{"q": 1}', False)
    raw = json.loads(binary.body)["event"]
    assert (raw["body"], raw["isBase64Encoded"]) == ("/w==", True)


def test_a_refused_call_never_reaches_the_function(tmp_path: Path) -> None:
    with _function(tmp_path, "app.fails") as function:
        url = FunctionUrl(
            function, lambda call: "unsigned", url_id="a", region="eu-west-1", account="0" * 12
        )
        reply, why = url.respond(Call("POST", "/", {}, b""))
        assert function.log_tail() == ""  # the runtime never started
    assert (reply.status, json.loads(reply.body), why) == (
        403,
        {"Message": "Forbidden"},
        "unsigned",
    )
