"""researcher polls

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from core import schema

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# poll_links is deliberately left out: the public page reads it (token -> organisation) before it knows the
# tenant, and it holds nothing but that mapping (see benchmarks/polls/models.py PollLink)
TENANT_TABLES = ("polls", "poll_questions", "poll_responses", "poll_answers")


def upgrade() -> None:
    op.create_table('polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closes_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_cap', sa.Integer(), nullable=True),
    sa.Column('one_per_browser', sa.Boolean(), nullable=False),
    sa.Column('show_results_after', sa.Boolean(), nullable=False),
    sa.Column('public_results', sa.Boolean(), nullable=False),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('response_cap IS NULL OR response_cap >= 1', name=op.f('ck_polls_response_cap_positive')),
    sa.CheckConstraint('response_count >= 0', name=op.f('ck_polls_response_count_non_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_polls_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_polls_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls'))
    )
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polls_org_id'), ['org_id'], unique=False)

    op.create_table('poll_links',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_poll_links_org_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_links_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_poll_links')),
    sa.UniqueConstraint('poll_id', name=op.f('uq_poll_links_poll_id'))
    )
    with op.batch_alter_table('poll_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_links_org_id'), ['org_id'], unique=False)

    op.create_table('poll_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('library', sa.String(length=40), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('scale_max', sa.Integer(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('library IS NOT NULL OR text IS NOT NULL', name=op.f('ck_poll_questions_library_or_text')),
    sa.CheckConstraint('scale_max IS NULL OR (scale_max >= 2 AND scale_max <= 10)', name=op.f('ck_poll_questions_scale_max_range')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_poll_questions_org_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_questions_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_questions'))
    )
    with op.batch_alter_table('poll_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_questions_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_poll_questions_poll_position', ['poll_id', 'position'], unique=False)

    op.create_table('poll_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_poll_responses_org_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_responses_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_responses'))
    )
    with op.batch_alter_table('poll_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_responses_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poll_responses_poll_id'), ['poll_id'], unique=False)

    op.create_table('poll_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=40), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('(choice IS NULL) <> (text IS NULL)', name=op.f('ck_poll_answers_choice_xor_text')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_poll_answers_org_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['poll_questions.id'], name=op.f('fk_poll_answers_question_id_poll_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['poll_responses.id'], name=op.f('fk_poll_answers_response_id_poll_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_answers')),
    sa.UniqueConstraint('response_id', 'question_id', 'choice', name=op.f('uq_poll_answers_response_id_question_id_choice'))
    )
    with op.batch_alter_table('poll_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_answers_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_poll_answers_question_choice', ['question_id', 'choice'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in [s for table in TENANT_TABLES for s in schema.enable_rls_sql(table)]:
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table('poll_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_answers_question_choice')
        batch_op.drop_index(batch_op.f('ix_poll_answers_org_id'))

    op.drop_table('poll_answers')
    with op.batch_alter_table('poll_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_responses_poll_id'))
        batch_op.drop_index(batch_op.f('ix_poll_responses_org_id'))

    op.drop_table('poll_responses')
    with op.batch_alter_table('poll_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_questions_poll_position')
        batch_op.drop_index(batch_op.f('ix_poll_questions_org_id'))

    op.drop_table('poll_questions')
    with op.batch_alter_table('poll_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_links_org_id'))

    op.drop_table('poll_links')
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_polls_org_id'))

    op.drop_table('polls')
