"""engine: cells keep their sorted values, organisations' window values; stored positions dropped

Positions are no longer stored (8.8 M rows at 2,000 organisations): the read path places an organisation
in its cell's sorted values. Existing snapshots have no values yet: run `peerbench recompute --all` after
this upgrade (until then positions show "no value reported in this window").

Revision ID: 0007_i11
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core import schema
from core.db import RECOMPUTE_ROLE

revision: str = "0007_i11"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmark_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("peer_values", sa.LargeBinary(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("recompute_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="full"))
    op.create_table(
        "benchmark_org_values",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("window_code", sa.String(length=16), nullable=False),
        sa.Column("cell_key", sa.String(length=80), nullable=False),
        sa.Column("window_values", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_benchmark_org_values_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "window_code", name=op.f("pk_benchmark_org_values")),
    )
    op.drop_table("benchmark_positions")
    if op.get_bind().dialect.name == "postgresql":
        statements = schema.enable_rls_sql("benchmark_org_values") + [
            f"grant select, insert, delete on benchmark_org_values to {RECOMPUTE_ROLE}",
            f"create policy recompute_write on benchmark_org_values to {RECOMPUTE_ROLE}"
            " using (true) with check (true)",
        ]
        for statement in statements:
            op.execute(statement)


def downgrade() -> None:
    op.create_table(
        "benchmark_positions",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("window_code", sa.String(length=16), nullable=False),
        sa.Column("cohort_level", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("cohort_key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("rank", sa.Float(), nullable=True),
        sa.Column("quartile", sa.Integer(), nullable=True),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_benchmark_positions_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "org_id", "window_code", "cohort_level", "metric", name=op.f("pk_benchmark_positions")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in schema.enable_rls_sql("benchmark_positions") + [
            f"grant select, insert, delete on benchmark_positions to {RECOMPUTE_ROLE}",
            f"create policy recompute_write on benchmark_positions to {RECOMPUTE_ROLE}"
            " using (true) with check (true)",
        ]:
            op.execute(statement)
    op.drop_table("benchmark_org_values")
    with op.batch_alter_table("recompute_runs", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("benchmark_snapshots", schema=None) as batch_op:
        batch_op.drop_column("run_id")
        batch_op.drop_column("peer_values")
