"""Geo: the gazetteer (places and their aliases) for offline geocoding.

Revision ID: geo_0001
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "geo_0001"
down_revision = "0002"
branch_labels = ("geo",)
depends_on = None


def upgrade() -> None:

    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("h3_cell", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("region_code", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("source", "source_id", name="source_ref"),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_places_h3_cell"), ["h3_cell"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_places_lat_lon", ["lat", "lon"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_region_code"), ["region_code"], unique=False)

    op.create_table(
        "place_aliases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("alias_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_place_aliases_place_id_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_aliases")),
        sa.UniqueConstraint("place_id", "alias_key", name="alias"),
    )
    with op.batch_alter_table("place_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_aliases_alias_key"), ["alias_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_place_aliases_place_id"), ["place_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("place_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_aliases_place_id"))
        batch_op.drop_index(batch_op.f("ix_place_aliases_alias_key"))

    op.drop_table("place_aliases")
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_places_region_code"))
        batch_op.drop_index(batch_op.f("ix_places_name_key"))
        batch_op.drop_index("ix_places_lat_lon")
        batch_op.drop_index(batch_op.f("ix_places_kind"))
        batch_op.drop_index(batch_op.f("ix_places_h3_cell"))

    op.drop_table("places")
