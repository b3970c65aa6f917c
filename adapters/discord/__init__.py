"""Discord: application commands and digest embeds on discord.py.

`render` turns a `Reply` or a `Digest` into embeds within Discord's limits (pure functions);
`client` holds the discord.py client and its command tree; `poster` posts digests to channels for
the scheduler; `main.DiscordPlatform` is what `newsdigest run discord` serves.
"""
