"""staff e-mails unique per company, not across companies

Company B's admin adding staff with an e-mail of company A learned that it exists (the
global unique e-mail answered TAKEN). An e-mail is now unique within its company only;
sign-in names the company when an e-mail signs in to several (docs/errors-and-honesty.md).
Rows are unchanged: every existing e-mail was globally unique, so unique per company too.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_email", type_="unique")
        batch_op.create_unique_constraint("uq_staff_company_id_email", ["company_id", "email"])


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_company_id_email", type_="unique")
        batch_op.create_unique_constraint("uq_staff_email", ["email"])
