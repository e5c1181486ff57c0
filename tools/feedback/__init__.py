"""The feedback loop: hard-negative mining, embedding adapters, their evaluation."""
