"""Question 5: which under-used spaces sit near groups that need space?

Run: python examples/q5_spaces_for_groups.py
"""

from assetmap import analysis, datasets, find_links, geocode

placed = geocode(datasets.sample_register())
links = find_links(placed, between=("physical", "association"), max_distance_m=800)
spaces = links[links["source"].isin(placed.index[placed["category"] == "physical"])]
for row in spaces.itertuples():
    print(f"{placed.loc[row.source, 'name']} → {placed.loc[row.target, 'name']}: {row.reason}")
unused = analysis.unused_offers(placed, links, kinds=("physical",))
print(
    "\nSpaces no group nearby asks for:",
    ", ".join(placed.loc[unused.index[unused["n_unused"] > 0], "name"]),
)
