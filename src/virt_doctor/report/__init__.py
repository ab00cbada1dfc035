"""Findings and the report, one to one with the JSON contract, and their renderers."""
