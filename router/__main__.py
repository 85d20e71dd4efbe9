"""``python -m router --config FILE --host HOST --port PORT``"""

from __future__ import annotations

import argparse
import sys

from router.errors import RouterError
from router.serve import CONFIG_ENV, load_config, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router", description=__doc__)
    parser.add_argument("--config", help=f"RouterConfig JSON file (default: ${CONFIG_ENV})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    try:
        run(load_config(args.config), args.host, args.port)
    except RouterError as exc:  # config or a secret could not be loaded
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
