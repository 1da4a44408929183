"""Standalone certificate checker: standard library and mpmath only; imports nothing of implicitreg."""
