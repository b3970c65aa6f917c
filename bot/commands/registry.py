"""The declaration of every command, in the order help lists them. A new command: its module, and
one entry here."""

from __future__ import annotations

# Each module's COMMAND by its own name: the package re-exports functions called like the modules.
from .channel import COMMAND as NEWSDIGEST
from .declaration import Declaration
from .digest import COMMAND as DIGEST
from .dispute import COMMAND as DISPUTE
from .help import COMMAND as HELP
from .quotes import COMMAND as QUOTES
from .story import COMMAND as STORY
from .who_said import COMMAND as WHO_SAID

DECLARATION = Declaration(commands=(DIGEST, DISPUTE, WHO_SAID, QUOTES, NEWSDIGEST, HELP, STORY))
