"""Routing, the second stage: classify an admitted chat request (data class, PII, tier,
latency budget) and decide its route and allowed targets (residency). A refusal carries
the data class it was decided for, and says so when PII raised the class."""

from __future__ import annotations

from collections.abc import Mapping

from ..bounds import off_loop
from ..chat import ChatRequest
from ..classify import Classification, Classifier
from ..config import KeyConfig, RouterConfig
from ..decide import Decision, RouteTable
from ..errors import NoTargetError, PermissionDeniedError, RouterError
from ..pii import PiiRegistry
from .accounting import Accounting

__all__ = ["Routing"]


class Routing:
    """Where a request may go, and by which route."""

    def __init__(
        self, config: RouterConfig, pii: PiiRegistry | None, accounting: Accounting
    ) -> None:
        self.limits = config.limits
        self.classifier = Classifier(config, pii)
        self.table = RouteTable(config)
        self.accounting = accounting

    async def route(
        self, chat: ChatRequest, key: KeyConfig | None, headers: Mapping[str, str], size: int
    ) -> tuple[Classification, Decision]:
        """Classifying is linear in the body's ``size`` (the PII scan): large bodies are
        classified off the event loop (``router.bounds``)."""
        classify = self.classifier.classify
        classification = await off_loop(size, self.limits, classify, chat, key, headers)
        return classification, self.decide(classification, key)

    def decide(self, classification: Classification, key: KeyConfig | None) -> Decision:
        if classification.pii:
            self.accounting.pii_detected(classification.pii[0])
        try:
            return self.table.decide(classification, key)
        except RouterError as exc:
            exc.data_class = classification.data_class
            if classification.pii and isinstance(exc, PermissionDeniedError | NoTargetError):
                exc.reason = "pii"
                exc.message = (
                    f"PII detected in the request ({', '.join(classification.pii)}): it was "
                    f"raised to data class {classification.data_class!r}; {exc.message}"
                )
            raise
