"""Human-readable views of a transcript (for Dagster metadata and the CLI)."""

from __future__ import annotations

from emotion_platform.lib.transcription.types import Transcript


def clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:05.2f}"


def transcript_markdown(transcript: Transcript, max_segments: int = 30) -> str:
    """A markdown table of the first segments, or the reason the transcript is empty."""
    if transcript.status != "ok":
        return f"**{transcript.status}**: {transcript.reason}"
    rows = ["| start | end | text | words | avg logprob | no-speech p |", "|---|---|---|---|---|---|"]
    for seg in transcript.segments[:max_segments]:
        text = seg.text.replace("|", "\\|")
        rows.append(
            f"| {clock(seg.start)} | {clock(seg.end)} | {text} | {len(seg.words)} "
            f"| {seg.avg_logprob:.2f} | {seg.no_speech_prob:.2f} |"
        )
    hidden = len(transcript.segments) - max_segments
    if hidden > 0:
        rows.append(f"\n… and {hidden} more segments")
    return "\n".join(rows)
