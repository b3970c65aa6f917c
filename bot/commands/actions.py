"""Command buttons (bot.views.Action) as the text a platform carries back when one is clicked: the
command and its typed options as compact JSON (a Slack button's value, a Discord component's
custom_id), and that text read back into the invocation dispatch runs."""

from __future__ import annotations

from typing import Union

from pydantic import BaseModel, Field, ValidationError

from ..views import Action
from .declaration import Invocation


class ActionValue(BaseModel):
    command: str = Field(max_length=100)
    subcommand: str | None = Field(default=None, max_length=100)
    options: dict[str, Union[bool, str]] = Field(default_factory=dict)


def action_value(action: Action) -> str:
    return ActionValue(command=action.command, subcommand=action.subcommand,
                       options=dict(action.options)).model_dump_json(exclude_none=True)


def action_invocation(value: object) -> Invocation | None:
    """The invocation a clicked button carries (as typed options, like Discord's); None when the
    text is not one the bot wrote."""
    if not isinstance(value, str):
        return None
    try:
        parsed = ActionValue.model_validate_json(value)
    except ValidationError:
        return None
    return Invocation(command=parsed.command, subcommand=parsed.subcommand, options=parsed.options, form="options")
