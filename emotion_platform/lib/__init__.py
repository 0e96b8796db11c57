"""Plain library code: no Dagster imports. Assets and resources call into it."""
