"""The buffered Lambda path's driver (tests/support/lambda_runtime.py ``BufferedRuntime``;
no deployment uses it: the function runs ``run.sh`` under the Lambda Web Adapter). A
stand-in for Lambda's function-URL front end: run by a clean interpreter next to an
unpacked deployment zip, it reads one function-URL event (payload format 2.0) per
stdin line, invokes ``lambda_entry.handler`` and writes its result as one stdout line.

    python -I lambda_handler_driver.py TASK_ROOT

Standard library only; ``TASK_ROOT`` (Lambda's ``/var/task``) is the only package path,
so the router runs with exactly what the zip ships."""

from __future__ import annotations

import importlib
import json
import sys
import traceback


def main() -> None:
    root = sys.argv[1]
    sys.path[:] = [root] + [p for p in sys.path if "site-packages" not in p and p != ""]
    lambda_entry = importlib.import_module("lambda_entry")

    assert str(lambda_entry.__file__).startswith(root), lambda_entry.__file__
    out = sys.stdout
    sys.stdout = sys.stderr  # the router's own prints must not corrupt the protocol
    for line in sys.stdin:
        try:
            result = lambda_entry.handler(json.loads(line), None)
        except Exception:  # Lambda would answer 502 and log the traceback
            traceback.print_exc()
            result = {"statusCode": 502, "headers": {}, "body": "handler raised"}
        out.write(json.dumps(result) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
