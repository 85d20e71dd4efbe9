"""``inferplane router smoke``: the packaged router against loopback fakes of every target
it routes to, each speaking its service's wire protocol and enforcing the auth scheme the
RouterConfig names, with fake credential issuers (Azure managed identity, GCE metadata
server, STS web identity, Entra) the router's providers discover through their standard
environment variables (docs/wiring.md, "Run-time environment the router honours"). A
``lambda`` target is not faked: its real Converse handler runs from the built zip behind a
fake function URL, against a fake Bedrock (``converse_function``).

    stage(config)                 fakes + issuers + secrets, the router's env
    run_smoke(stack, config, f)   probes every route x admitted data class (chat + stream)
"""

from __future__ import annotations

from inferplane.smoke.harness import Outcome, Probe, SmokeReport, probes, run_smoke, stage

__all__ = ["Outcome", "Probe", "SmokeReport", "probes", "run_smoke", "stage"]
