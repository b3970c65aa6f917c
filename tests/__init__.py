"""The test suite: folders mirror the packages (digests/, bot/, adapters/<platform>/); the local stand-ins
for Slack, Discord and the sites are in fakes/, helpers shared by several test files in helpers/."""
