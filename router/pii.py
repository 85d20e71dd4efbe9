"""PII detectors: an extensible registry, scanned in two cheap stages.

A ``PiiDetector`` names an *anchor*: a simple regex for the part every match must contain
(a literal ``@`` for e-mail addresses, a run of digits for card numbers, IBANs and national
IDs). Stage one scans the text once per distinct anchor, which costs about as much as a
``str.find`` for ``@`` and one character-class pass for digits. Only anchor hits long enough
to matter (``min_anchor_len``) open a small window, where stage two runs the combined
pattern of that anchor's detectors and then each candidate's validator (Luhn for card
numbers, mod-97 for IBANs, range rules for US SSNs). Ordinary prose with years and
quantities never reaches stage two; a naive multi-regex over the whole body would cost
ten times more on every request.

``scan`` reads one normalised view of the text (``normalise``): NFKC, so full-width digits
and letters, the full-width at sign and non-breaking spaces become their ASCII forms; Unicode
dashes become ``-``; invisible characters (zero-width spaces, soft hyphens) are dropped.
Card numbers may carry spaces, dots or dashes between digits, IBANs may be lower case; the
checksums (Luhn, mod-97 with the country's length) still decide.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "DEFAULT_DETECTORS",
    "PiiDetector",
    "PiiRegistry",
    "iban_valid",
    "luhn_valid",
    "normalise",
    "ssn_valid",
]

SEPARATOR = r"[ .-]{0,2}"
"""What people put between the digits of a card number: spaces, dots, dashes."""
DIGIT_RUN = rf"[0-9](?:{SEPARATOR}[0-9])*"
"""Anchor for number-like PII: digits with separators between them."""
DIGITS = "0123456789"

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
_FOLD = str.maketrans({**dict.fromkeys(_DASHES, "-"), **dict.fromkeys(_INVISIBLE)})


def normalise(text: str) -> str:
    """The view every detector reads: NFKC, Unicode dashes as ``-``, invisible
    characters removed. ASCII text is already in this form and is returned as it is."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


@dataclass(frozen=True)
class PiiDetector:
    """One kind of PII."""

    name: str
    """Reported in metrics and logs (``email``, ``card``...); a valid Python identifier."""
    pattern: str
    """Regex for a whole candidate; must not contain capturing groups."""
    anchor: str = DIGIT_RUN
    """Simple regex for the part every match contains; detectors sharing it share a pass."""
    triggers: str = DIGITS
    """ASCII characters every match contains; counting them is the cheapest prefilter."""
    min_triggers: int = 1
    """Texts with fewer trigger characters than this are not scanned for this detector."""
    min_anchor_len: int = 1
    """Anchor hits with fewer trigger characters (for digit runs: digits, separators not
    counted) cannot be part of a match and are skipped."""
    max_anchor_len: int | None = None
    """Anchor hits with more trigger characters cannot be part of a match either (a UK
    NINO has exactly six digits): ordinary numbers in prose open no window."""
    before: int = 16
    """How far before an anchor hit a match may start."""
    after: int = 16
    """How far after an anchor hit a match may end."""
    validate: Callable[[str], bool] | None = None
    """Checksum or range check applied to a candidate; None accepts every match."""


def luhn_valid(candidate: str) -> bool:
    """A card number by the Luhn checksum. A run longer than 16 digits may be a card
    followed by more digits (an expiry date, a CVV): its first 16 and 15 digits count too."""
    digits = [ord(c) - 48 for c in candidate if c.isdigit()]
    if len(digits) > 16 and (_luhn(digits[:16]) or _luhn(digits[:15])):
        return True
    return _luhn(digits)


def _luhn(digits: list[int]) -> bool:
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


# ISO 13616 lengths of common IBAN countries (SWIFT IBAN registry); others: 15-34.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24,
    "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}  # fmt: skip


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    # Case-insensitive matching may run on into the next word ("...3000 is"): a known
    # country's IBAN is its fixed length from the start.
    length = IBAN_LENGTHS.get(compact[:2])
    if length is not None:
        compact = compact[:length] if len(compact) >= length else ""
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    # Letters count as two-digit numbers (A=10 ... Z=35), per ISO 13616.
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def ssn_valid(candidate: str) -> bool:
    area, group, serial = candidate.split("-")
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


DEFAULT_DETECTORS: tuple[PiiDetector, ...] = (
    PiiDetector(
        "email",
        r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+",
        anchor="@",
        triggers="@",
        before=64,
        after=256,
    ),
    PiiDetector(
        "card",
        rf"(?<!\d)\d(?:{SEPARATOR}\d){{12,18}}(?!\d)",
        min_triggers=13,
        min_anchor_len=13,
        validate=luhn_valid,
    ),
    PiiDetector(
        "iban",
        r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}\b",
        # Every country's IBAN has a run of at least ten digits in its BBAN.
        min_triggers=12,
        min_anchor_len=10,
        before=40,
        after=40,
        validate=iban_valid,
    ),
    PiiDetector(
        "us_ssn",
        r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])",
        min_triggers=9,
        min_anchor_len=9,
        validate=ssn_valid,
    ),
    PiiDetector(
        "uk_nino",
        r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]\b",
        min_triggers=6,
        min_anchor_len=6,
        max_anchor_len=6,
    ),
)


@dataclass(frozen=True, slots=True)
class _Window:
    """What an anchor hit of one size is checked against: the combined pattern of the
    detectors it may belong to, and how far around the hit to look."""

    pattern: re.Pattern[str]
    before: int
    after: int

    @classmethod
    def of(cls, detectors: list[PiiDetector]) -> _Window:
        pattern = re.compile("|".join(f"(?P<{d.name}>{d.pattern})" for d in detectors))
        return cls(pattern, max(d.before for d in detectors), max(d.after for d in detectors))


class _AnchorGroup:
    """The detectors sharing one anchor. An anchor hit opens a window only for the
    detectors whose ``min_anchor_len``/``max_anchor_len`` admit its number of trigger
    characters; their patterns are compiled together once per such subset."""

    def __init__(self, anchor: str, triggers: str, detectors: list[PiiDetector]) -> None:
        self.anchor = re.compile(anchor)
        self.triggers = triggers.encode("ascii")
        self.drop = dict.fromkeys(map(ord, triggers))
        self.min_triggers = min(d.min_triggers for d in detectors)
        self.detectors = {d.name: d for d in detectors}
        self.min_len = min(d.min_anchor_len for d in detectors)
        self._by_size: dict[int, _Window | None] = {}

    def scan(self, text: str, encoded: bytes, found: list[str], first_only: bool) -> None:
        present = len(encoded) - len(encoded.translate(None, self.triggers))
        if present < self.min_triggers:
            return
        searched_to = 0
        for hit in self.anchor.finditer(text):
            start, end = hit.span()
            if end - start < self.min_len or end <= searched_to:
                continue
            run = hit.group()
            window = self._window(len(run) - len(run.translate(self.drop)))
            if window is None:
                continue
            start = max(searched_to, start - window.before)
            searched_to = min(len(text), end + window.after)
            for match in window.pattern.finditer(text, start, searched_to):
                if self._accept(match, found) and first_only:
                    return

    def _window(self, size: int) -> _Window | None:
        if size not in self._by_size:
            fitting = [
                d
                for d in self.detectors.values()
                if d.min_anchor_len <= size <= (d.max_anchor_len or size)
            ]
            self._by_size[size] = _Window.of(fitting) if fitting else None
        return self._by_size[size]

    def _accept(self, match: re.Match[str], found: list[str]) -> bool:
        name = match.lastgroup
        if name is None or name in found:
            return False
        validate = self.detectors[name].validate
        if validate is not None and not validate(match.group()):
            return False
        found.append(name)
        return True


class PiiRegistry:
    """The detectors in use; ``scan`` returns the names of the kinds found."""

    def __init__(self, detectors: Iterable[PiiDetector] = DEFAULT_DETECTORS) -> None:
        self._detectors: dict[str, PiiDetector] = {}
        self._groups: list[_AnchorGroup] = []
        for detector in detectors:
            self.register(detector)

    def register(self, detector: PiiDetector) -> None:
        """Add or replace a detector (by name)."""
        if not detector.name.isidentifier():
            raise ValueError(f"PII detector name {detector.name!r} must be an identifier")
        re.compile(detector.pattern)  # fail at registration, not on the first request
        self._detectors[detector.name] = detector
        by_anchor: dict[tuple[str, str], list[PiiDetector]] = {}
        for each in self._detectors.values():
            by_anchor.setdefault((each.anchor, each.triggers), []).append(each)
        self._groups = [_AnchorGroup(a, t, group) for (a, t), group in by_anchor.items()]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._detectors)

    def scan(self, text: str, *, first_only: bool = True) -> tuple[str, ...]:
        found: list[str] = []
        text = normalise(text)
        encoded = text.encode("utf-8", "surrogatepass")
        for group in self._groups:
            group.scan(text, encoded, found, first_only)
            if found and first_only:
                break
        return tuple(found)
