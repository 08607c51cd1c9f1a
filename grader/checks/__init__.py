"""Public checks: one module per exercise, each defining ``EXERCISE``."""
