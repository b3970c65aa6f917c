"""Who runs a command and where: the `Caller` (may they change the channel?) and the terminal's channel.

Who may change a channel (its feeds, its schedule, its named admins, posting its digest now) is
decided once, in `bot.commands.dispatch`: the declaration says which forms of a command change the
channel, and the platform says whether the person typing may (`Caller.can_manage`: Slack asks the
workspace, Discord has checked Manage Channels, the terminal's operator always may). Reading stays
open to everyone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..app import Newsdigest
from ..store import channels as channel_store
from ..store.channels import ChannelRef


class Caller(BaseModel):
    """The person who typed a command, as far as the commands need to know."""

    model_config = ConfigDict(frozen=True)

    can_manage: bool  # may change the channel: decided by the platform (see the module's docstring)
    user_id: str | None = None  # the platform's id of the person, kept as who named an admin


# The terminal's operator, and code that calls the commands for them: allowed everything. Chat
# adapters pass the person's own Caller.
OPERATOR = Caller(can_manage=True)

TERMINAL = ChannelRef(platform="terminal", external_id="local", name="terminal")


def tenant_of(app: Newsdigest, channel: ChannelRef) -> str:
    """The workspace whose articles a command in `channel` sees and adds to. A stored channel that did
    not know its workspace yet learns it here, so that its feeds are shared with that workspace."""
    channel_store.learn_workspace(app.store, channel)
    return channel.tenant
