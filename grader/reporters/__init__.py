"""Reporters: each one a function of a :class:`grader.model.GradeResult`."""
