"""merge the two search migrations (0002 customers/contacts/locations, 0003 orders)

Both were written in parallel on top of 0001; this joins them into one head.

Revision ID: 0004
Revises: 0002, 0003
"""

revision = "0004"
down_revision = ("0002", "0003")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
