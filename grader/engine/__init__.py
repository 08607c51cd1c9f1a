"""The check engine: the check API, expectations, observations and the result model.

Nothing here imports from the rest of the grader.
"""
