from __future__ import annotations

import pytest

from inferplane.router.pii import PiiDetector, PiiRegistry, iban_valid, luhn_valid


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("write to jane.doe+work@example.co.uk today", ("email",)),
        ("card 4111 1111 1111 1111", ("card",)),
        ("card 4111-1111-1111-1111", ("card",)),
        ("card 4111 1111 1111 1112 (bad checksum)", ()),
        ("iban DE89 3704 0044 0532 0130 00", ("iban",)),
        ("GB82 WEST 1234 5698 7654 32", ("iban",)),
        ("NL91ABNA0417164300", ("iban",)),
        ("iban DE89 3704 0044 0532 0130 01 (bad checksum)", ()),
        ("ssn 123-45-6789", ("us_ssn",)),
        ("ssn 666-45-6789 (never issued)", ()),
        ("nino AB 12 34 56 C", ("uk_nino",)),
        ("in 2024 we sold 15 units for 3000 EUR", ()),
        ("user@localhost has no domain dot", ()),
        ("", ()),
    ],
)
def test_detects_pii_with_checksums(text: str, found: tuple[str, ...]) -> None:
    assert PiiRegistry().scan(text) == found


def test_registry_is_extensible() -> None:
    registry = PiiRegistry()
    registry.register(PiiDetector("badge", r"BADGE-\d{6}", min_anchor_len=6, before=6))
    assert registry.scan("my badge is BADGE-123456") == ("badge",)
    assert "badge" in registry.names
    with pytest.raises(ValueError, match="identifier"):
        registry.register(PiiDetector("not valid", "x"))


def test_checksums() -> None:
    assert luhn_valid("4012888888881881")
    assert not luhn_valid("4012888888881882")
    assert iban_valid("FR1420041010050500013M02606")
    assert not iban_valid("FR1420041010050500013M02607")
