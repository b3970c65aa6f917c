"""Helpers that several test files share, kept here so that a test file need not import another test file."""
