"""Files and tables of the model assets: parquet written atomically, tables as Markdown metadata."""

from pathlib import Path

import pandas as pd

from emotion_platform.lib import atomic


def write_parquet(df: pd.DataFrame, dest: Path) -> Path:
    with atomic.atomic_path(dest) as tmp:
        df.to_parquet(tmp, index=False)
    return dest


def table_md(df: pd.DataFrame) -> str:
    return df.to_markdown() if hasattr(df, "to_markdown") else df.to_string()
