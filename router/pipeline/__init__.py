"""The stages a request goes through in the core (``router.core.Gateway`` composes them):

    Admission   size, API key, the API's parse of the body, rate limit
    Routing     classification (data class, PII, tier, budget), route and residency
    Caching     exact and semantic answers, looked up before and stored after dispatch
    Dispatch    the route's targets in order: context windows, breakers, retries,
                cold targets, fallback; streams relayed with their failures accounted
    Accounting  metrics and the access log, for answered and refused requests alike

``wire`` holds what goes in and out (``Request``, ``Response``, ``Endpoint``), ``call``
the admitted request that travels through the stages.
"""

from __future__ import annotations

__all__: list[str] = []
