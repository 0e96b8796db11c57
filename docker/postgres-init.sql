-- More databases on the platform's PostgreSQL (Dagster uses "dagster"): the MLflow tracking store, and
-- the web page's analyses and reviewer corrections.
CREATE DATABASE mlflow;
CREATE DATABASE emotion_history;
