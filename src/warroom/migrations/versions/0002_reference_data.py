"""Reference data: Sulawesi Selatan, Kota Makassar and its 15 kecamatan with labelled figures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warroom.geo.reference import load_reference_regions

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    load_reference_regions(op.get_bind())


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM region_figures"))
    op.execute(sa.text("DELETE FROM regions WHERE level IN ('kecamatan', 'city', 'province')"))
