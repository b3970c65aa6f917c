"""Slack: the real slack-bolt app and Web API client against the local Slack server (tests/fakes/slack_server.py)."""
