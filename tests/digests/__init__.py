"""Tests of digests/: the engine and its stages, on texts written for the tests."""
