"""``emotion_bento``: the champion packed into a Bento (model and service code), ready to serve or containerize."""

import os
from pathlib import Path

import dagster as dg
from pydantic import Field

from emotion_platform.assets.models.champion import champion_model
from emotion_platform.constants import SERVING_GROUP
from emotion_platform.resources.mlflow import ModelRegistryResource
from emotion_platform.serving.bento import build_champion_bento


def default_bentoml_home() -> str:
    """BentoML's own default (``BENTOML_HOME``, else ``~/bentoml``): outside the project tree."""
    return os.environ.get("BENTOML_HOME") or str(Path.home() / "bentoml")


class BentoStoreResource(dg.ConfigurableResource):
    """The BentoML store (``BENTOML_HOME``) Bentos are built into; keep it outside the project tree."""

    home: str = Field(description="BentoML home folder (models/ and bentos/ live under it).")


@dg.asset(group_name=SERVING_GROUP, kinds={"bentoml"}, deps=[champion_model])
def emotion_bento(
    context: dg.AssetExecutionContext,
    model_registry: ModelRegistryResource,
    bento_store: BentoStoreResource,
) -> dg.MaterializeResult[dict]:
    """The Bento of the emotion service carrying the current champion (its tag in metadata)."""
    built = build_champion_bento(model_registry.tracking_uri, model_registry.model_name, Path(bento_store.home))
    context.log.info(f"built {built.bento_tag} with {built.model_tag} ({built.model_uri})")
    return dg.MaterializeResult(
        value={"bento_tag": built.bento_tag, "model_tag": built.model_tag, "bento_path": built.bento_path},
        metadata={
            "bento_tag": built.bento_tag,
            "bentoml_model": built.model_tag,
            "mlflow_version": built.mlflow_version,
            "model_uri": built.model_uri,
            "bento_path": dg.MetadataValue.path(built.bento_path),
            "serve": dg.MetadataValue.md(
                f"`BENTOML_HOME={bento_store.home} bentoml serve {built.bento_tag}`\n\n"
                f"`bentoml containerize {built.bento_tag}` (needs a Docker engine)"
            ),
        },
    )


SERVING_ASSETS = [emotion_bento]
