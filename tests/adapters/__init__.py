"""Tests of adapters/: the runner, health routes and the platform seam here; each platform in its folder."""
