"""The text branch: the shipped MiniLM encoder fine-tuned for 7-way emotion classification."""
