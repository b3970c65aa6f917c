"""Discord: the real discord.py client against the local Discord server (tests/fakes/discord_server.py)."""
