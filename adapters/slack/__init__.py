"""The Slack platform: `render` (Block Kit, pure), `app` (the slack-bolt AsyncApp and its commands),
`poster` (scheduled digests through the Web API), `installations` (OAuth installs in the bot's
database), `settings` (its NEWSDIGEST_SLACK_* variables) and `main` (`SlackPlatform`, what
`newsdigest run slack` serves). `manifest.yml` creates the app in Slack."""
