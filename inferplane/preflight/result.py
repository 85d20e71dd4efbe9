"""What a preflight (or verify) check reports: pass, fail, or could not check -- always
with the reason."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from botocore.exceptions import ClientError

from inferplane.errors import CloudAccessError, CredentialsMissingError

__all__ = ["CheckResult", "Report", "Status", "timed"]

Status = Literal["pass", "fail", "could-not-check"]


@dataclass(frozen=True)
class CheckResult:
    check: str
    subject: str
    """The target (or ``router``) the check looked at."""
    status: Status
    reason: str
    elapsed_ms: float | None = None


@dataclass(frozen=True)
class Report:
    """Every result of one run, in the order the checks ran."""

    stack: str
    results: tuple[CheckResult, ...]

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.status == "fail")

    @property
    def unchecked(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.status == "could-not-check")

    @property
    def ok(self) -> bool:
        return not self.failed

    def of(self, check: str, subject: str | None = None) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.check == check and subject in (None, r.subject))

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(r.status == s for r in self.results) for s in ("pass", "fail")}
        counts["could-not-check"] = len(self.unchecked)
        return {"stack": self.stack, "counts": counts, "results": [asdict(r) for r in self.results]}


def _unexpected(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    operation = exc.operation_name
    return (
        f"AWS answered {operation} with {error.get('Code', '?')}: {error.get('Message', exc)}; "
        "this check cannot interpret it (report it if it persists)"
    )


def timed(check: str, subject: str, run: Callable[[], Iterable[CheckResult]]) -> list[CheckResult]:
    """The results of one check on one subject, each with the time the check took.

    A denied or failed cloud call makes the check could-not-check (with the reason) and
    the run goes on; missing credentials stop the run, since no check could succeed."""
    started = time.perf_counter()
    try:
        results = list(run())
    except CredentialsMissingError:
        raise
    except CloudAccessError as exc:  # AccessDeniedError names the missing permission
        results = [CheckResult(check, subject, "could-not-check", str(exc))]
    except ClientError as exc:  # an AWS answer the check does not interpret
        results = [CheckResult(check, subject, "could-not-check", _unexpected(exc))]
    elapsed = (time.perf_counter() - started) * 1000
    return [replace(result, elapsed_ms=elapsed) for result in results]
