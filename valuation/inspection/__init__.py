"""Inspection at the center by GB/T 30323-2013: the checklist as data, the score, the grade, the report."""
