"""Write the bundled Greater Icknield data: the study-area polygon and the sample register.

Run from the project's root after `pip install -e .`:  python tools/make_sample_data.py

Everything written here is the project's own: the polygon is drawn by hand from the sites in
the project's context notes; macro sites carry their real, published postcodes; micro assets are
invented (pseudonyms, no real person) and placed at real postcodes of the area, picked with a
fixed seed from the ONS postcode directory that assetmap depends on. The output is committed;
re-running it gives the same bytes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from assetmap.geocoding.ons import _ons_letter
from assetmap.schema import ASSET_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SEED = 20171101  # USE-IT! started in November 2017

# Greater Icknield and Smethwick, drawn by hand (lon, lat): from Smethwick High Street and
# Grove Lane in the west, round Soho Loop and Hockley in the north, along the city centre's
# western edge (Jewellery Quarter, Ladywood) in the east, and south past Edgbaston Reservoir.
STUDY_AREA = [
    (-1.9780, 52.4890),
    (-1.9720, 52.4990),
    (-1.9560, 52.5040),
    (-1.9380, 52.5045),
    (-1.9200, 52.5010),
    (-1.9080, 52.4930),
    (-1.9050, 52.4840),
    (-1.9090, 52.4740),
    (-1.9240, 52.4690),
    (-1.9420, 52.4715),
    (-1.9600, 52.4770),
    (-1.9730, 52.4820),
    (-1.9780, 52.4890),
]

# Approximate site footprints (lon, lat), drawn around the sites' published positions.
FOOTPRINTS = {
    "macro-mmuh": [
        (-1.9522, 52.4925),
        (-1.9476, 52.4926),
        (-1.9472, 52.4901),
        (-1.9520, 52.4899),
        (-1.9522, 52.4925),
    ],
    "macro-port-loop": [
        (-1.9325, 52.4838),
        (-1.9262, 52.4836),
        (-1.9258, 52.4800),
        (-1.9318, 52.4798),
        (-1.9325, 52.4838),
    ],
    "micro-edgbaston-reservoir": [
        (-1.9420, 52.4830),
        (-1.9340, 52.4835),
        (-1.9318, 52.4790),
        (-1.9345, 52.4762),
        (-1.9405, 52.4768),
        (-1.9428, 52.4800),
        (-1.9420, 52.4830),
    ],
}

# id, name, kind, category, subcategory, offers, needs, capacity, postcode, lat, lon, privacy
SITES = [
    (
        "macro-mmuh",
        "Midland Metropolitan University Hospital",
        "macro",
        "anchor_institution",
        "hospital",
        "jobs; work experience; training; meeting space",
        "nursing; healthcare assistant; catering; cleaning; portering; interpreting",
        40,
        "B66 2QT",
        None,
        None,
        "public",
        "Acute hospital on Grove Lane, Smethwick; opened October 2024, 736 beds.",
    ),
    (
        "macro-city-hospital",
        "City Health Campus (City Hospital)",
        "macro",
        "anchor_institution",
        "hospital",
        "jobs; land for housing",
        "cleaning; catering; security; interpreting",
        15,
        "B18 7QH",
        None,
        None,
        "public",
        "Dudley Road campus; 11 ha released for housing.",
    ),
    (
        "macro-port-loop",
        "Port Loop",
        "macro",
        "capital_development",
        "housing",
        "meeting space; jobs; neighbourhood lab space",
        "construction; landscaping; childcare; community events",
        20,
        "B16 0AA",
        None,
        None,
        "public",
        "Canal-side neighbourhood of 1,150 homes (Urban Splash, Places for People).",
    ),
    (
        "micro-edgbaston-reservoir",
        "Edgbaston Reservoir",
        "micro",
        "natural",
        "reservoir",
        "green space; water sports; volunteering",
        "volunteers; community events",
        None,
        None,
        52.4798,
        -1.9371,
        "public",
        "32 ha reservoir and park, run by a community consortium.",
    ),
    (
        "micro-soho-loop",
        "Soho Loop canal",
        "micro",
        "natural",
        "canal",
        "green space; walking routes",
        "volunteers; landscaping",
        None,
        None,
        52.4925,
        -1.9265,
        "public",
        "Loop of the BCN Main Line canal through Winson Green and Hockley.",
    ),
    (
        "micro-summerfield-park",
        "Summerfield Park",
        "micro",
        "natural",
        "park",
        "green space; sports pitches",
        "volunteers; community events",
        None,
        None,
        52.4855,
        -1.9425,
        "public",
        "Victorian park off Dudley Road.",
    ),
    (
        "micro-ladywood-hcc",
        "Ladywood Health and Community Centre",
        "micro",
        "institution",
        "health centre",
        "meeting space; health advice",
        "interpreting; volunteers",
        None,
        None,
        52.477,
        -1.921,
        "public",
        "GP surgery and community rooms.",
    ),
    (
        "micro-learning-works",
        "The Learning Works",
        "micro",
        "institution",
        "skills-matching broker",
        "job brokerage; esol teaching; ielts preparation; careers advice",
        "volunteers; interpreting; meeting space",
        None,
        "B66 2AR",
        None,
        None,
        "public",
        "One-stop shop on Unett Street, Smethwick, linking residents to jobs (site postcode "
        "approximate).",
    ),
]

PEOPLE = [
    # pseudonym, offers, needs
    ("Amara", "nursing; midwifery", "ielts preparation; nmc registration; jobs"),
    ("Bilal", "nursing", "oet preparation; nmc registration; jobs"),
    ("Chipo", "healthcare assistant; childcare", "jobs; work experience"),
    ("Dariusz", "construction; driving", "jobs; esol teaching"),
    ("Esi", "pharmacy", "gphc registration; ielts preparation"),
    ("Farida", "catering; interpreting", "jobs; childcare"),
    ("Goran", "cleaning; portering", "jobs; esol teaching"),
    ("Hana", "doctor; interpreting", "plab preparation; gmc registration; work experience"),
    ("Ifeoma", "nursing", "nmc registration; jobs; childcare"),
    ("Jaswinder", "catering; childcare", "jobs; meeting space"),
    ("Kofi", "healthcare assistant", "jobs; driving lessons"),
    ("Leila", "interpreting; esol teaching", "jobs; careers advice"),
    ("Marek", "construction; landscaping", "jobs"),
    ("Nadia", "physiotherapy", "hcpc registration; ielts preparation"),
    ("Olu", "security; cleaning", "jobs"),
    ("Parveen", "catering", "jobs; business advice"),
    ("Qadir", "radiography", "hcpc registration; oet preparation"),
    ("Rosa", "cleaning; childcare", "esol teaching; jobs"),
    ("Samir", "portering; driving", "jobs"),
    ("Tendai", "nursing; healthcare assistant", "nmc registration; jobs"),
    ("Uzma", "interpreting", "jobs; careers advice"),
    ("Viktor", "construction", "jobs; esol teaching"),
    ("Wanjiru", "healthcare assistant", "jobs; childcare"),
    ("Yusuf", "catering; security", "jobs; business advice"),
]

GROUPS = [
    # id, name, category, subcategory, offers, needs, capacity
    (
        "micro-ohp-network",
        "Overseas Health Professionals Network",
        "association",
        "peer support group",
        "nursing; healthcare assistant; interpreting",
        "ielts preparation; nmc registration; meeting space",
        25,
    ),
    (
        "micro-soho-womens-network",
        "Soho Road Women's Network",
        "association",
        "women's group",
        "catering; childcare; volunteers",
        "meeting space; esol teaching; business advice",
        30,
    ),
    (
        "micro-ladywood-somali-assoc",
        "Ladywood Somali Community Association",
        "association",
        "community association",
        "interpreting; volunteers",
        "meeting space; funding",
        40,
    ),
    (
        "micro-winson-green-tenants",
        "Winson Green Tenants' Forum",
        "association",
        "tenants' group",
        "volunteers; community events",
        "meeting space",
        15,
    ),
    (
        "micro-smethwick-polish-club",
        "Smethwick Polish Saturday Club",
        "association",
        "supplementary school",
        "interpreting; childcare",
        "meeting space",
        20,
    ),
    (
        "micro-grove-lane-kitchen",
        "Grove Lane Sikh Community Kitchen",
        "association",
        "faith group",
        "catering; volunteers",
        "funding; food hygiene training",
        35,
    ),
    (
        "micro-icknield-faith-forum",
        "Icknield Faith Forum",
        "association",
        "faith group",
        "volunteers; meeting space; interpreting",
        "funding",
        12,
    ),
    (
        "micro-st-mark-mosque-youth",
        "Summerfield Mosque Youth Circle",
        "association",
        "faith group",
        "volunteers; sports coaching",
        "meeting space; jobs",
        18,
    ),
    (
        "micro-hockley-allotments",
        "Hockley Allotment Society",
        "association",
        "garden group",
        "landscaping; volunteers",
        "funding",
        22,
    ),
    (
        "micro-jq-makers-collective",
        "Jewellery Quarter Makers Collective",
        "association",
        "makers' group",
        "jewellery making; training",
        "co-working space; customers",
        14,
    ),
    (
        "micro-spice-route-cic",
        "Spice Route Catering CIC",
        "economic",
        "social enterprise",
        "catering; work experience",
        "customers; kitchen space",
        6,
    ),
    (
        "micro-clean-sweep-coop",
        "Clean Sweep Cleaning Co-operative",
        "economic",
        "co-operative",
        "cleaning",
        "contracts; customers",
        12,
    ),
    (
        "micro-loop-builders-cic",
        "Loop Builders CIC",
        "economic",
        "social enterprise",
        "construction; training",
        "contracts",
        10,
    ),
    (
        "micro-little-steps-coop",
        "Little Steps Childcare Co-op",
        "economic",
        "co-operative",
        "childcare",
        "meeting space; customers",
        8,
    ),
    (
        "micro-words-work-cic",
        "Words Work ESOL CIC",
        "economic",
        "social enterprise",
        "esol teaching; ielts preparation; oet preparation",
        "meeting space; customers",
        5,
    ),
    (
        "micro-green-loop-landscapes",
        "Green Loop Landscapes",
        "economic",
        "social enterprise",
        "landscaping; volunteering",
        "contracts",
        7,
    ),
    (
        "micro-soho-translators",
        "Soho Community Translators",
        "economic",
        "social enterprise",
        "interpreting",
        "contracts; customers",
        9,
    ),
    (
        "micro-dudley-road-traders",
        "Dudley Road Traders' Association",
        "economic",
        "business network",
        "business advice; work experience",
        "customers",
        25,
    ),
    (
        "micro-porters-guild",
        "Smethwick Hospital Porters' Guild",
        "economic",
        "co-operative",
        "portering; security",
        "contracts; training",
        8,
    ),
    (
        "micro-church-coworking",
        "St Patrick's Hall Co-working",
        "physical",
        "church hall",
        "co-working space; meeting space",
        "tenants; volunteers",
        40,
    ),
    (
        "micro-settlement-field",
        "Birmingham Settlement playing field",
        "physical",
        "playing field",
        "sports pitches; green space",
        "volunteers; funding",
        None,
    ),
    (
        "micro-empty-shop-unit",
        "Empty shop unit, Cape Hill",
        "physical",
        "vacant unit",
        "kitchen space; meeting space",
        "tenants",
        None,
    ),
    (
        "micro-ladywood-community-room",
        "Ladywood Community Room",
        "physical",
        "community room",
        "meeting space",
        "tenants",
        30,
    ),
    (
        "micro-winson-green-hall",
        "Winson Green Community Hall",
        "physical",
        "community hall",
        "meeting space; kitchen space",
        "tenants; volunteers",
        60,
    ),
    (
        "micro-spring-hill-library",
        "Spring Hill Library",
        "institution",
        "library",
        "meeting space; esol teaching; careers advice",
        "volunteers",
        None,
    ),
    (
        "micro-nelson-primary",
        "Nelson Street Primary School",
        "institution",
        "school",
        "meeting space",
        "interpreting; volunteers",
        None,
    ),
    (
        "micro-smethwick-college",
        "Smethwick Adult Learning Centre",
        "institution",
        "college",
        "esol teaching; food hygiene training; training",
        "meeting space",
        50,
    ),
    (
        "micro-cape-hill-surgery",
        "Cape Hill Medical Practice",
        "institution",
        "gp practice",
        "health advice; work experience",
        "interpreting; healthcare assistant",
        None,
    ),
    (
        "micro-jq-heritage-walks",
        "Jewellery Quarter Heritage Walks",
        "cultural",
        "heritage",
        "heritage walks; volunteering",
        "volunteers; customers",
        None,
    ),
    (
        "micro-soho-foundry-arts",
        "Soho Foundry Arts Group",
        "cultural",
        "arts group",
        "community events; arts workshops",
        "meeting space; funding",
        16,
    ),
    (
        "micro-ladywood-stories",
        "Ladywood Stories oral history project",
        "cultural",
        "oral history",
        "community events; interpreting",
        "volunteers; meeting space",
        10,
    ),
    (
        "micro-windmill-carnival",
        "Windmill Lane Carnival Club",
        "cultural",
        "carnival club",
        "community events; catering",
        "kitchen space; funding",
        25,
    ),
    (
        "micro-bearwood-cycle-hub",
        "Canalside Cycle Hub",
        "economic",
        "social enterprise",
        "bike repair; training",
        "customers; volunteers",
        4,
    ),
    (
        "micro-icknield-food-bank",
        "Icknield Food Bank",
        "association",
        "food bank",
        "food parcels; volunteering",
        "volunteers; kitchen space",
        None,
    ),
    (
        "micro-hockley-youth",
        "Hockley Youth Project",
        "association",
        "youth group",
        "sports coaching; volunteers",
        "meeting space; jobs",
        45,
    ),
    (
        "micro-nhs-returners",
        "NHS Returners' Club",
        "association",
        "peer support group",
        "nursing; midwifery",
        "nmc registration; childcare",
        11,
    ),
]

# messy but readable postcodes, as community researchers write them
MESSY = {
    9: "lower",
    12: "nospace",
    14: "spaces",
    16: "dot",
    23: "lower",
    29: "nospace",
    38: "spaces",
    45: "dot",
    52: "lower",
    # field data the geocoder has to work for (issue 3)
    35: "twin",  # I keyed for 1, or O for 0, where the format allows only one
    47: "address",  # the postcode written at the end of the address instead
    55: "district",  # only the district was written down
}


def _twin(pc: str) -> str:
    """The postcode as keyed with a letter for a digit (I for 1, O for 0)."""
    if pc[1] == "1":
        return pc[:1] + "I" + pc[2:]
    digit = pc[-3]
    return pc[:-3] + {"0": "O", "1": "I"}.get(digit, digit) + pc[-2:]


RELATIONSHIPS = [
    ("micro-learning-works", "macro-mmuh", "partners", 3, "skills-matching partnership"),
    ("micro-learning-works", "micro-ohp-network", "trains", 2, "IELTS/OET preparation"),
    ("micro-ohp-network", "micro-learning-works", "refers", 2, "members referred for advice"),
    ("micro-words-work-cic", "micro-ohp-network", "trains", 1, "OET classes"),
    ("micro-nhs-returners", "micro-learning-works", "refers", 1, None),
    ("micro-soho-womens-network", "micro-learning-works", "refers", 1, None),
    ("micro-ladywood-somali-assoc", "micro-learning-works", "refers", 1, None),
    ("macro-mmuh", "micro-clean-sweep-coop", "supplies", 1, "pilot cleaning contract"),
    ("micro-spice-route-cic", "macro-mmuh", "supplies", 1, "staff restaurant pop-up"),
    ("micro-church-coworking", "micro-jq-makers-collective", "hosts", 1, None),
    ("micro-winson-green-hall", "micro-winson-green-tenants", "hosts", 1, None),
    ("micro-spring-hill-library", "micro-ladywood-stories", "hosts", 1, None),
    ("macro-port-loop", "micro-loop-builders-cic", "employs", 1, "apprentices on site"),
    ("micro-smethwick-college", "micro-grove-lane-kitchen", "trains", 1, "food hygiene"),
    ("micro-icknield-faith-forum", "micro-icknield-food-bank", "funds", 1, None),
    ("micro-hockley-allotments", "micro-green-loop-landscapes", "partners", 1, None),
    ("macro-city-hospital", "micro-learning-works", "partners", 1, None),
]


def main() -> None:
    area = shapely.Polygon(STUDY_AREA)
    (ROOT / "data" / "boundaries").mkdir(parents=True, exist_ok=True)
    feature = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Greater Icknield and Smethwick (study area, approximate)"},
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in STUDY_AREA]]},
            }
        ],
    }
    (ROOT / "data" / "boundaries" / "greater_icknield.geojson").write_text(
        json.dumps(feature, indent=1) + "\n", encoding="utf-8"
    )

    table = _ons_letter("B")
    compact = table.keys.str.replace(" ", "", regex=False).to_numpy(dtype=object)
    pcs = pd.DataFrame({"pc": compact, "lon": table.lon, "lat": table.lat})
    pcs = pcs[pcs.pc.str.match(r"^B(1|16|18|66|67)[0-9][A-Z]{2}$")]
    pcs = pcs[shapely.contains_xy(area, pcs.lon.to_numpy(), pcs.lat.to_numpy())]
    rng = np.random.default_rng(SEED)
    chosen = pcs.pc.to_numpy()[rng.choice(len(pcs), size=len(PEOPLE) + len(GROUPS), replace=False)]

    def spaced(pc: str) -> str:
        return f"{pc[:-3]} {pc[-3:]}"

    rows = []
    for sid, name, kind, cat, sub, offers, needs, cap, pc, la, lo, privacy, desc in SITES:
        rows.append(
            {
                "asset_id": sid,
                "name": name,
                "kind": kind,
                "category": cat,
                "subcategory": sub,
                "description": desc,
                "offers": offers,
                "needs": needs,
                "capacity": cap,
                "postcode": pc,
                "latitude": la,
                "longitude": lo,
                "footprint": _wkt(FOOTPRINTS.get(sid)),
                "privacy": privacy,
                "source": "USE-IT! context notes",
                "recorded": "2019-06-01",
            }
        )
    k = 0
    for i, (pseudonym, offers, needs) in enumerate(PEOPLE):
        rows.append(
            {
                "asset_id": f"micro-resident-{i + 1:02d}",
                "name": f"{pseudonym} (pseudonym)",
                "kind": "micro",
                "category": "individual",
                "subcategory": "resident",
                "description": "Invented resident for the sample register.",
                "offers": offers,
                "needs": needs,
                "capacity": 1,
                "postcode": spaced(chosen[k]),
                "privacy": "private" if i % 3 == 0 else "area",
                "source": "community researcher walk (invented)",
                "recorded": f"2018-{(i % 12) + 1:02d}-15",
            }
        )
        k += 1
    for gid, name, cat, sub, offers, needs, cap in GROUPS:
        rows.append(
            {
                "asset_id": gid,
                "name": name,
                "kind": "micro",
                "category": cat,
                "subcategory": sub,
                "description": f"{sub.capitalize()} (invented).",
                "offers": offers,
                "needs": needs,
                "capacity": cap,
                "postcode": spaced(chosen[k]),
                "privacy": "partners" if k % 5 == 0 else "public",
                "source": "community researcher walk (invented)",
                "recorded": f"2019-{(k % 12) + 1:02d}-01",
            }
        )
        k += 1
    for pos, how in MESSY.items():
        pc = rows[pos]["postcode"]
        if how == "address":
            rows[pos]["address"] = f"Unit 4, Icknield Street, Birmingham {pc}"
        rows[pos]["postcode"] = {
            "lower": pc.lower(),
            "nospace": pc.replace(" ", ""),
            "spaces": f" {pc.replace(' ', '  ')} ",
            "dot": f"{pc}.",
            "twin": _twin(pc),
            "address": None,
            "district": pc.split(" ")[0],
        }[how]
    # two groups recorded with a phone's GPS instead of a postcode
    for pos in (40, 60):
        rid = rows[pos]["asset_id"]
        hit = pcs[pcs.pc == rows[pos]["postcode"].replace(" ", "").upper().strip(".")]
        rows[pos]["postcode"] = None
        rows[pos]["latitude"] = round(float(hit.lat.iloc[0]) + 0.0002, 5)
        rows[pos]["longitude"] = round(float(hit.lon.iloc[0]) - 0.0003, 5)
        rows[pos]["source"] = f"GPS reading by community researcher ({rid})"

    columns = [c for c in ("asset_id", *ASSET_COLUMNS) if c not in ("easting", "northing")]
    sample = ROOT / "data" / "sample"
    sample.mkdir(parents=True, exist_ok=True)
    with open(sample / "greater_icknield_register.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: "" if r.get(c) is None else r.get(c) for c in columns})
    with open(
        sample / "greater_icknield_relationships.csv", "w", newline="", encoding="utf-8"
    ) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "target", "type", "weight", "note"])
        for rel in RELATIONSHIPS:
            w.writerow(["" if v is None else v for v in rel])
    print(f"wrote {len(rows)} assets and {len(RELATIONSHIPS)} relationships")


def _wkt(ring: list[tuple[float, float]] | None) -> str | None:
    return None if ring is None else shapely.Polygon(ring).wkt


if __name__ == "__main__":
    main()
