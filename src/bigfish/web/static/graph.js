/* The network graph: Cytoscape.js with the fcose layout. Reports are circles coloured by country,
   identifiers are diamonds; clicking a report expands all its identifiers, clicking an identifier
   explains which reports it joins, in the page's language (the #graph element's data-joins and
   data-invalid carry the translations). Every label is drawn on a canvas or set as textContent: values
   from reports never become HTML or links. A report is named by its `title` (org/report_id with the
   direction overrides escaped, as every page shows them); `org` and `report_id` only fetch it. */
(function () {
  "use strict";
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"];

  function colourOf(country, colours) {
    if (!(country in colours)) {
      colours[country] = PALETTE[Object.keys(colours).length % PALETTE.length];
    }
    return colours[country];
  }

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function explain(panel, title, lines) {
    panel.replaceChildren(text("h3", title));
    var list = document.createElement("ul");
    list.className = "plain";
    lines.forEach(function (line) { list.appendChild(text("li", line)); });
    panel.appendChild(list);
  }

  function start() {
    var box = document.getElementById("graph");
    var source = document.getElementById("graph-data");
    if (!box || !source || typeof cytoscape === "undefined") { return; }
    var began = performance.now();
    if (typeof cytoscapeFcose !== "undefined") { cytoscape.use(cytoscapeFcose); }
    var elements = JSON.parse(source.textContent);
    var colours = {};
    elements.forEach(function (el) {
      if (el.data.type === "report") { el.data.colour = colourOf(el.data.country, colours); }
    });
    var cy = cytoscape({
      container: box,
      elements: elements,
      minZoom: 0.1,
      maxZoom: 4,
      style: [
        { selector: "node[type = 'report']", style: {
          "background-color": "data(colour)", "width": 18, "height": 18, "label": "data(label)",
          "font-size": 7, "color": "#333", "text-valign": "bottom", "text-margin-y": 2 } },
        { selector: "node[type = 'identifier']", style: {
          "shape": "diamond", "background-color": "#f2b705", "width": 14, "height": 14,
          "label": "data(label)", "font-size": 7, "color": "#6b4e00", "text-valign": "top" } },
        { selector: "node[?key]", style: { "width": 24, "height": 24, "border-width": 2, "border-color": "#6b4e00" } },
        { selector: "node[type = 'extra']", style: {
          "shape": "round-rectangle", "background-color": "#c9d1dc", "width": 10, "height": 10,
          "label": "data(label)", "font-size": 6, "color": "#555" } },
        { selector: "edge", style: { "width": 1, "line-color": "#aab4c3", "curve-style": "haystack" } },
        { selector: ":selected", style: { "border-width": 3, "border-color": "#000" } }
      ],
      layout: { name: typeof cytoscapeFcose !== "undefined" ? "fcose" : "cose", animate: false,
        quality: elements.length > 600 ? "draft" : "default", randomize: true,
        nodeRepulsion: 6000, idealEdgeLength: 45, numIter: 1500 }
    });
    var legend = document.getElementById("legend");
    Object.keys(colours).sort().forEach(function (country) {
      var item = document.createElement("span");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.setAttribute("data-colour", colours[country]);
      swatch.style.backgroundColor = colours[country];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(country));
      legend.appendChild(item);
    });
    var panel = document.getElementById("selection");
    cy.on("tap", "node[type = 'identifier']", function (event) {
      var node = event.target;
      var reports = node.connectedEdges().connectedNodes("[type = 'report']");
      cy.elements().unselect();
      reports.select();
      var joins = (box.getAttribute("data-joins") || "{count}").replace("{count}", String(reports.length));
      explain(panel, node.data("kind") + " " + node.data("label"),
        [joins + ":"].concat(reports.map(function (r) {
          return r.data("title") + " (" + r.data("country") + ")";
        })));
    });
    cy.on("tap", "node[type = 'report']", function (event) {
      var node = event.target;
      var org = node.data("org"), id = node.data("report_id");
      var url = "/graph/reports/" + encodeURIComponent(org) + "/" + encodeURIComponent(id);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
        var lines = [], added = [], invalid = box.getAttribute("data-invalid") || "invalid";
        body.identifiers.forEach(function (m, i) {
          lines.push(m.kind + " " + m.canonical + (m.valid ? "" : " (" + invalid + ")") + " — " + m.source);
          var existing = cy.nodes().filter(function (n) {
            return n.data("type") !== "report" && n.data("label") === m.canonical && n.data("kind") === m.kind;
          });
          if (existing.length === 0) {
            var nid = node.id() + "-x" + i;
            added.push({ group: "nodes", data: { id: nid, type: "extra", label: m.canonical, kind: m.kind },
              position: { x: node.position("x") + 30 * Math.cos(i), y: node.position("y") + 30 * Math.sin(i) } });
            added.push({ group: "edges", data: { id: nid + "-e", source: node.id(), target: nid } });
          }
        });
        if (added.length) { cy.add(added); }
        explain(panel, node.data("title") + " (" + node.data("country") + ")", lines);
      });
    });
    cy.one("layoutstop", function () {
      box.setAttribute("data-rendered-nodes", String(cy.nodes().length));
      box.setAttribute("data-render-ms", String(Math.round(performance.now() - began)));
    });
    if (!box.hasAttribute("data-rendered-nodes")) {
      box.setAttribute("data-rendered-nodes", String(cy.nodes().length));
      box.setAttribute("data-render-ms", String(Math.round(performance.now() - began)));
    }
    window.bigfishGraph = cy;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
