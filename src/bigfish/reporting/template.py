# ruff: noqa: E501  (HTML lines)
"""The HTML of the statistics report (kept in Python so that every install has it)."""

from __future__ import annotations

REPORT_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }} — {{ stats.period.label }}</title>
<style>
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", "Noto Sans", sans-serif; color: #1d2430; font-size: 10.5pt;
  max-width: 190mm; margin: 0 auto; }
h1 { font-size: 20pt; margin: 0 0 2mm; color: #10233f; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; color: #10233f; }
.sub { color: #5b6675; margin: 0 0 5mm; }
.summary { page-break-after: always; break-after: page; }
.figures { display: flex; flex-wrap: wrap; gap: 3mm; margin: 4mm 0; }
.figure { flex: 1 1 40mm; border: 1px solid #d9dee6; border-radius: 2mm; padding: 3mm; }
.figure b { display: block; font-size: 16pt; color: #0b5cad; }
ul.points li { margin-bottom: 2mm; }
img { max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border-bottom: 1px solid #d9dee6; padding: 1mm 2mm; text-align: left; }
th { background: #eef2f7; }
.chart { page-break-inside: avoid; break-inside: avoid; margin-bottom: 4mm; }
.foot { color: #5b6675; font-size: 8pt; margin-top: 6mm; }
</style>
</head>
<body>
<section class="summary" id="summary">
<h1>{{ title }}</h1>
<p class="sub">Period: {{ stats.period.label }} · generated {{ stats.generated_at.strftime("%Y-%m-%d %H:%M UTC") }}
 · one-page summary for ministers</p>
<p class="sub" id="audience">{% if reader is none %}The node operator's view: every report stored on this node counts, whatever its
 TLP or distribution, including reports shared with no other organization.{% else %}The view of {{ reader }}: only reports
 {{ reader }} may see under the partnership's TLP and distribution markings count.{% endif %} Aggregated figures only: a
 country, typology, cross-border flow, month's losses or network resting on fewer than {{ min_cell }} reports is pooled
 into "Other" or left out, and a loss stated by fewer than {{ min_cell }} reports, or dominated by one report's, is not
 published. {% if noise %}Each loss
{% set share %}{{ "%g"|format(noise * noise_floor * 100) }} to {{ "%g"|format(noise * 100) }}%{% endset %}
 is changed by {{ share }} of the largest loss of one report in it and by {{ share }} of the second largest,
 each up or down, the same for the same reports every time, and{% else %}Losses are{% endif %}
 rounded to {{ loss_figures }} significant figures.</p>
{% if days %}<p class="sub" id="any-period"><b>This period is not whole calendar months</b> (published with
 <code>--any-period</code>): its figures, set beside those of an overlapping period, can give away the losses of the few
 reports between the two.</p>{% endif %}
<div class="figures">
  <div class="figure"><b>{{ stats.report_count|num }}</b>scam reports</div>
  <div class="figure"><b>{{ stats.loss_usd|usd }}</b>reported losses</div>
  <div class="figure"><b>{{ stats.network_count|num }}</b>linked networks</div>
  <div class="figure"><b>{{ country_count|num }}</b>victims' countries</div>
</div>
<h2>What the partnership sees</h2>
<ul class="points">
{% if top_country %}<li>The most affected country{% if countries_hidden %} of those whose losses are published{% endif %} is <b>{{ top_country.key }}</b>: {{ top_country.reports|num }} reports and
 {{ top_country.loss_usd|usd }} in losses.</li>{% endif %}
{% if top_typology %}<li>{% if typology_loss_hidden %}The typology of the most reports is <b>{{ top_typology.key }}</b>
 ({{ top_typology.reports|num }} reports, losses not published).{% else %}The costliest typology{% if typologies_hidden %} of those whose losses are published{% endif %} is <b>{{ top_typology.key }}</b>
 ({{ top_typology.loss_usd|usd }}).{% endif %}</li>{% endif %}
<li>{{ cross_border|num }} reports name bank accounts or phone numbers of another country than the
 victim's: the networks are cross-border, and so must be the response.</li>
{% if largest %}<li>The largest network links {{ largest.stats.report_count|num }} reports of victims in
 {{ largest.stats.countries|join(", ") }}, with
 {{ largest.stats.total_loss_usd|usd }} in losses.</li>{% endif %}
{% if stats.unconverted %}<li id="unconverted">{{ stats.unconverted|num }} reports state a loss in a currency with no reference
 rate: their losses are not in these figures ({% for u in stats.unconverted_by_currency %}{% if u.currency == other %}{{ u.reports|num }}
 in currencies of fewer than {{ min_cell }} such reports each, not named{% else %}{{ u.reports|num }} in {{ u.currency }},
 {{ u.amount|stated(u.currency) }}{% endif %}{% if not loop.last %}; {% endif %}{% endfor %}).</li>{% endif %}
<li>Cooperation requests: {% for s, n in stats.requests_by_status %}{{ n }} {{ s }}{% if not loop.last %}, {% endif %}
{% else %}none yet{% endfor %}.</li>
</ul>
<h2>Top networks</h2>
<table>
<thead><tr><th>Network</th><th>Reports</th><th>Countries</th><th>Losses (USD)</th><th>Active</th></tr></thead>
<tbody>
{% for n in networks[:5] %}<tr><td>{{ n.id }}</td><td>{{ n.stats.report_count|num }}</td>
<td>{{ n.stats.countries|join(", ") }}</td><td>{{ n.stats.total_loss_usd|usd }}</td>
<td>{{ n.stats.first_seen.strftime("%Y-%m") }} – {{ n.stats.last_seen.strftime("%Y-%m") }}</td></tr>
{% else %}<tr><td colspan="5">No network in this period.</td></tr>{% endfor %}
</tbody>
</table>
</section>

<section id="details">
<h2>Losses by country</h2>
<div class="chart"><img alt="Losses by victims' country" src="{{ figures.country }}"></div>
{% if notes.country %}<p class="not-drawn">{{ notes.country }}</p>{% endif %}
<h2>Trend by month</h2>
<div class="chart"><img alt="Reports and losses by month" src="{{ figures.month }}"></div>
<h2>Losses by typology</h2>
<div class="chart"><img alt="Losses by typology" src="{{ figures.typology }}"></div>
{% if notes.typology %}<p class="not-drawn">{{ notes.typology }}</p>{% endif %}
<h2>Cross-border flows</h2>
<div class="chart"><img alt="Cross-border flows" src="{{ figures.flows }}"></div>
<table>
<thead><tr><th>Victims' country</th><th>Country of accounts and phones</th><th>Reports</th></tr></thead>
<tbody>{% for f in stats.flows[:15] %}<tr><td>{{ f.victim_country }}</td><td>{{ f.asset_country }}</td>
<td>{{ f.reports|num }}</td></tr>{% endfor %}</tbody>
</table>
<h2>Cooperation requests by status</h2>
<div class="chart"><img alt="Cooperation requests by status" src="{{ figures.requests }}"></div>
<h2>Top networks</h2>
<table>
<thead><tr><th>Rank</th><th>Network</th><th>Reports</th><th>Countries</th><th>Organizations</th>
<th>Losses (USD)</th></tr></thead>
<tbody>{% for n in networks %}<tr><td>{{ loop.index }}</td><td>{{ n.id }}</td>
<td>{{ n.stats.report_count|num }}</td><td>{{ n.stats.countries|join(", ") }}</td>
<td>{{ n.stats.organizations|length }}</td><td>{{ n.stats.total_loss_usd|usd }}</td></tr>{% endfor %}</tbody>
</table>
<p class="foot">{% if reader is none %}Figures count every report stored on this node (the operator's view).{% else %}Figures
count only reports {{ reader }} may see under the partnership's TLP and distribution markings.{% endif %} Groups of fewer
than {{ min_cell }} reports are pooled into "Other" or left out, and losses stated by fewer than {{ min_cell }} reports,
or dominated by one report's (the losses other than the two largest add up to less than {{ dominance_p }}% of the
largest), are not published; losses are converted to USD at reference rates and rounded to {{ loss_figures }} significant
figures, each on its own (parts may not add up to their total).
Produced by bigfish.</p>
</section>
</body>
</html>
"""
