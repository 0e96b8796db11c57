"""Tables of the model assets as Markdown metadata."""

import pandas as pd


def table_md(df: pd.DataFrame) -> str:
    return df.to_markdown() if hasattr(df, "to_markdown") else df.to_string()
