"""Drift monitoring: compact profile columns, the reference profile, Evidently reports, retraining triggers.

columns.py    one function computes the profile columns of any examples (training data or new media)
reference.py  the reference profile of a model version (columns + the fitted embedding reduction)
inputs.py     profile inputs from dataset examples and from predicted media segments
stattests.py  a two-sample chi-squared test registered with Evidently
report.py     the drift policy, the Evidently report and the numbers extracted from it
trigger.py    which failing drift checks start a retraining run (run keys, cooldown)
mlflow_runs.py  drift reports as MLflow runs; reference profiles beside the model version
"""
