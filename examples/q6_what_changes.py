"""Question 6: what changes when a new site opens?

Run: python examples/q6_what_changes.py

Adds a site to the register (here a new health centre needing interpreters and cleaners on
Dudley Road) and compares the link opportunities and link deserts before and after. For a new
path, add the edge to your street graph and pass it to find_links(streets=...) the same way.
"""

import pandas as pd

from assetmap import datasets, find_links, geocode, read_assets

register = datasets.sample_register()
before = find_links(geocode(register), between=("micro", "macro"), max_distance_m=1200)
site = pd.DataFrame(
    {"name": ["New Dudley Road health centre"], "kind": ["macro"],
     "category": ["capital_development"], "offers": ["jobs"],
     "needs": ["interpreting; cleaning"], "capacity": [12], "postcode": ["B18 7QH"],
     "privacy": ["public"]},
    index=pd.Index(["macro-new-centre"], name="asset_id"),
)  # fmt: skip
with_site = read_assets(pd.concat([pd.DataFrame(register), site]).reset_index())
after = find_links(geocode(with_site), between=("micro", "macro"), max_distance_m=1200)
new = after[
    ~after.set_index(["source", "target"]).index.isin(before.set_index(["source", "target"]).index)
]
reached = set(after["source"].astype(str)) | set(after["target"].astype(str))
newly = reached - (set(before["source"].astype(str)) | set(before["target"].astype(str)))
print(f"Link opportunities: {len(before)} before, {len(after)} with the new site ({len(new)} new).")
print(f"Assets with a first link to any investment: {len(newly - {'macro-new-centre'})}")
