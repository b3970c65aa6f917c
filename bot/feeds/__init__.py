"""Feeds: subscribing (with discovery), polling, and turning new entries into stored digests.

    discover.py       an address → its feed (the feed itself, or a page's <link rel="alternate">)
    parse.py          feed bytes → entries with stable keys (feedparser)
    entries.py        one new entry → a digested, stored article
    timing.py         slots spread by URL hash, backoff, Retry-After
    poller.py         due_feeds / poll_feed / poll_due → PollOutcome
    subscriptions.py  subscribe, unsubscribe, resume, list, OPML import for a channel
    opml.py           reading OPML files

The database side is bot/store/feeds.py. Nothing here is imported by `bot` itself at start-up:
importing this package pulls in feedparser and httpx.
"""
