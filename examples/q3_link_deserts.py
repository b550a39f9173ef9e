"""Question 3: which neighbourhoods have assets but no link to any investment, and how deprived
are they?

Run: python examples/q3_link_deserts.py LSOA_2011.geojson File_1_IMD2019.csv

Download the LSOA 2011 boundaries (ONS Open Geography Portal) and IoD2019 File 1 (gov.uk):
see data/boundaries/README.md.
"""

import sys

from assetmap import analysis, datasets, find_links, geocode
from assetmap.areas import assign_areas, read_boundaries, read_imd

if len(sys.argv) < 3:
    sys.exit(__doc__)
lsoa = read_boundaries(sys.argv[1])
imd = read_imd(sys.argv[2])
placed = assign_areas(geocode(datasets.sample_register()), lsoa)
links = find_links(placed, between=("micro", "macro"), max_distance_m=1200)
deserts = analysis.link_deserts(placed, links, level=lsoa.attrs["level"], imd=imd)
print(
    f"{len(deserts)} neighbourhoods hold assets but no link to any investment, most deprived first:"
)
print(deserts.to_string())
