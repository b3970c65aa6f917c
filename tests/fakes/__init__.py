"""Local stand-ins for what the bot talks to: Slack and Discord servers, a TCP proxy, feeds and pages."""
