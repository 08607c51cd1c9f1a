"""Instructor tools: generating stubs, the student and Gradescope bundles, calibrating thresholds."""
