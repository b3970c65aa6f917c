"""The terminal: the installed `newsdigest` command line, run as a separate process."""
