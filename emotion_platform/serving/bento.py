"""Packing the champion into a Bento: import it into the BentoML model store, then build the Bento.

    python -m emotion_platform.serving.bento --tracking-uri sqlite:///data/mlflow/mlflow.db \
        [--export docker/build/emotion_classifier.bento]

Runs in its own process so that ``BENTOML_HOME`` (the store) is read from the environment at
BentoML's import; prints one JSON line with the Bento tag, the model tag and the MLflow version.
The ``emotion_bento`` asset calls it that way (:func:`build_champion_bento`). ``--export`` writes
the built Bento to one file (what ``docker/Dockerfile.bento`` imports); a relative path is taken
from the current directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from emotion_platform.lib.errors import StepFailed
from emotion_platform.lib.faults import crash_point
from emotion_platform.serving.model import BUNDLE_SUBDIR, SOURCE_FILE
from emotion_platform.settings import PROJECT_ROOT

BENTO_MODEL_NAME = "emotion-model"
BENTOFILE = PROJECT_ROOT / "bentofile.yaml"


@dataclass(frozen=True)
class BuiltBento:
    bento_tag: str
    model_tag: str
    mlflow_version: str
    model_uri: str
    bento_path: str


class BentoBuildFailed(StepFailed):
    """``bentoml build`` (or the import before it) failed; carries its output."""


def import_champion(tracking_uri: str, registered_name: str, alias: str = "champion") -> tuple[str, str, str]:
    """Copy the bundle behind ``models:/<name>@<alias>`` into the BentoML store (once per version).

    Returns (BentoML model tag, MLflow version, MLflow URI of that version).
    """
    import bentoml
    from bentoml.exceptions import NotFound

    from emotion_platform.lib.tracking import ModelRegistry, download_registered_bundle

    version = ModelRegistry(tracking_uri, registered_name).require(alias, "nothing to package")
    model_uri = f"models:/{registered_name}/{version.version}"
    tag = f"{BENTO_MODEL_NAME}:v{version.version}"
    try:
        bentoml.models.get(tag)
        return tag, str(version.version), model_uri
    except NotFound:
        pass
    bundle_dir = download_registered_bundle(tracking_uri, model_uri)
    source = {
        "name": registered_name,
        "version": str(version.version),
        "uri": model_uri,
        "alias": alias,
        "tracking_uri": tracking_uri,
    }
    with bentoml.models.create(
        tag, labels={"mlflow_version": str(version.version), "alias": alias}, metadata=source
    ) as model:
        shutil.copytree(bundle_dir, Path(model.path) / BUNDLE_SUBDIR)
        (Path(model.path) / SOURCE_FILE).write_text(json.dumps(source, indent=2))
        crash_point("bento_build")  # before BentoML commits the model to its store
    return tag, str(version.version), model_uri


def build(tracking_uri: str, registered_name: str, alias: str = "champion", bentofile: Path = BENTOFILE) -> BuiltBento:
    """Import the champion and build the Bento that carries it (in this process's BENTOML_HOME)."""
    import bentoml

    model_tag, version, model_uri = import_champion(tracking_uri, registered_name, alias)
    bento = bentoml.bentos.build_bentofile(
        str(bentofile),
        build_ctx=str(bentofile.parent),
        args={"bento_model": model_tag},
        labels={"mlflow_model": registered_name, "mlflow_version": version},
    )
    return BuiltBento(str(bento.tag), model_tag, version, model_uri, str(bento.path))


def export(bento_tag: str, path: Path) -> Path:
    """Write the Bento ``bento_tag`` to the file ``path`` (absolute or relative to the current
    directory): exported under a temporary name beside it, then renamed, so an interrupted export
    never leaves a truncated file where the image build looks for one."""
    import bentoml

    target = Path(path).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.partial.bento")
    try:
        bentoml.bentos.export_bento(bento_tag, str(partial), output_format="bento")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def build_champion_bento(
    tracking_uri: str, registered_name: str, bentoml_home: Path, alias: str = "champion", timeout_s: float = 900.0
) -> BuiltBento:
    """:func:`build` in a fresh process whose BentoML store is ``bentoml_home``."""
    from emotion_platform.lib.tracking import ModelRegistry

    ModelRegistry(tracking_uri, registered_name).require(alias, "nothing to package")
    env = os.environ | {
        "BENTOML_HOME": str(bentoml_home),
        "BENTOML_DO_NOT_TRACK": "true",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [
        sys.executable,
        "-m",
        "emotion_platform.serving.bento",
        "--tracking-uri",
        tracking_uri,
        "--registered-model",
        registered_name,
        "--alias",
        alias,
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s, cwd=PROJECT_ROOT)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise BentoBuildFailed(f"bento build failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return BuiltBento(**json.loads(lines[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--registered-model", default="emotion-model")
    parser.add_argument("--alias", default="champion")
    parser.add_argument("--bentofile", type=Path, default=BENTOFILE)
    parser.add_argument(
        "--export",
        type=Path,
        default=None,
        help="also write the built Bento to this file (e.g. docker/build/emotion_classifier.bento)",
    )
    args = parser.parse_args(argv)
    built = build(args.tracking_uri, args.registered_model, args.alias, args.bentofile)
    if args.export is not None:
        print(f"exported {built.bento_tag} to {export(built.bento_tag, args.export)}", file=sys.stderr)
    print(json.dumps(asdict(built)))


if __name__ == "__main__":
    main()
