"""The admin API (``/admin/*``), on the router's listener and on the operator listener.

Every call needs the admin credential (``admin.api_key``: ``Authorization: Bearer``);
without one configured the API is off (403 ``admin_api_off``).

    POST   /admin/keys                  create a key; the key is in this answer only (201)
    GET    /admin/keys                  list the run-time keys (never a key or its digest)
    DELETE /admin/keys/{id}             revoke: every replica refuses it from now on
    GET    /admin/spend?key=ID|team=T   this month's spend and budget (UTC month)
    PUT    /admin/teams/{team}/budget   {"budget_usd": 25.0} (null removes it)
    GET    /admin/teams                 team budgets

A key's body: ``id`` (default: generated), ``team``, ``budget_usd`` (per month),
``expires_at`` (unix time) or ``ttl_s``, ``data_classes``, ``routes``, ``rate_limit_rpm``;
classes and routes must exist in the config. Each change is logged in one line (who did
what to which key id; never the key).
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .access import Access
from .accounts import digest
from .config import KeyConfig
from .errors import MethodNotAllowedError, NotFoundError, RequestError, RouterError

__all__ = ["NewKey", "admin_handler"]

logger = logging.getLogger("inferplane.router")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
_JSON = {"content-type": "application/json"}
M = TypeVar("M", bound=BaseModel)


class NewKey(BaseModel):
    """The body of ``POST /admin/keys``."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, pattern=_NAME)
    team: str | None = Field(default=None, pattern=_NAME)
    budget_usd: float | None = Field(default=None, gt=0)
    expires_at: int | None = Field(default=None, ge=0)
    ttl_s: int | None = Field(default=None, ge=1)
    data_classes: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    rate_limit_rpm: int | None = Field(default=None, ge=1)


class _Budget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    budget_usd: float | None = Field(gt=0)


def admin_handler(access: Access) -> Any:
    """An aiohttp handler for ``/admin/{tail}`` over ``access``."""

    async def handle(request: web.Request) -> web.Response:
        try:
            access.check_admin(request.headers.get("authorization"))
            return await _route(access, request)
        except RouterError as exc:
            logger.info("admin %s %s -> %d %s", request.method, request.path, exc.status, exc.code)
            return web.Response(status=exc.status, body=exc.to_json(), headers=_JSON)

    return handle


async def _route(access: Access, request: web.Request) -> web.Response:
    parts = request.path.strip("/").split("/")[1:]  # after "admin"
    method = request.method
    if parts == ["keys"] and method == "POST":
        return await _create(access, await request.read())
    if parts == ["keys"] and method == "GET":
        keys = await access.accounts.all()
        return _json(200, {"object": "list", "data": [_shown(k) for k in keys]})
    if len(parts) == 2 and parts[0] == "keys" and method == "DELETE":
        return await _revoke(access, parts[1])
    if parts == ["spend"] and method == "GET":
        return await _spend(access, request.query.get("key"), request.query.get("team"))
    if len(parts) == 3 and parts[0] == "teams" and parts[2] == "budget" and method == "PUT":
        return await _set_budget(access, _team(parts[1]), await request.read())
    if parts == ["teams"] and method == "GET":
        return _json(200, {"budgets_usd": await access.accounts.team_budgets()})
    if parts and parts[0] in ("keys", "spend", "teams"):
        raise MethodNotAllowedError(f"{method} {request.path} is not an admin operation")
    raise NotFoundError(f"unknown admin path {request.path!r}")


async def _create(access: Access, body: bytes) -> web.Response:
    spec = _parse(NewKey, body)
    config = access.config
    unknown_classes = sorted(set(spec.data_classes) - set(config.data_classes))
    unknown_routes = sorted(set(spec.routes) - {r.name for r in config.routes})
    if unknown_classes or unknown_routes:
        raise RequestError(
            f"unknown data_classes {unknown_classes} / routes {unknown_routes}; allowed: "
            f"{sorted(config.data_classes)} / {[r.name for r in config.routes]}"
        )
    if spec.expires_at is not None and spec.ttl_s is not None:
        raise RequestError("give expires_at or ttl_s, not both", param="ttl_s")
    key_id = spec.id or f"k-{secrets.token_hex(6)}"
    if any(k.id == key_id for k in config.keys):
        raise _conflict(key_id)
    plaintext = "ip-" + secrets.token_urlsafe(32)
    expires = spec.expires_at
    if spec.ttl_s is not None:
        expires = int(access.clock()) + spec.ttl_s
    fields = spec.model_dump(exclude={"id", "ttl_s", "expires_at"})
    key = KeyConfig(id=key_id, salt="", sha256=digest(plaintext), expires_at=expires, **fields)
    if not await access.accounts.add(key):
        raise _conflict(key_id)
    logger.warning("admin: created API key %r (team %s)", key_id, key.team or "-")
    return _json(201, {**_shown(key), "key": plaintext})


async def _revoke(access: Access, key_id: str) -> web.Response:
    if not await access.accounts.revoke(key_id):
        raise NotFoundError(f"no run-time key {key_id!r} (keys of the config are revoked there)")
    logger.warning("admin: revoked API key %r", key_id)
    return _json(200, {"id": key_id, "revoked": True})


async def _spend(access: Access, key_id: str | None, team: str | None) -> web.Response:
    if (key_id is None) == (team is None):
        raise RequestError("give one of ?key=ID or ?team=NAME", param="key")
    budget: float | None
    if key_id is not None:
        scope = f"key:{key_id}"
        known = [k for k in (*access.config.keys, *await access.accounts.all()) if k.id == key_id]
        budget = known[0].budget_usd if known else None
    else:
        scope = f"team:{team}"
        budget = await access.accounts.team_budget(team or "")
    period, spent = await access.budgets.spend(scope)
    document = {"scope": scope, "period": period, "spend_usd": spent, "budget_usd": budget}
    return _json(200, document)


async def _set_budget(access: Access, team: str, body: bytes) -> web.Response:
    budget = _parse(_Budget, body).budget_usd
    await access.accounts.set_team_budget(team, budget)
    logger.warning("admin: team %r budget set to %s USD", team, budget)
    return _json(200, {"team": team, "budget_usd": budget})


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise RequestError(f"{where}: {first['msg']}", param=where) from None


def _team(name: str) -> str:
    if not re.match(_NAME, name):
        raise RequestError(f"team {name!r} is not a name; allowed: {_NAME}", param="team")
    return name


def _conflict(key_id: str) -> RouterError:
    conflict = RequestError(f"a key with id {key_id!r} exists", param="id", code="key_exists")
    conflict.status = 409
    return conflict


def _shown(key: KeyConfig) -> dict[str, Any]:
    return key.model_dump(exclude={"salt", "sha256"})


def _json(status: int, document: object) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(document), headers=_JSON)
