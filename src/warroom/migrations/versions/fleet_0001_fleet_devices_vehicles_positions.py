"""Fleet: vehicles, devices, unknown devices, device states, positions and geofences.

Revision ID: fleet_0001
Revises: 0002
Create Date: 2026-11-27 22:37:10.428303
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fleet_0001"
down_revision = "0002"
branch_labels = ("fleet",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("course", sa.Float(), nullable=True),
        sa.Column("altitude", sa.Float(), nullable=True),
        sa.Column("satellites", sa.Integer(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_positions")),
    )
    with op.batch_alter_table("fleet_positions", schema=None) as batch_op:
        batch_op.create_index("ix_fleet_positions_device_time", ["device_id", "time"], unique=False)
        batch_op.create_index(batch_op.f("ix_fleet_positions_time"), ["time"], unique=False)
        batch_op.create_index(
            "ix_fleet_positions_vehicle_time", ["vehicle_id", "time"], unique=False
        )

    op.create_table(
        "fleet_unknown_devices",
        sa.Column("unique_id", sa.String(length=64), nullable=False),
        sa.Column("protocol", sa.String(length=20), nullable=False),
        sa.Column("remote", sa.String(length=120), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unique_id", name=op.f("pk_fleet_unknown_devices")),
    )
    op.create_table(
        "fleet_geofences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("half_width_m", sa.Float(), nullable=True),
        sa.Column("agency_code", sa.String(length=30), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_fleet_geofences_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_geofences")),
        sa.UniqueConstraint("name", name=op.f("uq_fleet_geofences_name")),
    )
    op.create_table(
        "fleet_vehicles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("agency_code", sa.String(length=30), nullable=True),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("driver", sa.String(length=120), nullable=False),
        sa.Column("speed_limit_kmh", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_fleet_vehicles_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_vehicles")),
        sa.UniqueConstraint("plate", name=op.f("uq_fleet_vehicles_plate")),
    )
    with op.batch_alter_table("fleet_vehicles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_vehicles_agency_code"), ["agency_code"], unique=False
        )

    op.create_table(
        "fleet_devices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unique_id", sa.String(length=64), nullable=False),
        sa.Column("protocol", sa.String(length=20), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["fleet_vehicles.id"],
            name=op.f("fk_fleet_devices_vehicle_id_fleet_vehicles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_devices")),
        sa.UniqueConstraint("unique_id", name=op.f("uq_fleet_devices_unique_id")),
    )
    with op.batch_alter_table("fleet_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_devices_vehicle_id"), ["vehicle_id"], unique=False
        )

    op.create_table(
        "fleet_device_states",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("fix_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("course", sa.Float(), nullable=True),
        sa.Column("moving", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["fleet_devices.id"],
            name=op.f("fk_fleet_device_states_device_id_fleet_devices"),
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_fleet_device_states")),
    )


def downgrade() -> None:
    op.drop_table("fleet_device_states")
    with op.batch_alter_table("fleet_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_devices_vehicle_id"))

    op.drop_table("fleet_devices")
    with op.batch_alter_table("fleet_vehicles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_vehicles_agency_code"))

    op.drop_table("fleet_vehicles")
    op.drop_table("fleet_geofences")
    op.drop_table("fleet_unknown_devices")
    with op.batch_alter_table("fleet_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_positions_vehicle_time")
        batch_op.drop_index(batch_op.f("ix_fleet_positions_time"))
        batch_op.drop_index("ix_fleet_positions_device_time")

    op.drop_table("fleet_positions")
