// The status panels: the counts, the at-a-glance cards, the sortable
// country table and the pledged-versus-delivered bars.

import {
  el, svg, svgTitle, replace, human, qty, pct, parseTime, fmtDate, fmtDateTime, signed,
  LABELS, chip,
} from "./util.js";

const OPEN_STATES = new Set(["announced", "committed", "allocated", "partly_delivered"]);

export function renderHeader(data) {
  const cs = data.countries || [];
  const commitments = cs.reduce((n, c) => n + (c.commitments || 0), 0);
  const open = cs.reduce((n, c) => n + (c.open || 0), 0);
  document.getElementById("coalition-name").textContent = data.coalition || "No coalition yet";
  document.title = data.coalition ? `Coalition · ${data.coalition}` : "Coalition";
  const asOf = parseTime(data.as_of) || new Date();
  const t = document.getElementById("as-of");
  t.dateTime = asOf.toISOString();
  t.textContent = fmtDateTime(asOf);
  document.getElementById("count-countries").textContent = String(cs.length);
  document.getElementById("count-commitments").textContent = String(commitments);
  document.getElementById("count-open").textContent = String(open);
}

export function renderCoalitionPicker(coalitions, current, onChange) {
  const picker = document.getElementById("coalition-picker");
  const sel = document.getElementById("coalition-select");
  if (!coalitions || coalitions.length < 2) {
    picker.hidden = true;
    return;
  }
  replace(sel, coalitions.map((c) => el("option", { value: c, selected: c === current }, c)));
  sel.value = current;
  sel.onchange = () => onChange(sel.value);
  picker.hidden = false;
}

// countryName returns "Germany" for "DEU" from the status data, or the code.
export function namer(countries) {
  const m = new Map((countries || []).map((c) => [c.country, c.name || c.country]));
  return (code) => m.get(code) || code;
}

/* ---------- at a glance ---------- */

function glanceItem(big, unit, who, what) {
  return el("li", null,
    el("span", { class: "big" }, big, unit ? el("small", null, unit) : null),
    el("span", { class: "who" }, who),
    el("span", { class: "what" }, what));
}

function quiet(text) {
  return el("li", { class: "empty" }, text);
}

export function renderGlance(data, commitments, cohesion, conflicts) {
  const name = namer(data.countries);
  const byCode = new Map((data.countries || []).map((c) => [c.country, c]));

  // Awaiting delivery: quantified commitments still open, newest first.
  const awaiting = [];
  let unquantifiedOpen = 0;
  if (commitments) {
    for (const c of commitments) {
      if (!OPEN_STATES.has(c.state)) continue;
      if (!c.unit || !(Number(c.pledged) > 0)) { unquantifiedOpen++; continue; }
      awaiting.push({
        big: qty(c.pledged), unit: human(c.unit), who: `${c.country} ${name(c.country)}`, at: parseTime(c.announced_at),
        what: [human(c.category), human(c.asset), `pledged ${fmtDate(parseTime(c.announced_at))}`, `${qty(c.delivered)} delivered`].join(" · "),
      });
    }
  } else {
    for (const c of data.countries || []) {
      for (const l of c.lines || []) {
        if (!l.unit || !l.open) continue;
        awaiting.push({ big: qty(l.pledged), unit: human(l.unit), who: `${c.country} ${c.name}`, at: null,
          what: `${human(l.category)} · ${qty(l.delivered)} delivered` });
      }
    }
  }
  awaiting.sort((a, b) => (b.at ? b.at.getTime() : 0) - (a.at ? a.at.getTime() : 0));
  const aw = document.querySelector("#glance-awaiting ol");
  const awItems = awaiting.slice(0, 4).map((a) => glanceItem(a.big, a.unit, a.who, a.what));
  const more = awaiting.length - awItems.length;
  if (more > 0 || unquantifiedOpen > 0) {
    const bits = [];
    if (more > 0) bits.push(`${more} more quantified`);
    if (unquantifiedOpen > 0) bits.push(`${unquantifiedOpen} unquantified`);
    awItems.push(el("li", { class: "empty" }, `and ${bits.join(", ")} still open`));
  }
  replace(aw, awItems.length ? awItems : quiet("No commitment is waiting for delivery."));

  // Delivered, in full or in part.
  const delivered = [];
  if (commitments) {
    for (const c of commitments) {
      if (c.state !== "delivered" && c.state !== "partly_delivered") continue;
      const first = parseTime(c.first_delivery_at);
      const size = Number(c.pledged) > 0 ? `${qty(c.delivered)} of ${qty(c.pledged)}` : null;
      delivered.push({
        big: Number(c.pledged) > 0 ? qty(c.delivered) : "✓", unit: c.unit ? human(c.unit) : human(c.asset),
        who: `${c.country} ${name(c.country)}`, at: first,
        what: [human(c.category), human(c.asset), c.state === "delivered" ? "delivered in full" : `partly: ${size}`,
          first ? `from ${fmtDate(first)}` : null].filter(Boolean).join(" · "),
      });
    }
  }
  delivered.sort((a, b) => (b.at ? b.at.getTime() : 0) - (a.at ? a.at.getTime() : 0));
  replace(document.querySelector("#glance-delivered ol"),
    delivered.length ? delivered.slice(0, 4).map((d) => glanceItem(d.big, d.unit, d.who, d.what)) : quiet("Nothing delivered yet."));

  // Rifts: pairs with conflict (sanctions, incidents, critical statements).
  const rifts = [];
  if (cohesion) {
    for (const r of cohesion) {
      if (!(Number(r.conflict) > 0)) continue;
      rifts.push({ a: r.country_a, b: r.country_b, conflict: Number(r.conflict), cooperation: Number(r.cooperation), net: Number(r.net) });
    }
    rifts.sort((x, y) => x.net - y.net || y.conflict - x.conflict);
  } else {
    const odd = (data.countries || []).filter((c) => c.label === "at_odds").map((c) => c.country);
    if (odd.length) rifts.push({ a: odd.join(", "), b: null });
  }
  const ri = rifts.slice(0, 3).map((r) => {
    if (!r.b) return glanceItem(r.a, null, "at odds with another member", "");
    const pair = el("span", { class: "pair" }, r.a, el("span", { class: "vs", "aria-label": "against" }, "⇄"), r.b);
    const between = (conflicts || []).filter((e) => (e.actor === r.a && e.counterpart === r.b) || (e.actor === r.b && e.counterpart === r.a));
    const parts = [];
    const incidents = between.filter((e) => e.kind === "incident");
    for (const e of incidents.slice(0, 2)) {
      const kind = e.incident && e.incident.type ? human(e.incident.type) : "incident";
      parts.push(`${kind} ${fmtDate(parseTime(e.occurred_at))}`);
    }
    const sanctions = between.filter((e) => e.kind === "sanction");
    const by = new Map();
    for (const s of sanctions) by.set(s.actor, (by.get(s.actor) || 0) + 1);
    for (const [who, n] of by) parts.push(`${n} ${n === 1 ? "sanction" : "sanctions"} by ${who}`);
    if (!parts.length) parts.push(`${r.conflict} conflict ${r.conflict === 1 ? "event" : "events"}`);
    parts.push(r.cooperation > 0 ? `${r.cooperation} cooperative ${r.cooperation === 1 ? "act" : "acts"}` : "no cooperation");
    const who = `${name(r.a)} and ${name(r.b)}`;
    const li = glanceItem(pair, null, who, parts.join(" · "));
    const la = byCode.get(r.a), lb = byCode.get(r.b);
    if (la && lb && la.label === "at_odds" && lb.label === "at_odds") li.querySelector(".who").append(" ", chip("at_odds"));
    return li;
  });
  replace(document.querySelector("#glance-rifts ol"), ri.length ? ri : quiet("No sanctions or incidents between members."));
}

/* ---------- the status table ---------- */

const SORTS = {
  country: { key: (c) => c.country, dir: 1 },
  label: { key: (c) => LABELS.indexOf(c.label), dir: 1 },
  stance: { key: (c) => (c.has_stance ? c.stance : -9), dir: -1 },
  lines: { key: (c) => (c.commitments || 0) * 1e6 + (c.lines || []).reduce((n, l) => n + (l.pledged || 0), 0), dir: -1 },
  open: { key: (c) => c.open || 0, dir: -1 },
  meetings: { key: (c) => c.meetings || 0, dir: -1 },
  sanctions: { key: (c) => (c.sanctions_imposed || 0) + (c.sanctions_received || 0), dir: -1 },
  incidents: { key: (c) => c.incidents || 0, dir: -1 },
  anomalies: { key: (c) => c.anomalies || 0, dir: -1 },
  last: { key: (c) => (parseTime(c.last_activity_at) || new Date(0)).getTime(), dir: -1 },
};

export class StatusTable {
  constructor(table) {
    this.table = table;
    this.tbody = table.querySelector("tbody");
    this.sort = { key: "label", dir: 1 };
    this.countries = [];
    for (const th of table.querySelectorAll("thead th[data-key]")) {
      th.querySelector("button").addEventListener("click", () => {
        const key = th.dataset.key;
        if (this.sort.key === key) this.sort.dir = -this.sort.dir;
        else this.sort = { key, dir: SORTS[key].dir };
        this.render();
      });
    }
  }

  update(countries) {
    this.countries = countries || [];
    this.render();
  }

  render() {
    const { key, dir } = this.sort;
    const f = SORTS[key].key;
    const rows = [...this.countries].sort((a, b) => {
      const x = f(a), y = f(b);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.country < b.country ? -1 : a.country > b.country ? 1 : 0;
    });
    for (const th of this.table.querySelectorAll("thead th[data-key]")) {
      if (th.dataset.key === key) th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    if (!rows.length) {
      replace(this.tbody, el("tr", null, el("td", { colspan: 10, class: "empty-state" },
        "No events yet. Publish some with ", el("code", null, "coalition publish"), " or ", el("code", null, "POST /api/v1/events"), ".")));
      return;
    }
    replace(this.tbody, rows.map(row));
  }
}

function num(n, cls) {
  const v = Number(n) || 0;
  return el("td", { class: `num ${v === 0 ? "zero" : cls || ""}` }, String(v));
}

function row(c) {
  const stance = c.has_stance
    ? el("span", { class: "stance", title: `since ${fmtDate(parseTime(c.stance_at))}` },
      el("span", { class: "val", "data-s": String(c.stance) }, signed(c.stance)),
      el("span", { class: "nm" }, human(c.stance_name)),
      c.has_prev_stance && c.prev_stance !== c.stance ? el("span", { class: "prev" }, `was ${signed(c.prev_stance)}`) : null)
    : el("span", { class: "zero" }, "—");
  const lines = (c.lines || []).map((l) => {
    if (!l.unit) {
      return el("li", null, el("span", { class: "qty" }, String(l.commitments)), " unquantified ", el("span", { class: "cat" }, human(l.category)));
    }
    const full = l.pledged > 0 && l.delivered >= l.pledged;
    return el("li", null,
      el("span", { class: "qty" }, `${qty(l.pledged)} ${human(l.unit)}`), " → ", el("span", { class: "qty" }, qty(l.delivered)), " ",
      el("span", { class: `pct${full ? " full" : ""}` }, pct(l.fulfilment)), " ",
      el("span", { class: "cat" }, human(l.category)),
      l.withdrawn > 0 ? el("span", { class: "cat" }, ` · ${qty(l.withdrawn)} withdrawn`) : null);
  });
  const sanctions = (c.sanctions_imposed || 0) + (c.sanctions_received || 0);
  const last = parseTime(c.last_activity_at);
  return el("tr", { "data-country": c.country, "data-label": c.label },
    el("td", { class: "country" }, el("span", { class: "code" }, c.country), " ", el("span", { class: "name" }, c.name || "")),
    el("td", null, chip(c.label)),
    el("td", null, stance),
    el("td", null, lines.length ? el("ul", { class: "lines" }, lines) : el("span", { class: "zero" }, "—")),
    el("td", { class: `num ${c.open ? "" : "zero"}` }, String(c.open || 0), el("span", { class: "muted" }, ` / ${c.commitments || 0}`)),
    num(c.meetings),
    el("td", { class: `num ${sanctions ? "hot" : "zero"}` }, `${c.sanctions_imposed || 0} / ${c.sanctions_received || 0}`),
    num(c.incidents, "hot"),
    num(c.anomalies, "warm"),
    el("td", { class: "date" }, last ? fmtDate(last) : "—"));
}

/* ---------- pledged versus delivered ---------- */

export function renderBars(container, countries, commitments) {
  const maxByUnit = new Map();
  for (const c of countries) {
    for (const l of c.lines || []) {
      if (l.unit && l.pledged > 0) maxByUnit.set(l.unit, Math.max(maxByUnit.get(l.unit) || 0, l.pledged));
    }
  }
  const byOwner = new Map();
  for (const cm of commitments || []) {
    if (!byOwner.has(cm.country)) byOwner.set(cm.country, []);
    byOwner.get(cm.country).push(cm);
  }
  const blocks = [];
  for (const c of [...countries].sort((a, b) => (a.country < b.country ? -1 : 1))) {
    const lines = (c.lines || []).filter((l) => l.unit && l.pledged > 0);
    const unq = commitments
      ? (byOwner.get(c.country) || []).filter((cm) => !cm.unit || !(Number(cm.pledged) > 0))
      : (c.lines || []).filter((l) => !l.unit);
    if (!lines.length && !unq.length) continue;
    const block = el("div", { class: "bar-country", "data-country": c.country },
      el("h3", null, el("span", { class: "code" }, c.country), el("span", { class: "name" }, c.name || ""), chip(c.label)));
    for (const l of lines) block.append(bar(l, maxByUnit.get(l.unit)));
    if (unq.length) {
      block.append(el("ul", { class: "unq" }, unq.map((u) => commitments
        ? el("li", null, el("span", { class: "tag" }, human(u.category)), el("span", null, human(u.asset)),
          el("span", { class: `st ${u.state}` }, human(u.state === "announced" ? "unquantified, announced" : u.state)))
        : el("li", null, el("span", { class: "tag" }, human(u.category)), el("span", null, `${u.commitments} unquantified`)))));
    }
    blocks.push(block);
  }
  replace(container, blocks.length ? blocks : el("p", { class: "empty-state" }, "No commitments yet."));
}

function bar(l, max) {
  const pledgedPct = Math.max(4, (100 * l.pledged) / (max || l.pledged));
  const ratio = Math.min(1, l.pledged > 0 ? l.delivered / l.pledged : 0);
  const deliveredPct = pledgedPct * ratio;
  const withdrawnPct = l.pledged > 0 ? pledgedPct * Math.min(1, (l.withdrawn || 0) / l.pledged) : 0;
  const full = l.pledged > 0 && l.delivered >= l.pledged;
  const caption = `${qty(l.pledged)} ${human(l.unit)} · ${qty(l.delivered)} delivered`;
  const s = svg("svg", { class: "bar-svg", role: "img", "aria-label": `${caption}, ${pct(l.fulfilment)} of the pledge` },
    svg("rect", { x: 0, y: 0, width: "100%", height: 12, rx: 3, fill: "#f2f4f7" }),
    svg("rect", { x: 0, y: 0, width: `${pledgedPct}%`, height: 12, rx: 3, fill: "#dbe7fd", stroke: "#9db9f2", "stroke-width": 1 }),
    withdrawnPct > 0 ? svg("rect", { x: `${pledgedPct - withdrawnPct}%`, y: 0, width: `${withdrawnPct}%`, height: 12, fill: "#e4e7ec" }) : null,
    deliveredPct > 0 ? svg("rect", { x: 0, y: 0, width: `${deliveredPct}%`, height: 12, rx: 3, fill: full ? "#05603a" : "#1d4ed8" }) : null,
    svgTitle(caption));
  const over = l.delivered > l.pledged ? ` (${qty(l.delivered - l.pledged)} over)` : "";
  return el("div", { class: "bar-line" },
    el("div", { class: "bar-caption" },
      el("span", { class: "main" }, caption + over),
      el("span", { class: "cat" }, human(l.category)),
      l.withdrawn > 0 ? el("span", { class: "cat" }, `${qty(l.withdrawn)} withdrawn`) : null,
      el("span", { class: `pct${full ? " full" : ""}` }, pct(l.fulfilment))),
    s);
}
