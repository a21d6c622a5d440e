"""book: follow-up tasks, customer tags, saved views, whom an interaction was with

New tables tasks, customer_tags and saved_views; interactions gain contact_id and
location_id. Nothing to backfill: existing interactions name nobody, and no customer has
tags, tasks or saved views yet. tasks.customer_id and customer_tags.customer_id are plain
foreign keys, so a customer merge moves both with one UPDATE each.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import db.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("location_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_interactions_contact_id_contacts"),
            "contacts",
            ["contact_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            op.f("fk_interactions_location_id_locations"),
            "locations",
            ["location_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_index(
        "ix_customers_company_last_interaction",
        "customers",
        ["company_id", "last_interaction_at", "id"],
    )

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("completed_at", db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        *_timestamps(),
        _fk("tasks", "company_id", "companies", "CASCADE"),
        _fk("tasks", "customer_id", "customers", "CASCADE"),
        _fk("tasks", "contact_id", "contacts", "SET NULL"),
        _fk("tasks", "location_id", "locations", "SET NULL"),
        _fk("tasks", "interaction_id", "interactions", "SET NULL"),
        _fk("tasks", "assignee_id", "staff", "RESTRICT"),
        _fk("tasks", "completed_by_id", "staff", "SET NULL"),
        _fk("tasks", "created_by_id", "staff", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(
        "ix_tasks_company_status_due", "tasks", ["company_id", "status", "due_on", "id"]
    )
    op.create_index(
        "ix_tasks_customer_status_due", "tasks", ["customer_id", "status", "due_on", "id"]
    )
    op.create_index(
        "ix_tasks_company_assignee_status",
        "tasks",
        ["company_id", "assignee_id", "status", "due_on"],
    )

    op.create_table(
        "customer_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("tag_key", sa.String(length=40), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("customer_tags", "company_id", "companies", "CASCADE"),
        _fk("customer_tags", "customer_id", "customers", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_tags")),
        sa.UniqueConstraint(
            "customer_id", "tag_key", name=op.f("uq_customer_tags_customer_id_tag_key")
        ),
    )
    op.create_index(
        "ix_customer_tags_company_key", "customer_tags", ["company_id", "tag_key", "customer_id"]
    )

    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("view", sa.String(length=32), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("sort", sa.JSON(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        *_timestamps(),
        _fk("saved_views", "company_id", "companies", "CASCADE"),
        _fk("saved_views", "owner_id", "staff", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint(
            "owner_id", "view", "name", name=op.f("uq_saved_views_owner_id_view_name")
        ),
    )
    op.create_index("ix_saved_views_company_view", "saved_views", ["company_id", "view", "shared"])


def downgrade() -> None:
    op.drop_index("ix_saved_views_company_view", "saved_views")
    op.drop_table("saved_views")
    op.drop_index("ix_customer_tags_company_key", "customer_tags")
    op.drop_table("customer_tags")
    op.drop_index("ix_tasks_company_assignee_status", "tasks")
    op.drop_index("ix_tasks_customer_status_due", "tasks")
    op.drop_index("ix_tasks_company_status_due", "tasks")
    op.drop_table("tasks")
    op.drop_index("ix_customers_company_last_interaction", "customers")
    with op.batch_alter_table("interactions") as batch_op:
        batch_op.drop_constraint(op.f("fk_interactions_location_id_locations"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_interactions_contact_id_contacts"), type_="foreignkey")
        batch_op.drop_column("location_id")
        batch_op.drop_column("contact_id")
