#!/bin/sh
# The router's Lambda handler under the AWS Lambda Web Adapter (components/aws/
# web_adapter.py): the layer's /opt/bootstrap executes $LAMBDA_TASK_ROOT/$_HANDLER, this
# file, as the function's runtime process. It starts the same aiohttp server as every
# other platform on $AWS_LWA_PORT, loopback only: the adapter is its only client.
# Config: INFERPLANE_ROUTER_CONFIG, else the router.json bundled next to this file.
set -eu
cd "$LAMBDA_TASK_ROOT"
export PYTHONPATH="$LAMBDA_TASK_ROOT"
if [ -z "${INFERPLANE_ROUTER_CONFIG:-}" ] && [ -f router.json ]; then
    set -- --config "$LAMBDA_TASK_ROOT/router.json"
fi
exec python3 -m router --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}" "$@"
