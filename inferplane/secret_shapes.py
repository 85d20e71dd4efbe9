"""Recognising a secret value that was pasted where it does not belong: by the shape of the
value (vendor token formats, private keys, connection strings that carry a password) and,
for stack config keys, by the key's name. Used to refuse plain-text secrets in stack files
and to keep error messages from printing them back.

Shapes are deliberately specific (a vendor prefix, a fixed alphabet and length): a generic
"looks random" test would flag the spec's salts, digests and image references.
"""

from __future__ import annotations

import re

__all__ = [
    "Redacted",
    "a_kind",
    "credential_kind",
    "is_reference",
    "names_a_secret",
    "redact",
    "redact_text",
]

_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("AWS access key ID", r"\b(?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}\b"),
        ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}"),
        ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_-]{32,}"),
        ("OpenAI API key", r"\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}|[A-Za-z0-9]{32,})"),
        ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
        ("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
        ("Slack token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
        ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("Google OAuth access token", r"\bya29\.[0-9A-Za-z_-]{20,}"),
        ("JSON Web Token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
        ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        ("service account key", r"\"private_key\"\s*:"),
        ("connection string with a password", r"\b[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@"),
        (
            "connection string with a key or password",
            r"(?i)(?:^|;)\s*(?:AccountKey|SharedAccessKey|Password|Pwd)\s*=\s*[^;\s]+",
        ),
        ("shared access signature", r"(?i)[?&]sig=[A-Za-z0-9%+/=]{20,}"),
    )
)

_SECRET_NAME = re.compile(
    r"(?i)(?:secret|token|passw(?:or)?d|pwd|passphrase|credential|api[_-]?key|"
    r"access[_-]?key|private[_-]?key|client[_-]?key|connection[_-]?string|conn[_-]?str|"
    r"sas[_-]?key|signing[_-]?key|auth[_-]?key|ssh[_-]?key)"
)

# Values that name where a secret lives rather than being one.
_REFERENCE = re.compile(
    r"^(?:arn:aws[a-z-]*:|projects/[^/]+/secrets/|https://[a-z0-9-]+\.vault\.azure\.net/|"
    r"[/~.]|\$\{[A-Za-z_][A-Za-z0-9_]*\}$|env:|secret:|\[secret:)"
)


def credential_kind(value: str) -> str | None:
    """What kind of credential ``value`` contains, by its shape; None when it has none."""
    for kind, pattern in _SHAPES:
        if pattern.search(value):
            return kind
    return None


def a_kind(kind: str) -> str:
    """``kind`` with its indefinite article: "an AWS access key ID", "a GitHub token"."""
    return f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind}"


def names_a_secret(key: str) -> bool:
    """Whether a config key's name says it holds a secret (``aws:secretKey``,
    ``azure-native:clientSecret``, ``myapp:dbPassword``, ``gcp:accessToken`` ...)."""
    return bool(_SECRET_NAME.search(key.rsplit(":", 1)[-1]))


def is_reference(value: str) -> bool:
    """Whether ``value`` points at a secret (an ARN, a Key Vault or Secret Manager name, a
    file path, an environment variable) instead of holding one."""
    return bool(_REFERENCE.match(value))


class Redacted:
    """Stands in for a secret value in messages: says what it looked like, never what it is."""

    def __init__(self, kind: str, length: int) -> None:
        self.kind = kind
        self.length = length

    def __repr__(self) -> str:
        return f"<redacted {self.kind}, {self.length} characters>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Redacted) and (self.kind, self.length) == (
            other.kind,
            other.length,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.length))


def redact(value: object) -> object:
    """``value``, or a Redacted stand-in when it is a string shaped like a credential."""
    if isinstance(value, str):
        kind = credential_kind(value)
        if kind is not None:
            return Redacted(kind, len(value))
    return value


def redact_text(text: str) -> str:
    """``text`` with every credential-shaped part replaced by what it looked like."""
    for kind, pattern in _SHAPES:
        text = pattern.sub(f"<redacted {kind}>", text)
    return text
