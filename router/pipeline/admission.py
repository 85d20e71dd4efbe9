"""Admission, the pipeline's first stage: the body's size, the API key, the API's parse
of the body into a chat request, and the rate limit. The same for every API."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..access import Access
from ..auth import KeyRing
from ..bounds import check_body_size, check_items, off_loop, precheck_items
from ..chat import ChatRequest
from ..config import KeyConfig, RouterConfig
from ..errors import AuthenticationError
from ..limits import RateLimiter
from ..state import StateStore
from .wire import Request

__all__ = ["Admission"]


class Admission:
    """Who may send this request, and is it within the router's bounds."""

    def __init__(self, config: RouterConfig, store: StateStore, access: Access) -> None:
        self.limits = config.limits
        self.auth_required = config.auth_required
        self.access = access  # keys of the config and of the admin API, budgets
        self.limiter = RateLimiter(config, store)
        self.operators = KeyRing(config.admin.keys)
        self.operator_keys = bool(config.admin.keys)

    async def admit(
        self, request: Request, parse: Callable[[bytes], ChatRequest]
    ) -> tuple[KeyConfig | None, ChatRequest]:
        """The request's key (None when auth is off) and its body as a chat request.
        ``parse`` runs off the event loop for large bodies (``router.bounds``)."""
        limits, size = self.limits, len(request.body)
        check_body_size(size, limits)
        key = await self.authenticate(request.headers) if self.auth_required else None
        if key is not None:
            await self.access.budgets.check(key)
        precheck_items(request.body, limits)
        chat = await off_loop(size, limits, parse, request.body)
        check_items(chat, limits)
        await self.limiter.check(key, request.client)
        return key, chat

    async def authenticate(self, headers: Mapping[str, str]) -> KeyConfig:
        """The API key of a request: ``Authorization: Bearer``, or the key headers of the
        APIs the router speaks (Azure OpenAI's ``api-key``, Anthropic's ``x-api-key``)."""
        return await self.access.authenticate(
            headers.get("authorization"), headers.get("api-key") or headers.get("x-api-key")
        )

    def is_operator(self, request: Request) -> bool:
        """Came in on the operator listener, or carries an operator credential
        (``admin.keys``; API keys never count)."""
        if request.operator:
            return True
        if not self.operator_keys:
            return False
        try:
            self.operators.authenticate(request.headers.get("authorization"))
        except AuthenticationError:
            return False
        return True
