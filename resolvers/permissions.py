"""The viewer of a request and the one table of what each role may do."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from db.enums import RepVisibility, Role
from resolvers.errors import Forbidden


class Permission(enum.Enum):
    MANAGE_STAFF = "manage staff"
    MANAGE_COMPANY = "change company settings"
    BULK_UPDATE = "run bulk updates"
    REVERT_BULK_OPERATION = "revert bulk operations"
    DELETE_CUSTOMER = "delete customers"
    MANAGE_PRODUCTS = "manage products"
    EDIT_ANY_INTERACTION = "edit or delete other staff members' interactions"
    VIEW_AUDIT_LOG = "read the company audit log"
    VIEW_REPORTS = "read company reports"
    RECORD_REFUNDS_AND_ADJUSTMENTS = "record refunds or adjustments"
    OVERRIDE_CREDIT_LIMIT = "override credit limits"
    SET_CREDIT_LIMIT = "set credit limits"
    EDIT_ANY_TASK = "delete other staff members' tasks"


# The one permission table: what each role may do beyond reading and editing customers.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(Permission) - {Permission.MANAGE_STAFF, Permission.MANAGE_COMPANY},
    Role.REP: frozenset({Permission.VIEW_REPORTS}),
}


@dataclass(frozen=True)
class Viewer:
    """The authenticated staff member a request acts as."""

    staff_id: int
    company_id: int
    role: Role
    name: str
    token_id: int
    company_timezone: str = "UTC"
    rep_visibility: RepVisibility = RepVisibility.ALL_CUSTOMERS

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"Your role ({self.role.value}) may not {permission.value}.")
