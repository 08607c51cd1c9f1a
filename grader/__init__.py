"""The autograder of the PyTorch exercise kit.

``pytest exercises`` runs the public checks in-process (see
:mod:`grader.frontends.pytest_plugin`); ``python -m grader`` grades submissions in
isolated child processes (see :mod:`grader.frontends.cli`).
"""
