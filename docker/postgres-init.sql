-- A second database on the platform's PostgreSQL for the MLflow tracking store (Dagster uses "dagster").
CREATE DATABASE mlflow;
