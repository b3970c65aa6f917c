"""Tests of bot/: the store, feeds, delivery, the commands' logic and the service, with real databases."""
