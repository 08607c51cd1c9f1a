"""Reporters: each one a function of a :class:`grader.engine.model.GradeResult`."""
