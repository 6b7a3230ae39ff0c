"""What the 112 centre sorts calls and incidents into, and what each incident type needs.

Call types follow how Indonesian 112 centres report their traffic: real emergencies,
non-emergency or information calls, prank calls and ghost calls (silent or pocket dials).
Each incident type carries a default priority (P1 most urgent .. P4), the unit capabilities
that can answer it (a unit qualifies with any one of them), the agency that usually leads, and
the questions the call-taker asks, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallType(StrEnum):
    EMERGENCY = "emergency"
    NON_EMERGENCY = "non_emergency"  # information, complaints, wrong service
    PRANK = "prank"
    GHOST = "ghost"  # silent line, pocket dial, dropped before speaking


class Capability(StrEnum):
    BLS = "bls"  # basic life support ambulance
    ALS = "als"  # advanced life support ambulance
    FIRE_ENGINE = "fire_engine"
    LADDER = "ladder"
    RESCUE = "rescue"  # heavy rescue: extrication, collapse
    RESCUE_BOAT = "rescue_boat"
    DIVER = "diver"
    POLICE_CAR = "police_car"
    TREE_CUTTING = "tree_cutting"
    PUBLIC_ORDER = "public_order"  # Satpol PP patrol
    ANIMAL_CONTROL = "animal_control"
    WATER_TANKER = "water_tanker"


@dataclass(frozen=True)
class IncidentType:
    code: str
    label: str
    label_id: str  # Bahasa Indonesia, what call-takers see first
    priority: int
    capabilities: tuple[Capability, ...]
    lead_agency: str
    questions: tuple[str, ...]


C = Capability
INCIDENT_TYPES: dict[str, IncidentType] = {
    t.code: t
    for t in (
        IncidentType(
            "medical",
            "Medical",
            "Kegawatdaruratan medis",
            2,
            (C.ALS, C.BLS),
            "health",
            (
                "Apakah pasien sadar?",
                "Apakah pasien bernapas normal?",
                "Berapa umur pasien?",
                "Apakah ada perdarahan hebat?",
            ),
        ),
        IncidentType(
            "fire",
            "Fire",
            "Kebakaran",
            1,
            (C.FIRE_ENGINE, C.LADDER),
            "fire",
            (
                "Apa yang terbakar (rumah, toko, kendaraan, lahan)?",
                "Apakah ada orang terjebak?",
                "Berapa lantai bangunannya?",
            ),
        ),
        IncidentType(
            "traffic_accident",
            "Traffic accident",
            "Kecelakaan lalu lintas",
            2,
            (C.BLS, C.ALS, C.POLICE_CAR, C.RESCUE),
            "police",
            (
                "Berapa kendaraan yang terlibat?",
                "Berapa korban luka?",
                "Apakah ada korban terjepit?",
                "Apakah jalan tertutup?",
            ),
        ),
        IncidentType(
            "crime",
            "Crime / security",
            "Kriminalitas / keamanan",
            2,
            (C.POLICE_CAR,),
            "police",
            ("Apakah pelaku masih di lokasi?", "Apakah ada senjata?", "Ciri-ciri pelaku?"),
        ),
        IncidentType(
            "flood",
            "Flood",
            "Banjir",
            3,
            (C.RESCUE_BOAT, C.RESCUE),
            "bpbd",
            (
                "Berapa tinggi air?",
                "Apakah ada warga yang perlu dievakuasi?",
                "Apakah ada lansia, anak atau orang sakit?",
            ),
        ),
        IncidentType(
            "fallen_tree",
            "Fallen tree",
            "Pohon tumbang",
            3,
            (C.TREE_CUTTING, C.RESCUE),
            "bpbd",
            (
                "Apakah pohon menutup jalan?",
                "Apakah ada korban atau kendaraan tertimpa?",
                "Apakah mengenai kabel listrik?",
            ),
        ),
        IncidentType(
            "building_collapse",
            "Building collapse",
            "Bangunan runtuh",
            1,
            (C.RESCUE, C.FIRE_ENGINE),
            "sar",
            ("Berapa orang di dalam?", "Jenis bangunan?", "Apakah ada bau gas?"),
        ),
        IncidentType(
            "drowning",
            "Drowning / SAR",
            "Tenggelam / SAR",
            1,
            (C.RESCUE_BOAT, C.DIVER),
            "sar",
            ("Di laut, sungai atau kanal?", "Kapan korban terakhir terlihat?", "Berapa korban?"),
        ),
        IncidentType(
            "missing_person",
            "Missing person",
            "Orang hilang",
            3,
            (C.POLICE_CAR, C.RESCUE),
            "police",
            (
                "Nama dan umur orang hilang?",
                "Kapan dan di mana terakhir terlihat?",
                "Pakaian yang dikenakan?",
            ),
        ),
        IncidentType(
            "public_order",
            "Public order",
            "Ketertiban umum",
            3,
            (C.PUBLIC_ORDER, C.POLICE_CAR),
            "satpolpp",
            ("Apa yang terjadi?", "Berapa orang terlibat?", "Apakah ada kekerasan?"),
        ),
        IncidentType(
            "animal",
            "Animal",
            "Hewan (ular, tawon, hewan liar)",
            4,
            (C.ANIMAL_CONTROL, C.FIRE_ENGINE),
            "fire",
            (
                "Hewan apa?",
                "Apakah ada yang tergigit atau tersengat?",
                "Di dalam rumah atau di luar?",
            ),
        ),
        IncidentType(
            "other", "Other", "Lainnya", 4, (), "bpbd", ("Apa yang terjadi?", "Apakah ada korban?")
        ),
    )
}


def incident_type(code: str) -> IncidentType | None:
    return INCIDENT_TYPES.get(code)


def qualifies(unit_capabilities: list[str], required: list[str]) -> bool:
    """A unit answers an incident when it has any one of the required capabilities (an
    incident that requires none can take any unit)."""
    return not required or bool(set(unit_capabilities) & set(required))
