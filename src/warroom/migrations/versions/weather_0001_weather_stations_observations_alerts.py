"""Weather: stations, datastreams, observations, latest values, normals, alerts, BMKG feeds.

Revision ID: weather_0001
Revises: 0002
Create Date: 2026-11-27 22:30:36.166099
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "weather_0001"
down_revision = "0002"
branch_labels = ("weather",)
depends_on = None


def upgrade() -> None:

    op.create_table(
        "weather_earthquakes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=80), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("magnitude", sa.Float(), nullable=False),
        sa.Column("depth_km", sa.Float(), nullable=True),
        sa.Column("region", sa.String(length=300), nullable=False),
        sa.Column("felt", sa.String(length=300), nullable=False),
        sa.Column("potential", sa.String(length=300), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("feed", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_earthquakes")),
        sa.UniqueConstraint("event_key", name=op.f("uq_weather_earthquakes_event_key")),
    )
    with op.batch_alter_table("weather_earthquakes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weather_earthquakes_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "weather_feed_state",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_weather_feed_state")),
    )
    op.create_table(
        "weather_stations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("h3_cell", sa.String(length=16), nullable=False),
        sa.Column("elevation_m", sa.Float(), nullable=True),
        sa.Column("kecamatan_code", sa.String(length=20), nullable=True),
        sa.Column("kecamatan_name", sa.String(length=120), nullable=True),
        sa.Column("kecamatan_approximate", sa.Boolean(), nullable=False),
        sa.Column("agency_code", sa.String(length=30), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("level_watch_m", sa.Float(), nullable=True),
        sa.Column("level_alert_m", sa.Float(), nullable=True),
        sa.Column("level_danger_m", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_weather_stations_code")),
    )
    with op.batch_alter_table("weather_stations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weather_stations_h3_cell"), ["h3_cell"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_weather_stations_kecamatan_code"), ["kecamatan_code"], unique=False
        )

    op.create_table(
        "weather_warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("msg_type", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("certainty", sa.String(length=20), nullable=False),
        sa.Column("headline", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("area_desc", sa.String(length=500), nullable=False),
        sa.Column("polygons_geojson", sa.Text(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("touches_city", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_warnings")),
        sa.UniqueConstraint("identifier", name=op.f("uq_weather_warnings_identifier")),
    )
    with op.batch_alter_table("weather_warnings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weather_warnings_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "weather_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kecamatan", sa.JSON(), nullable=False),
        sa.Column("kecamatan_approximate", sa.Boolean(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("geometry_geojson", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["weather_stations.id"],
            name=op.f("fk_weather_alerts_station_id_weather_stations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_alerts")),
    )
    with op.batch_alter_table("weather_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weather_alerts_closed_at"), ["closed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_weather_alerts_key"), ["key"], unique=False)

    op.create_table(
        "weather_datastreams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=30), nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("valid_min", sa.Float(), nullable=False),
        sa.Column("valid_max", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["weather_stations.id"],
            name=op.f("fk_weather_datastreams_station_id_weather_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_datastreams")),
        sa.UniqueConstraint("station_id", "quantity", name="station_quantity"),
    )
    with op.batch_alter_table("weather_datastreams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weather_datastreams_station_id"), ["station_id"], unique=False
        )

    op.create_table(
        "weather_normals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=30), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["weather_stations.id"],
            name=op.f("fk_weather_normals_station_id_weather_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_normals")),
        sa.UniqueConstraint("station_id", "quantity", "month", name="station_quantity_month"),
    )
    op.create_table(
        "weather_latest",
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("qc_flags", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["weather_datastreams.id"],
            name=op.f("fk_weather_latest_datastream_id_weather_datastreams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("datastream_id", name=op.f("pk_weather_latest")),
    )
    op.create_table(
        "weather_observations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("qc_flags", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["weather_datastreams.id"],
            name=op.f("fk_weather_observations_datastream_id_weather_datastreams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_observations")),
        sa.UniqueConstraint("datastream_id", "observed_at", name="datastream_time"),
    )
    with op.batch_alter_table("weather_observations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_weather_observations_day", ["datastream_id", "local_day"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("weather_observations", schema=None) as batch_op:
        batch_op.drop_index("ix_weather_observations_day")

    op.drop_table("weather_observations")
    op.drop_table("weather_latest")
    op.drop_table("weather_normals")
    with op.batch_alter_table("weather_datastreams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weather_datastreams_station_id"))

    op.drop_table("weather_datastreams")
    with op.batch_alter_table("weather_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weather_alerts_key"))
        batch_op.drop_index(batch_op.f("ix_weather_alerts_closed_at"))

    op.drop_table("weather_alerts")
    with op.batch_alter_table("weather_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weather_warnings_expires_at"))

    op.drop_table("weather_warnings")
    with op.batch_alter_table("weather_stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weather_stations_kecamatan_code"))
        batch_op.drop_index(batch_op.f("ix_weather_stations_h3_cell"))

    op.drop_table("weather_stations")
    op.drop_table("weather_feed_state")
    with op.batch_alter_table("weather_earthquakes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weather_earthquakes_occurred_at"))

    op.drop_table("weather_earthquakes")
