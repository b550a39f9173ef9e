"""Question 1: which community assets lie within a 15-minute walk of the hospital and could
supply what it needs?

Run: python examples/q1_walk_to_the_hospital.py [streets.graphml]

With a street graph (see the README: osmnx saves one for any area) distances are walked;
without one, a straight 1,200 m stands in for the walk.
"""

import sys

from assetmap import datasets, find_links, geocode
from assetmap.network import read_street_graph

placed = geocode(datasets.sample_register())
streets = read_street_graph(sys.argv[1]) if len(sys.argv) > 1 else None
links = find_links(placed, between=("micro", "macro"), max_distance_m=1200, streets=streets)
near = links[links["target"] == "macro-mmuh"]
print(f"{len(near)} assets within {'a 15-minute walk' if streets else '1,200 m'} of the hospital "
      "could supply what it needs:")  # fmt: skip
for row in near.itertuples():
    print(f"  {placed.loc[row.source, 'category']:<12} {row.reason}")
