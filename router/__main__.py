"""``python -m router --config FILE --host HOST --port PORT [--tls-cert PEM --tls-key PEM]
[--workers N [--allow-memory-state]]``"""

from __future__ import annotations

import argparse
import sys

from router.errors import RouterError
from router.serve import CONFIG_ENV, load_config, run, tls_context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router", description=__doc__)
    parser.add_argument("--config", help=f"RouterConfig JSON file (default: ${CONFIG_ENV})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--tls-cert", help="serve HTTPS: certificate chain (PEM, leaf first)")
    parser.add_argument("--tls-key", help="serve HTTPS: the certificate's private key (PEM)")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (SO_REUSEPORT)"
    )
    parser.add_argument(
        "--allow-memory-state",
        action="store_true",
        help="allow --workers > 1 without a shared state store (per-worker limits, cache)",
    )
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    try:
        tls = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        config = load_config(args.config)
        return run(
            config,
            args.host,
            args.port,
            tls,
            workers=args.workers,
            allow_memory_state=args.allow_memory_state,
        )
    except RouterError as exc:  # config or a secret could not be loaded
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
