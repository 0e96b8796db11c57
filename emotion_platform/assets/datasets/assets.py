"""The labelled datasets as observable source assets: their data version is DVC's content hash.

The datasets are read in place (``EMOTION_PLATFORM_DATASETS_DIR``, default ``../shared/datasets``)
and never copied. Observing them records, per dataset, the md5 that ``dvc.lock`` records for the
same folder; ``training_examples`` depends on them, so the Dagster UI marks it stale when a
dataset's content changes.
"""

from pathlib import Path

import dagster as dg

from emotion_platform.lib.content_hash import ContentHash, dvc_content_hash
from emotion_platform.resources.mlflow import DatasetsResource

DATASETS_GROUP = "datasets"
DATASET_PATHS = (
    "meld_text",
    "emorynlp_text",
    "goemotions_text",
    "ravdess_speech",
    "emodb_2s",
    "nemo_pl",
    "urdu_ser",
    "speech_index.csv",
)


def dataset_key(path: str) -> dg.AssetKey:
    return dg.AssetKey(["datasets", path.removesuffix(".csv")])


DATASET_KEYS = [dataset_key(p) for p in DATASET_PATHS]


def missing_datasets(root: Path) -> str | None:
    """Which datasets are not in ``root``, and where to set the folder; None when all are there."""
    missing = [p for p in DATASET_PATHS if not (root / p).exists()]
    if not missing:
        return None
    return (
        f"datasets missing in {root}: {missing}; set EMOTION_PLATFORM_DATASETS_DIR "
        "(or datasets.dir in params.yaml for the DVC pipeline) to the datasets folder"
    )


def dataset_metadata(root: Path, path: str, digest: ContentHash) -> dict:
    """A dataset observation's metadata (the DVC ``prepare`` stage reports the same)."""
    return {
        "dvc_md5": digest.md5,
        "files": digest.files,
        "bytes": digest.size,
        "path": dg.MetadataValue.path(str(root / path)),
    }


@dg.multi_observable_source_asset(
    specs=[
        dg.AssetSpec(
            dataset_key(p), group_name=DATASETS_GROUP, description=f"{p} in the datasets folder", kinds={"dvc"}
        )
        for p in DATASET_PATHS
    ],
)
def labelled_datasets(context: dg.AssetExecutionContext, datasets: DatasetsResource):
    """Hash every dataset with DVC's hashing; the md5 becomes the Dagster data version."""
    missing = missing_datasets(datasets.path)
    if missing:
        raise dg.Failure(missing)
    for path in DATASET_PATHS:
        digest = dvc_content_hash(datasets.path / path)
        context.log.debug(f"{path}: {digest.md5}")
        yield dg.ObserveResult(
            asset_key=dataset_key(path),
            data_version=dg.DataVersion(digest.md5),
            metadata=dataset_metadata(datasets.path, path, digest),
        )
