"""The users and user groups a workspace's admins named as allowed to change its channels.

Kept per (platform, workspace): a Slack team id names the workspace. The platform's own admins and
owners need no row; these are the people they added with `/newsdigest admins add`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .db import changed_rows
from .schema import WorkspaceAdminRow
from .store import Store

Kind = Literal["user", "group"]


class NamedAdmin(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Kind
    member_id: str  # the platform's id: a Slack user (U…/W…) or user group (S…)
    added_by: str | None = None


def add(store: Store, platform: str, workspace: str, admin: NamedAdmin) -> bool:
    """True when `admin` was not named yet in this workspace."""
    try:
        with store.session() as s:
            s.add(WorkspaceAdminRow(platform=platform, workspace=workspace, kind=admin.kind,
                                    member_id=admin.member_id, added_by=admin.added_by))
            s.flush()
    except IntegrityError:
        return False
    return True


def remove(store: Store, platform: str, workspace: str, member_id: str) -> bool:
    """True when `member_id` was named and is no longer."""
    with store.session() as s:
        result = s.execute(delete(WorkspaceAdminRow).where(
            WorkspaceAdminRow.platform == platform, WorkspaceAdminRow.workspace == workspace,
            WorkspaceAdminRow.member_id == member_id).execution_options(synchronize_session=False))
        return bool(changed_rows(result))


def named(store: Store, platform: str, workspace: str) -> list[NamedAdmin]:
    """The workspace's named admins, in the order they were added."""
    with store.session() as s:
        rows = s.scalars(select(WorkspaceAdminRow).where(WorkspaceAdminRow.platform == platform,
                                                         WorkspaceAdminRow.workspace == workspace)
                         .order_by(WorkspaceAdminRow.id))
        return [NamedAdmin(kind=r.kind, member_id=r.member_id, added_by=r.added_by) for r in rows]  # type: ignore[arg-type]
