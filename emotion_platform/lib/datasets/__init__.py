"""Loading the labelled datasets (read in place, never copied) into one table, and splitting it."""
