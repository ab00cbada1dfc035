"""Diagnoses shared by many rules, written once and called with parameters."""
