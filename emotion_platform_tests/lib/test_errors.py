"""The exception tree: every error the platform raises on purpose has one root, and the drawing in
``lib/errors.py``'s docstring is the tree the classes form."""

from __future__ import annotations

import importlib
import re

from emotion_platform.lib import errors

# Where the leaves defined outside lib/errors.py live.
MODULES = [
    "emotion_platform.lib.errors",
    "emotion_platform.lib.datasets.spoken",
    "emotion_platform.lib.datasets.text",
    "emotion_platform.lib.samples",
    "emotion_platform.deployment",
    "emotion_platform.lib.whisper.models",
    "emotion_platform.lib.face.expression",
    "emotion_platform.lib.bundle",
    "emotion_platform.lib.speech.branch",
    "emotion_platform.serving.service_settings",
    "emotion_platform.serving.rate_limit",
    "emotion_platform.params",
    "emotion_platform.dvc_stages",
    "emotion_platform.serving.bento",
    "emotion_platform.serving.local_server",
]


def drawn_parents() -> dict[str, str]:
    """Each class named in the docstring's drawing -> the class it hangs under."""
    lines = errors.__doc__.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "EmotionPlatformError")
    parents, stack = {}, [(-1, "EmotionPlatformError")]
    for line in lines[start + 1 :]:
        branch = re.match(r"(\s+[│ ]*)[├└]── (\w+)", line)
        if branch is None:
            break
        depth, name = len(branch.group(1)), branch.group(2)
        while stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def find_class(name: str) -> type:
    for module in MODULES:
        found = getattr(importlib.import_module(module), name, None)
        if isinstance(found, type):
            return found
    raise AssertionError(f"{name} is drawn in lib/errors.py but defined in none of {MODULES}")


def test_the_drawing_is_the_tree() -> None:
    parents = drawn_parents()
    assert {"MediaRejected", "Unavailable", "ModelFileError", "ConfigError", "StepFailed", "NoChampion"} <= set(parents)
    for name, parent in parents.items():
        assert find_class(name).__bases__ == (find_class(parent),), name


def test_every_platform_error_is_drawn() -> None:
    for module in MODULES:
        for name, value in vars(importlib.import_module(module)).items():
            if isinstance(value, type) and issubclass(value, errors.EmotionPlatformError):
                assert name == "EmotionPlatformError" or name in drawn_parents(), f"{module}.{name} is not drawn"


def test_no_champion_says_which_model_where_and_what_to_do() -> None:
    error = errors.NoChampion("emotion-model", "champion", "sqlite:///m.db", "nothing to serve")
    assert str(error) == (
        "no version of 'emotion-model' has the alias 'champion' at sqlite:///m.db: nothing to serve; "
        "train and promote a model first (emotion-platform train, or the Dagster job train_and_promote)"
    )
    previous = errors.NoChampion("emotion-model", "previous-champion", "sqlite:///m.db", "nothing to roll back to")
    assert "newer one is promoted over it" in str(previous)
    assert isinstance(previous, errors.Unavailable)
