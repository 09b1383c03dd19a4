// The timeline: one row per country. The upper lane steps through the
// country's stance (dots coloured on the -2..+2 scale, higher is more
// supportive); the lower lane marks its pledges, first deliveries and
// withdrawals (commitment_list), and the meetings, sanctions and incidents
// seen on the live feed, with a dashed line joining the two sides of each
// sanction or incident.

import { el, svg, svgTitle, replace, human, qty, parseTime, fmtDate, fmtDay, signed, stanceColor, kindShape, kindIcon, STANCE_NAMES } from "./util.js";

const LABEL_W = 178;
const ROW_H = 46;
const TOP = 26;
const PAD_R = 18;
const STEP = 4.5; // pixels per stance step
const DAY = 86400000;

export function renderLegend(container) {
  const scale = el("span", { class: "scale", title: "stance −2 opposed … +2 strongly supportive" });
  for (let s = -2; s <= 2; s++) {
    const dot = svg("svg", { width: 10, height: 10, viewBox: "0 0 10 10", "aria-hidden": "true" }, svg("circle", { cx: 5, cy: 5, r: 4.5, fill: stanceColor(s) }));
    scale.append(dot);
  }
  scale.append(el("span", null, " stance −2 … +2"));
  const item = (kind, text) => el("span", null, kindIcon(kind, 13), text);
  const link = svg("svg", { width: 14, height: 12, viewBox: "0 0 14 12", "aria-hidden": "true" },
    svg("line", { x1: 7, y1: 0, x2: 7, y2: 12, stroke: "#b42318", "stroke-width": 1.5, "stroke-dasharray": "3 3" }));
  replace(container, scale, item("pledge", "pledge"), item("deployment", "first delivery"), item("withdrawal", "withdrawal"),
    item("meeting", "meeting"), item("sanction", "sanction"), item("incident", "incident"), el("span", null, link, "between members"));
}

// renderTimeline draws the chart. feedEvents are decoded schema.Event
// objects from the live feed (meetings, sanctions and incidents are used);
// feedAvailable says whether the feed answered at all.
export function renderTimeline(container, { countries, stance, commitments, feedEvents, feedAvailable }) {
  const rows = [...(countries || [])].sort((a, b) => (a.country < b.country ? -1 : 1));
  const index = new Map(rows.map((c, i) => [c.country, i]));
  const marks = []; // {row, t, kind, title}
  const links = []; // {a, b, t, kind, title}
  const stances = new Map(); // country -> [{t, s, title}]

  for (const s of stance || []) {
    const t = parseTime(s.occurred_at);
    if (!t || !index.has(s.country)) continue;
    if (!stances.has(s.country)) stances.set(s.country, []);
    stances.get(s.country).push({ t, s: Number(s.stance), title: `${fmtDate(t)} — ${signed(s.stance)} ${human(s.stance_name || STANCE_NAMES[s.stance])}: ${s.summary || ""}` });
  }
  for (const c of commitments || []) {
    if (!index.has(c.country)) continue;
    const row = index.get(c.country);
    const size = Number(c.pledged) > 0 ? `${qty(c.pledged)} ${human(c.unit)}` : "unquantified";
    const what = `${human(c.asset)} (${human(c.category)}), ${size}`;
    const a = parseTime(c.announced_at);
    if (a) marks.push({ row, t: a, kind: "pledge", title: `${fmtDate(a)} — pledge: ${what}` });
    const d = parseTime(c.first_delivery_at);
    if (d) marks.push({ row, t: d, kind: "deployment", title: `${fmtDate(d)} — first delivery: ${what}, ${qty(c.delivered)} delivered` });
    const w = parseTime(c.withdrawn_at);
    if (w) marks.push({ row, t: w, kind: "withdrawal", title: `${fmtDate(w)} — withdrawn: ${what}` });
  }
  for (const ev of feedEvents || []) {
    if (!["meeting", "sanction", "incident"].includes(ev.kind)) continue;
    const t = parseTime(ev.occurred_at);
    if (!t) continue;
    const title = `${fmtDate(t)} — ${ev.kind}: ${ev.summary || ""}`;
    const sides = [ev.actor, ev.counterpart].filter((c, i, all) => c && all.indexOf(c) === i);
    if (ev.kind === "meeting" && ev.meeting && Array.isArray(ev.meeting.participants)) {
      for (const p of ev.meeting.participants) if (p && !sides.includes(p)) sides.push(p);
    }
    for (const c of sides) if (index.has(c)) marks.push({ row: index.get(c), t, kind: ev.kind, title });
    if (ev.kind !== "meeting" && index.has(ev.actor) && index.has(ev.counterpart)) {
      links.push({ a: index.get(ev.actor), b: index.get(ev.counterpart), t, kind: ev.kind, title });
    }
  }

  const times = [...marks.map((m) => m.t), ...[...stances.values()].flat().map((s) => s.t)];
  if (!rows.length || !times.length) {
    replace(container, el("p", { class: "empty-state" }, "Nothing to show yet: no statements, commitments or feed events."));
    return;
  }
  let t0 = Math.min(...times.map((t) => t.getTime()));
  let t1 = Math.max(...times.map((t) => t.getTime()));
  const span0 = Math.max(t1 - t0, DAY);
  t0 -= span0 * 0.03;
  t1 += span0 * 0.03;
  const W = Math.max(560, container.clientWidth || 900);
  const H = TOP + rows.length * ROW_H + 4;
  const x = (t) => LABEL_W + ((t.getTime() - t0) / (t1 - t0)) * (W - LABEL_W - PAD_R);
  const stanceY = (row, s) => TOP + row * ROW_H + 15 - s * STEP;
  const laneY = (row) => TOP + row * ROW_H + 35;

  const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": "Timeline of each country's stance, commitments, meetings, sanctions and incidents" });

  // axis and grid
  const axis = svg("g", { class: "axis" });
  for (const tick of ticks(t0, t1)) {
    const tx = x(tick);
    axis.append(svg("line", { class: "grid", x1: tx, x2: tx, y1: TOP - 6, y2: H }),
      svg("text", { x: tx, y: TOP - 11, "text-anchor": "middle" }, tickLabel(tick, t0, t1)));
  }

  // rows
  rows.forEach((c, i) => {
    const top = TOP + i * ROW_H;
    if (i % 2 === 1) root.append(svg("rect", { x: 0, y: top, width: W, height: ROW_H, fill: "#fafbfc" }));
    root.append(
      svg("text", { class: "row-label", x: 0, y: top + 19 }, c.country),
      svg("text", { class: "row-name", x: 40, y: top + 19 }, truncate(c.name || "", 20)),
      svg("line", { class: "lane", x1: LABEL_W, x2: W - PAD_R, y1: laneY(i), y2: laneY(i) }));
  });
  // keep the grid above the row stripes
  root.append(axis);

  // sanctions and incidents between members
  for (const l of links) {
    const lx = x(l.t);
    root.append(svg("line", { class: "rift-link", x1: lx, x2: lx, y1: laneY(l.a), y2: laneY(l.b) }, svgTitle(l.title)));
  }

  // stance steps and dots
  for (const [code, pts] of stances) {
    const row = index.get(code);
    pts.sort((a, b) => a.t - b.t);
    let d = `M${x(pts[0].t).toFixed(1)} ${stanceY(row, pts[0].s)}`;
    for (let k = 1; k < pts.length; k++) {
      d += ` H${x(pts[k].t).toFixed(1)} V${stanceY(row, pts[k].s)}`;
    }
    d += ` H${(W - PAD_R).toFixed(1)}`;
    root.append(svg("path", { class: "stance-path", d }));
    for (const p of pts) {
      root.append(svg("circle", { cx: x(p.t), cy: stanceY(row, p.s), r: 5, fill: stanceColor(p.s), stroke: "#fff", "stroke-width": 1.5 }, svgTitle(p.title)));
    }
  }

  // event marks, the heavier ones last so they stay visible
  const order = ["meeting", "pledge", "withdrawal", "deployment", "sanction", "incident"];
  marks.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const m of marks) {
    const g = svg("g", null, kindShape(m.kind, x(m.t), laneY(m.row), m.kind === "incident" ? 13 : 10), svgTitle(m.title));
    root.append(g);
  }

  const parts = [root];
  if (!feedAvailable) parts.push(el("p", { class: "timeline-note" }, "Meetings, sanctions and incidents appear here once the live feed answers."));
  replace(container, parts);
}

function truncate(s, n) {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// ticks returns UTC midnights (or month starts) at a step that gives at most
// about ten labels.
function ticks(t0, t1) {
  const span = t1 - t0;
  const out = [];
  if (span > 120 * DAY) {
    const d = new Date(t0);
    let m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    const months = Math.max(1, Math.ceil(span / (30 * DAY) / 10));
    while (m.getTime() <= t1) {
      out.push(m);
      m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + months, 1));
    }
    return out;
  }
  const steps = [1, 2, 3, 7, 14, 28];
  const step = steps.find((s) => span / (s * DAY) <= 11) || 28;
  const start = Math.ceil(t0 / DAY) * DAY;
  for (let t = start; t <= t1; t += step * DAY) out.push(new Date(t));
  return out;
}

function tickLabel(t, t0, t1) {
  if (t1 - t0 > 120 * DAY) return `${fmtDate(t).split(" ").slice(1).join(" ")}`;
  return fmtDay(t);
}
