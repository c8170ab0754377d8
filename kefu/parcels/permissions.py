"""Who may do what with early warnings and scan imports: one place, read by the web
pages, the API and the services alike. *Which* warnings a user sees is scope, in
`selectors.warnings_visible_to` (404 outside it).

- acting on a warning (收到, a reason): its courier, or CS staff of its point;
- the board: CS staff and department heads of the point (an agent sees their areas);
- importing scans (the upload page and POST /api/scans): the point's owner, director,
  manager, supervisors, team leads and department heads — not agents, who would
  otherwise create unconfirmed couriers and areas.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from kefu.orgs.models import CS_ROLES, LEAD_ROLES, POINT_WIDE_ROLES, Role, User

# Roles whose scope is the whole point (selectors.warnings_visible_to).
POINT_SCOPE_ROLES = POINT_WIDE_ROLES | LEAD_ROLES | {Role.DEPT_HEAD}
BOARD_ROLES = POINT_SCOPE_ROLES | {Role.AGENT}
SCAN_IMPORT_ROLES = POINT_SCOPE_ROLES


def require(allowed: bool) -> None:
    """Raise PermissionDenied unless `allowed` (the caller answers 403)."""
    if not allowed:
        raise PermissionDenied


def can_view_board(user: User) -> bool:
    return user.point_id is not None and user.role in BOARD_ROLES


def can_import_scans(user: User) -> bool:
    return (user.is_authenticated and user.is_active and user.point_id is not None
            and user.role in SCAN_IMPORT_ROLES)


def can_act_on(user: User, warning) -> bool:
    """The warning's courier, or CS staff of the warning's point."""
    if user.point_id != warning.point_id:
        return False
    return warning.courier_id == user.pk or user.role in CS_ROLES


def check_act_on(actor: User, warning) -> None:
    """For services: raise PermissionDenied unless `actor` may act on `warning`."""
    require(can_act_on(actor, warning))
