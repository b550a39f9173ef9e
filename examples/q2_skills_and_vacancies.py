"""Question 2: which residents' skills match the anchors' vacancies, what stands in the way,
and how much income would the matches bring (computed from a pay table, not quoted)?

Run: python examples/q2_skills_and_vacancies.py
"""

from assetmap import analysis, datasets, find_links, geocode

placed = geocode(datasets.sample_register())
links = find_links(placed, between=("individual", "anchor_institution"), max_distance_m=1200)
# annual pay by skill: replace with the employer's own pay scales
pay = {"nursing": 31_000, "healthcare assistant": 24_000, "cleaning": 23_000,
       "catering": 23_000, "portering": 23_000, "interpreting": 25_000}  # fmt: skip
matches = analysis.skills_matches(placed, links, pay=pay)
print(matches[["source", "target", "skills", "barriers", "annual_pay"]].to_string(index=False))
jobs = analysis.match_capacity(placed, links[links["source"].isin(matches["source"])])
paid = matches.set_index(["source", "target"])["annual_pay"]
income = sum(paid[(r.source, r.target)] * r.units for r in jobs.assignments.itertuples())
blocked = matches["barriers"].map(len).gt(0).sum()
print(f"\n{len(jobs.assignments)} residents matched to vacancies: £{income:,.0f} a year in pay;")
print(f"{blocked} of the {len(matches)} matches wait on a language test or a registration.")
