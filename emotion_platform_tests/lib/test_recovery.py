"""Sweeping the temporary files of writers that died, and only theirs."""

import os
import subprocess
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.lib.recovery import orphan_writer_pid, process_alive, sweep_orphans


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    (tmp_path / "transcripts").mkdir()
    orphan_file = tmp_path / "transcripts" / f".abc.json.tmp-{dead}-0123abcd"
    orphan_dir = tmp_path / f".frames.tmp-{dead}-89abcdef"
    in_progress = tmp_path / "transcripts" / f".def.json.tmp-{alive}-0123abcd"
    finished = atomic.write_text(tmp_path / "transcripts" / "abc.json", "{}")
    lookalike = tmp_path / ".notes.tmp-plain"
    orphan_file.write_text("{")
    (orphan_dir / "inner").mkdir(parents=True)
    in_progress.write_text("{")
    lookalike.write_text("kept")

    removed = sweep_orphans(tmp_path)

    assert sorted(removed) == sorted([orphan_file, orphan_dir])
    assert in_progress.exists() and finished.exists() and lookalike.exists()
    assert not orphan_file.exists() and not orphan_dir.exists()


def test_writer_pid_is_read_from_the_temporary_name(tmp_path: Path) -> None:
    with atomic.atomic_path(tmp_path / "out.bin") as tmp:
        assert orphan_writer_pid(tmp) == os.getpid()
        tmp.write_bytes(b"x")
    assert orphan_writer_pid(tmp_path / "out.bin") is None
    assert process_alive(os.getpid()) and not process_alive(_dead_pid()) and not process_alive(0)


def test_a_missing_root_sweeps_nothing(tmp_path: Path) -> None:
    assert sweep_orphans(tmp_path / "absent") == []


def test_a_writer_killed_at_its_stage_leaves_only_a_temporary_that_is_swept(tmp_path: Path) -> None:
    import signal
    import sys

    script = (
        "import sys; from pathlib import Path; from emotion_platform.lib import atomic; "
        "atomic.write_json(Path(sys.argv[1]) / 'bundle' / 'spec.json', {'layers': 6}, stage='training')"
    )
    env = {**os.environ, "EMOTION_PLATFORM_CRASH_AT": "training"}
    killed = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "bundle" / "spec.json").exists()
    (orphan,) = (tmp_path / "bundle").iterdir()
    assert orphan_writer_pid(orphan) is not None
    assert sweep_orphans(tmp_path) == [orphan]
    # Another stage's crash point does not fire, and without the variable nothing does.
    for env in ({**os.environ, "EMOTION_PLATFORM_CRASH_AT": "evaluation"}, os.environ):
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True)
        assert done.returncode == 0 and (tmp_path / "bundle" / "spec.json").read_text().strip().startswith("{")
