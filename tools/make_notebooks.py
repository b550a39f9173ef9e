"""Write the example notebooks (unexecuted) from the cells below: python tools/make_notebooks.py

Kept as code so that a change to a notebook is a readable diff; the tests execute them.
"""

import subprocess
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parents[1] / "examples" / "notebooks"

EXPLORING = [
    new_markdown_cell(
        "# Exploring Greater Icknield\n\n"
        "The bundled sample register (invented people, real places): place every row, find "
        "where offers meet needs, draw the map inline, and ask the graph who connects whom. "
        "Run it top to bottom; each cell prints what it found."
    ),
    new_code_cell(
        "import assetmap\n"
        "from assetmap import analysis, datasets\n\n"
        "# no study area unless given: this one is the project's boundary\n"
        "area = datasets.study_area()\n"
        "placed = assetmap.geocode(datasets.sample_register(), study_area=area)\n"
        "assetmap.geocode_summary(placed)"
    ),
    new_markdown_cell(
        "Every row comes back, with how it was placed. Rows with a `geocode_note` were read "
        "differently from what was written, or placed only roughly: the ones to check. "
        "`in_study_area` says which fall inside the boundary."
    ),
    new_code_cell(
        'print(placed["in_study_area"].sum(), "of", len(placed), "inside the study area")\n'
        'placed.loc[placed["geocode_note"].notna(), ["name", "geocode_method", "geocode_note"]]'
    ),
    new_markdown_cell("## Link opportunities within a 15-minute walk"),
    new_code_cell(
        'links = assetmap.find_links(placed, between=("micro", "macro"), max_distance_m=1200)\n'
        'print(len(links), "link opportunities")\n'
        'links[["source", "target", "score", "reason"]].head(10)'
    ),
    new_markdown_cell(
        "The map as the public would see it. `publish` decides, once, what an audience may "
        "see: private records only in counts, others not named at a coarse point, links to "
        'hidden records left out. Change `audience` to `"partners"` to see what partners see.'
    ),
    new_code_cell(
        'public = assetmap.publish(placed, audience="public", links=links)\n'
        "print(public)\n"
        'm = assetmap.build_map(public, study_area=area, title="Greater Icknield (sample data)")\n'
        "m"
    ),
    new_markdown_cell("## The graph: brokers, communities, isolated assets"),
    new_code_cell(
        "G = assetmap.graph_from_assets(placed, links=links,\n"
        "                               relationships=datasets.sample_relationships())\n"
        "brokers = analysis.brokers(G)\n"
        'brokers.join(placed["name"])[["name", "betweenness", "n_stranded"]].head(5)'
    ),
    new_code_cell(
        "groups = analysis.communities(G)\n"
        'print(groups.nunique(), "communities; isolated:", list(analysis.isolated(G)))'
    ),
    new_markdown_cell("## Which anchors' needs does nothing nearby meet?"),
    new_code_cell('gaps = analysis.uncovered_needs(placed, links)\ngaps[gaps["n_uncovered"] > 0]'),
    new_markdown_cell(
        "## The printable report\n\nThe same tables a partner receives "
        "(`assetmap.save_report` writes them as HTML, XLSX and CSV); given the graph, it "
        "names the brokers too."
    ),
    new_code_cell(
        'report = assetmap.build_report(placed, links, audience="partners", graph=G,\n'
        "                               charts=False)\n"
        'report.tables["macro_links"].head()'
    ),
]

SKILLS = [
    new_markdown_cell(
        "# Skills matching, step by step\n\n"
        "Which residents' skills meet the anchors' vacancies, what stands in the way (language "
        "tests, professional registration), and how much pay the matches would bring, worked "
        "out from a pay table you supply (nothing is quoted)."
    ),
    new_code_cell(
        "import assetmap\n"
        "from assetmap import analysis, datasets\n\n"
        "placed = assetmap.geocode(datasets.sample_register())\n"
        'residents = placed[placed["category"] == "individual"]\n'
        'anchors = placed[placed["category"] == "anchor_institution"]\n'
        'anchors[["name", "needs", "capacity"]]'
    ),
    new_markdown_cell(
        "Individuals are pseudonymous and usually private: they never appear on a public map, "
        "only in counts. Here, in the analyst's notebook, we work with the whole register."
    ),
    new_code_cell(
        'links = assetmap.find_links(placed, between=("individual", "anchor_institution"),\n'
        "                            max_distance_m=1200)\n"
        'print(len(links), "residents × anchors pairs where a skill meets a need")'
    ),
    new_markdown_cell("## Matches, barriers and pay"),
    new_code_cell(
        'pay = {"nursing": 31_000, "healthcare assistant": 24_000, "cleaning": 23_000,\n'
        '       "catering": 23_000, "portering": 23_000, "interpreting": 25_000}\n'
        "matches = analysis.skills_matches(placed, links, pay=pay)\n"
        'matches[["source", "target", "skills", "barriers", "annual_pay"]]'
    ),
    new_markdown_cell(
        "## Who fills which vacancy\n\n"
        "Each resident takes one job, each anchor has as many vacancies as its `capacity`: "
        "`match_capacity` finds the assignment with the highest total score (min-cost flow)."
    ),
    new_code_cell(
        'jobs = analysis.match_capacity(placed, links[links["source"].isin(matches["source"])])\n'
        'paid = matches.set_index(["source", "target"])["annual_pay"]\n'
        "income = sum(paid[(r.source, r.target)] * r.units\n"
        "             for r in jobs.assignments.itertuples())\n"
        'print(f"{len(jobs.assignments)} residents matched: £{income:,.0f} a year in pay")\n'
        "jobs.unmet_need"
    ),
    new_markdown_cell(
        "## Supply and demand by skill\n\nThe whole area at once (the report's `skills` "
        "table), with counts below 5 suppressed as a partner would see them."
    ),
    new_code_cell(
        'all_links = assetmap.find_links(placed, between=("micro", "macro"))\n'
        'report = assetmap.build_report(placed, all_links, audience="partners", charts=False)\n'
        'skills = report.tables["skills"]\n'
        'skills[skills["demand"] > 0].sort_values("shortfall", ascending=False)'
    ),
]


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, cells in (
        ("exploring_greater_icknield.ipynb", EXPLORING),
        ("skills_matching.ipynb", SKILLS),
    ):
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{i}"
        nbformat.write(nb, HERE / name)
    # the house style holds in notebooks too (ruff checks them in CI)
    subprocess.run(["ruff", "format", "-q", str(HERE)], check=True)


if __name__ == "__main__":
    main()
