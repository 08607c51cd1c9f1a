"""Front ends over one engine: the pytest plugin and the command line (``python -m grader``)."""
