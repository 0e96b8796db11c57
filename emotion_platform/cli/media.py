"""Media commands: gather samples, ingest the inbox, predict emotions, list the quarantine, the demo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click
from rich.table import Table

from emotion_platform.cli import console, main
from emotion_platform.cli.models import _train
from emotion_platform.settings import get_settings


@main.command()
@click.option("--dest", type=click.Path(path_type=Path), default=None, help="Default: <data>/samples.")
def samples(dest: Path | None) -> None:
    """Gather the real sample media (LibriVox speech, a conversation, two videos), hash-checked."""
    from emotion_platform.lib.samples import gather_all

    dest = dest or get_settings().data_dir / "samples"
    for name, path in sorted(gather_all(dest).items()):
        console.print(f"  {name:<28} {path}")


def _print_summary(keys: list[str]) -> None:
    import dagster as dg

    from emotion_platform.lib.media.store import MediaStore
    from emotion_platform.lib.transcription.types import Transcript
    from emotion_platform.runs import latest_value_metadata

    instance = dg.DagsterInstance.get()
    store = MediaStore(get_settings().data_dir)
    table = Table(title="media partitions")
    for column in ("media id", "status", "duration s", "audio/video", "transcript", "text (start)"):
        table.add_column(column, overflow="fold")
    for key in keys:
        media = latest_value_metadata(instance, "media", key)
        trans = latest_value_metadata(instance, "transcripts", key)
        path = store.transcript_path(key)  # the transcripts asset's record
        text = ""
        if path.exists():
            transcript = Transcript.load(path)
            text = transcript.text[:70] or (transcript.reason or "")[:70]
        av = f"{'A' if media.get('has_audio') else '-'}/{'V' if media.get('has_video') else '-'}"
        status = media.get("status", "?")
        if status != "ready":
            status = f"{status}: {media.get('reason_code')}"
        table.add_row(key, status, str(media.get("duration_s", "")), av, str(trans.get("status", "")), text)
    console.print(table)


def _print_quarantine() -> None:
    from emotion_platform.lib.media.quarantine import list_quarantined
    from emotion_platform.lib.media.store import MediaStore

    records = list_quarantined(MediaStore(get_settings().data_dir))
    if not records:
        console.print("quarantine: empty")
        return
    table = Table(title=f"quarantine ({get_settings().data_dir / 'quarantine'})")
    for column in ("file", "stage", "code", "reason"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(r["original_name"], r["stage"], r["code"], r["reason"])
    console.print(table)


@main.command()
def ingest() -> None:
    """Admit new inbox files and run the media pipeline for each (same code as the sensor)."""
    _ingest()


def _ingest() -> list[str]:
    import dagster as dg

    from emotion_platform.definitions import defs
    from emotion_platform.instance import ensure_dagster_home
    from emotion_platform.runs import ingest_inbox, known_media

    ensure_dagster_home()
    settings = get_settings()
    settings.inbox.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.get() as instance:
        console.print(f"inbox: {settings.inbox}")
        outcome = ingest_inbox(defs, instance)
        if outcome.skip_reason:
            console.print(f"sensor: {outcome.skip_reason}")
        console.print(
            f"new media partitions: {len(outcome.new_partitions)}; runs: {len(outcome.run_ids)}; "
            f"failed runs: {len(outcome.failed)}"
            + (f"; unfinished partitions run again: {len(outcome.recovered)}" if outcome.recovered else "")
        )
        keys = known_media(instance)
    _print_summary(keys)
    _print_quarantine()
    if outcome.failed:
        raise click.ClickException(f"runs failed for: {', '.join(outcome.failed)}")
    return keys


def _predict() -> None:
    import dagster as dg

    from emotion_platform.definitions import defs
    from emotion_platform.instance import ensure_dagster_home
    from emotion_platform.runs import known_media, latest_value_metadata, predict_all

    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        keys = [
            k for k in known_media(instance) if latest_value_metadata(instance, "media", k).get("status") == "ready"
        ]
        outcome = predict_all(defs, instance, keys)
        table = Table(title="media emotions (champion model)")
        for column in ("media id", "dominant", "confidence", "segments", "distribution or reason"):
            table.add_column(column, overflow="fold")
        for key in keys:
            meta = latest_value_metadata(instance, "media_emotions", key)
            dist = meta.get("distribution") or {}
            top = ", ".join(f"{e} {p:.2f}" for e, p in sorted(dist.items(), key=lambda x: -x[1])[:3])
            confidence = meta.get("confidence")
            table.add_row(
                key,
                str(meta.get("dominant", "failed" if not outcome[key] else "")),
                "" if confidence is None or confidence != confidence else f"{confidence:.2f}",
                str(meta.get("segments", "")),
                top or str(meta.get("reason", "")),
            )
    console.print(table)
    if not all(outcome.values()):
        raise click.ClickException(f"prediction failed for {[k for k, ok in outcome.items() if not ok]}")


@main.command()
def predict() -> None:
    """Emotions of every ingested media file, from the champion model."""
    _predict()


@main.command("quarantine")
def quarantine_cmd() -> None:
    """List rejected files and the reason for each."""
    _print_quarantine()


@main.command()
def demo() -> None:
    """End to end on real sample media: gather samples, drop them in the inbox, ingest, summarise."""
    from emotion_platform.lib.samples import gather_all

    settings = get_settings()
    settings.inbox.mkdir(parents=True, exist_ok=True)
    gathered = gather_all(settings.data_dir / "samples")
    for name, path in gathered.items():
        if path.suffix in {".wav", ".mp4"} and not (settings.inbox / name).exists():
            shutil.copy2(path, settings.inbox / name)  # keeps the old mtime: the file has settled
    broken = settings.inbox / "broken_upload.mp4"
    if not broken.exists():
        data = gathered["talking_head.mp4"].read_bytes()
        broken.write_bytes(data[: len(data) // 3])  # an upload cut off midway, to show quarantine
        settled = broken.stat().st_mtime - 60
        os.utime(broken, (settled, settled))
    _ingest()
    from emotion_platform.lib.gate import GateConfig
    from emotion_platform.lib.tracking import ModelRegistry

    champion = ModelRegistry(settings.tracking_uri, settings.registered_model).champion()
    if champion is None:
        console.print(
            "\n[bold]Training[/] a short configuration; the demo gates it with a 0.35 weighted-F1 floor "
            f"(the deployment floor is {GateConfig().min_weighted_f1}, met by `emotion-platform train --full`)"
        )
        _train(short=True, min_weighted_f1=0.35)
    else:
        console.print(
            f"\nchampion: {settings.registered_model} version {champion.version} "
            "(`emotion-platform train` trains a new candidate)"
        )
    _predict()
    home = os.environ["DAGSTER_HOME"]
    console.print(
        "\n[bold]Where to look[/]\n"
        f"  artifacts:   {settings.data_dir}  (media/, transcripts/, quarantine/)\n"
        f"  Dagster UI:  make ui   (runs `dagster dev -w workspace.yaml` with DAGSTER_HOME={home}),\n"
        "               then open http://127.0.0.1:3000 -> Assets -> media, transcripts, models, predictions\n"
        f"  MLflow UI:   make mlflow-ui  (runs, metrics, confusion matrices, model versions and aliases)\n"
        f"  more media:  drop files into {settings.inbox} and run `make ingest` (or let the sensor pick them up)"
    )
