"""Start from your own CSV with its own headings, and get a map and a links table.

Run: python examples/bring_your_own_register.py [your.csv]

Without a file, it writes a small register with unfamiliar headings first, so you can see how
the headings are mapped. The map and the links table are written beside the CSV, as the public
may see them: publish() decides what leaves, and the writers write what it returned.
"""

import sys
import tempfile
from pathlib import Path

from assetmap import (
    build_map,
    find_links,
    geocode,
    geocode_summary,
    publish,
    read_assets,
    save_links,
    save_map,
)

if len(sys.argv) > 1:
    path = Path(sys.argv[1])
else:
    path = Path(tempfile.mkdtemp()) / "our_register.csv"
    path.write_text(
        "Ref,Organisation,Type,What they offer,What they need,Post Code,Share?\n"
        "1,Hospital,anchor_institution,jobs,nursing; catering,B66 2QT,public\n"
        "2,Ladywood Cooks,association,catering,meeting space,b16 8hj,public\n"
        "3,Amira (pseudonym),individual,nursing,jobs; ielts preparation,B18 7QH,private\n",
        encoding="utf-8",
    )
# read_assets warns (SchemaWarning) about anything it had to work out or could not read, here
# that "kind" was taken from "Type": read those lines, they are about your data
assets = read_assets(
    path,
    columns={
        "Ref": "asset_id",
        "Organisation": "name",
        "Type": "category",
        "What they offer": "offers",
        "What they need": "needs",
        "Post Code": "postcode",
        "Share?": "privacy",
    },
)
# no study area by default: give geocode(study_area=...) your boundary to flag rows outside it
placed = geocode(assets)
print(geocode_summary(placed))
links = find_links(placed, max_distance_m=2000)
# the analyst's own view: every link, private records included; never share this one
print(links[["source", "target", "reason", "score"]].to_string(index=False))
public = publish(placed, audience="public", links=links)
print(public)
out = save_map(build_map(public), path.with_suffix(".html"), self_contained=True)
print(f"wrote {out}")
print(f"wrote {save_links(public, path.with_name(path.stem + '_links.csv'))}")
