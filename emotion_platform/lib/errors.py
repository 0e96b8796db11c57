"""The platform's exception tree: every error it raises on purpose is an :class:`EmotionPlatformError`.

Callers catch a branch (``except Unavailable``), the CLI prints any of them as one line, and the
leaves keep their own names where they are raised. The intermediate classes and the media errors
live here; a leaf specific to one module is defined there, on a base from here (its module is named
after it below). Nothing here imports the rest of the platform, so any module can raise these.

    EmotionPlatformError
    ├── MediaRejected                  a file the platform will not process (a stable ``code``, the file, why)
    │   ├── EmptyMedia                 (code "empty")
    │   ├── MediaTooLarge              (code "too_large")
    │   ├── MediaTooLong               (code "too_long")
    │   ├── MediaTooShort              (code "too_short")
    │   ├── UnsupportedMedia           (code "not_media")
    │   ├── NoMediaStreams             (code "no_streams")
    │   ├── CorruptMedia               (code "corrupt")
    │   ├── MediaOverLimits            (code "over_limits")
    │   └── UnsafeMediaPath            (code "unsafe_path")
    ├── StorageFull                    (code "storage_full": the platform's disk, not the file, is at fault)
    ├── Unavailable                    something the platform needs is not installed or not there
    │   ├── ToolMissing                an external program (ffmpeg, ffprobe)
    │   │   └── SynthesizerMissing     espeak-ng                       (lib.datasets.spoken)
    │   ├── DatasetMissing             a labelled dataset               (lib.datasets.text)
    │   ├── SampleUnavailable          a sample medium or its hash      (lib.samples)
    │   ├── ExecutorUnavailable        the configured Dagster executor  (deployment)
    │   └── NoChampion                 no model version under an alias  (raised by lib.tracking.ModelRegistry.require)
    ├── ModelFileError                 model weights or a bundle that cannot be used as they are
    │   ├── ModelIntegrityError        Whisper weights off their pinned hash   (lib.whisper.models)
    │   ├── ModelFileMismatch          face weights missing or not pinned      (lib.face.expression)
    │   ├── OutdatedBundle             a bundle from an earlier version         (lib.bundle)
    │   └── IncompatibleFeatures       embeddings of another encoder spec       (lib.speech.branch)
    ├── ConfigError                    settings the platform refuses to start with
    │   ├── ServingConfigError         the service's settings                   (serving.service_settings)
    │   ├── ParamsError                params.yaml missing or lacking a section (params)
    │   └── RateLimitConfigError       a rate that does not read as count/period (serving.rate_limit)
    ├── TrainingDataError              labelled data the platform will not train on
    │   └── SpeakerLeak                a speaker in two splits                  (lib.datasets.splits)
    └── StepFailed                     a step the platform ran failed; the message carries its output
        ├── StageError                 a DVC stage                              (dvc_stages)
        ├── BentoBuildFailed           ``bentoml build`` or the import before it (serving.bento)
        └── ServerFailed               a local ``bentoml serve``                (serving.local_server)

Every rejection of user input is a :class:`MediaRejected` with a stable machine-readable ``code``,
the offending file and a sentence a person can act on. The serving edge maps codes to HTTP
statuses; the ingestion stage writes them into quarantine records and asset metadata.
"""

from __future__ import annotations

from pathlib import Path


class EmotionPlatformError(Exception):
    """Base class of every error the platform raises on purpose."""


class MediaRejected(EmotionPlatformError):
    """A media file the platform will not process, with the reason."""

    code = "rejected"

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name!r} rejected ({self.code}): {reason}")


class EmptyMedia(MediaRejected):
    code = "empty"


class MediaTooLarge(MediaRejected):
    code = "too_large"


class MediaTooLong(MediaRejected):
    code = "too_long"


class MediaTooShort(MediaRejected):
    code = "too_short"


class UnsupportedMedia(MediaRejected):
    code = "not_media"


class NoMediaStreams(MediaRejected):
    code = "no_streams"


class CorruptMedia(MediaRejected):
    code = "corrupt"


class MediaOverLimits(MediaRejected):
    """Media beyond what the platform decodes: frame size, channels, sample rate, streams, decode time."""

    code = "over_limits"


class UnsafeMediaPath(MediaRejected):
    code = "unsafe_path"


class StorageFull(EmotionPlatformError):
    """The disk that should hold an artifact has no room left. Not the media's fault: nothing is
    quarantined; the work fails now and runs again once there is room (the recovery path)."""

    code = "storage_full"

    def __init__(self, path: Path | str, detail: str = "") -> None:
        self.path = Path(path)
        self.reason = (
            f"the disk holding {self.path.parent} is full"
            + (f" ({detail})" if detail else "")
            + "; free space there and the work is picked up again"
        )
        super().__init__(self.reason)


class Unavailable(EmotionPlatformError):
    """Something the platform needs is not installed or not where the settings say: a tool, a dataset,
    a sample, an executor, a model under an alias. The message says how to provide it."""


class ToolMissing(Unavailable):
    """An external program the platform needs (ffmpeg, ffprobe) is not installed."""


class NoChampion(Unavailable):
    """No version of a registered model has the alias asked for (``champion``, ``previous-champion``...).

    Raised by :meth:`emotion_platform.lib.tracking.ModelRegistry.require` for serving, packaging and
    rollback alike; ``purpose`` says what could not be done without it.
    """

    def __init__(self, name: str, alias: str, tracking_uri: str, purpose: str) -> None:
        self.name, self.alias, self.tracking_uri, self.purpose = name, alias, tracking_uri, purpose
        super().__init__(
            f"no version of {name!r} has the alias {alias!r} at {tracking_uri}: {purpose}; {self.remedy()}"
        )

    def remedy(self) -> str:
        if self.alias == "previous-champion":
            return "a version becomes previous-champion when a newer one is promoted over it (emotion-platform train)"
        return "train and promote a model first (emotion-platform train, or the Dagster job train_and_promote)"


class ModelFileError(EmotionPlatformError):
    """Model weights or a saved bundle that cannot be used as they are: off their pinned hash, missing,
    saved by an earlier version, or computed for another encoder. The message says what to redo."""


class ConfigError(EmotionPlatformError):
    """Settings the platform refuses to start with; the message names the setting and what it accepts."""


class TrainingDataError(EmotionPlatformError):
    """Labelled data the platform will not train on; the message says what is wrong with it."""


class StepFailed(EmotionPlatformError):
    """A step the platform ran (a DVC stage, a Bento build, a local server) failed; the message carries
    the step's own output or the reason it could not run."""
