"""Which Bedrock models are offered through which inference profiles: a dated offline table
(``bedrock_offers.yaml``, with its source), so a profile that does not exist in a
geography is refused at plan time. Models absent from the table are not judged here;
``inferplane preflight`` confirms every combination online."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inferplane.errors import ConfigFileError
from inferplane.yamlload import read_yaml

__all__ = ["BedrockOffers", "ModelOffer", "bedrock_offers", "offer_refusal"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelOffer(_Model):
    """How one foundation model may be invoked."""

    in_region: bool
    """Offered on demand in (at least one) single region; false: only through profiles."""
    geo: tuple[str, ...] = ()
    """Geographic profile prefixes (us, eu, apac, jp, au)."""
    global_: bool = Field(alias="global")


class Source(_Model):
    url: str
    note: str = ""


class BedrockOffers(_Model):
    """The table, the date it was compiled and where it was read."""

    as_of: str
    source: Source
    models: dict[str, ModelOffer]

    @classmethod
    def load(cls, path: Path) -> BedrockOffers:
        data = read_yaml(path, "Bedrock offer table")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigFileError(f"Bedrock offer table {path} is invalid:\n{exc}") from exc


@cache
def bedrock_offers() -> BedrockOffers:
    """The table shipped with inferplane."""
    path = Path(str(resources.files("inferplane.spec").joinpath("bedrock_offers.yaml")))
    return BedrockOffers.load(path)


def offer_refusal(
    model: str, inference: str, geography: str, offers: BedrockOffers | None = None
) -> str | None:
    """Why ``model`` is not offered with ``inference`` (region/geo/global) from a region in
    ``geography``, per the table; None when it is offered or the table does not know it."""
    table = offers or bedrock_offers()
    offer = table.models.get(model)
    if offer is None:
        return None
    offered = [
        *(["region"] if offer.in_region else []),
        *(f"geo ({g}.)" for g in offer.geo),
        *(["global"] if offer.global_ else []),
    ]
    listed = f"offered: {', '.join(offered) or 'nothing'}"
    dated = f"(Bedrock offer table as of {table.as_of}: {table.source.url})"
    if inference == "region" and not offer.in_region:
        why = "is not offered on demand in a single region, only through inference profiles"
    elif inference == "geo" and geography not in offer.geo:
        why = f"has no geographic inference profile for {geography!r} ({geography}.{model})"
    elif inference == "global" and not offer.global_:
        why = f"has no global inference profile (global.{model})"
    else:
        return None
    return f"{model} {why}; {listed} {dated}"
