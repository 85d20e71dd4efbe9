"""``GET /openapi.json``: an OpenAPI 3.1 document of every endpoint the router serves.

Request and answer bodies are the upstream APIs' own (OpenAI, Anthropic); the document
names them, the router's headers and its error shapes rather than copying those specs.
A test checks that every path of ``Gateway.endpoints`` is described here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from ..pipeline.wire import Endpoint, Request, Response

if TYPE_CHECKING:
    from ..core import Gateway

__all__ = ["PATH", "document", "endpoints"]

PATH = "/openapi.json"

_OPENAI_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}
_ANTHROPIC_ERROR = {
    "type": "object",
    "properties": {
        "type": {"const": "error"},
        "error": {
            "type": "object",
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}
_OBJECT = {"type": "object", "additionalProperties": True}
_HEADERS = [
    {
        "name": "x-inferplane-data-class",
        "in": "header",
        "required": False,
        "description": "Declared data class; may raise the key's class, lower it only to a "
        "class the key lists.",
        "schema": {"type": "string"},
    },
    {
        "name": "x-inferplane-latency-budget-ms",
        "in": "header",
        "required": False,
        "schema": {"type": "integer", "minimum": 1},
    },
    {
        "name": "x-inferplane-cache",
        "in": "header",
        "required": False,
        "description": "'off' bypasses both caches for this request.",
        "schema": {"enum": ["off"]},
    },
]


def _errors(shape: dict[str, Any]) -> dict[str, Any]:
    content = {"application/json": {"schema": shape}}
    described = {
        "400": "Malformed request (names the field)",
        "401": "Missing or unknown API key",
        "403": "Data class, route or target not allowed for this key (PII raises say so)",
        "404": "Unknown model (no catch-all route) or path",
        "413": "Body larger than limits.max_body_bytes",
        "429": "Rate limit spent; Retry-After says when to retry",
        "503": "No resident or healthy target (names each target's reason)",
    }
    return {code: {"description": text, "content": content} for code, text in described.items()}


def _routed(summary: str, api: str, error: dict[str, Any], stream: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": f"{api} answer"
            + ("; text/event-stream when the body asks for stream: true" if stream else ""),
            "content": {"application/json": {"schema": _OBJECT}}
            | ({"text/event-stream": {"schema": {"type": "string"}}} if stream else {}),
        },
        **_errors(error),
    }
    return {
        "post": {
            "summary": summary,
            "parameters": _HEADERS,
            "requestBody": {
                "required": True,
                "description": f"The {api} request body.",
                "content": {"application/json": {"schema": _OBJECT}},
            },
            "responses": responses,
        }
    }


def _get(summary: str, operator: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": {"description": "OK"}},
    }
    if operator:
        operation["security"] = [{"operator": []}]
    return {"get": operation}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "inferplane router",
            "version": "1",
            "description": "Routes OpenAI- and Anthropic-shaped requests to allowed targets "
            "by data class (residency), latency budget, tier and preference.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "api-key"},
                "anthropicKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "operator": {"type": "http", "scheme": "bearer"},
            }
        },
        "security": [{"bearer": []}, {"apiKey": []}, {"anthropicKey": []}],
        "paths": {
            "/v1/chat/completions": _routed(
                "OpenAI chat completions", "OpenAI chat completions", _OPENAI_ERROR, True
            ),
            "/v1/messages": _routed(
                "Anthropic Messages (translated to the chat path: same routes and keys)",
                "Anthropic Messages",
                _ANTHROPIC_ERROR,
                True,
            ),
            "/v1/responses": _routed(
                "OpenAI Responses, stateless subset (input, instructions, function tools)",
                "OpenAI Responses",
                _OPENAI_ERROR,
                True,
            ),
            "/v1/completions": _routed(
                "Legacy completions (OpenAI-compatible targets only)",
                "OpenAI completions",
                _OPENAI_ERROR,
                True,
            ),
            "/v1/embeddings": _routed(
                "Embeddings (OpenAI-compatible, Azure OpenAI, Bedrock Titan / Cohere, Vertex)",
                "OpenAI embeddings",
                _OPENAI_ERROR,
                False,
            ),
            "/v1/models": _get("Route aliases and targets the key may use"),
            "/healthz": _get("Liveness"),
            "/readyz": _get("Readiness; the healthy targets for operators only"),
            "/metrics": _get("Prometheus metrics (operators only)", operator=True),
            PATH: {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OK"}},
                }
            },
        },
    }


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    body = orjson.dumps(document())

    async def handle(request: Request, request_id: str) -> Response:
        return Response(200, {"content-type": "application/json"}, body)

    return {PATH: Endpoint("GET", handle)}
