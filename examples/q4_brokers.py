"""Question 4: which organisations are the brokers that connect residents to anchors, and what
falls apart without them?

Run: python examples/q4_brokers.py
"""

from assetmap import analysis, datasets, geocode, graph_from_assets

placed = geocode(datasets.sample_register())
G = graph_from_assets(placed, relationships=datasets.sample_relationships())
brokers = analysis.brokers(G)
for asset_id, row in brokers[brokers["n_stranded"] > 0].iterrows():
    print(f"{placed.loc[asset_id, 'name']}: without it, {row['n_stranded']} lose every path to "
          "an anchor:")  # fmt: skip
    for lost in row["stranded"]:
        print(f"    {placed.loc[lost, 'name']}")
