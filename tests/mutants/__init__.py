"""Realistic wrong implementations, one module per exercise.

Each module defines ``MUTANTS``: name -> (check that must fail, source code).
The source is appended to the reference solution, so it redefines just the
function or class that goes wrong.
"""
