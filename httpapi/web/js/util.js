// DOM, formatting and fetch helpers. Every string from the API reaches the
// page through textContent or an attribute, never through innerHTML.

const SVGNS = "http://www.w3.org/2000/svg";

// el builds an HTML element: el("td", {class: "num"}, "3", otherNode).
export function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  setAttrs(n, attrs);
  append(n, children);
  return n;
}

// svg builds an SVG element the same way.
export function svg(tag, attrs, ...children) {
  const n = document.createElementNS(SVGNS, tag);
  setAttrs(n, attrs);
  append(n, children);
  return n;
}

function setAttrs(n, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    n.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(n, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace swaps a container's children for new ones.
export function replace(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

// svgTitle gives an SVG shape a tooltip.
export function svgTitle(text) {
  const t = document.createElementNS(SVGNS, "title");
  t.textContent = text;
  return t;
}

// HTTPError carries the status of a failed request.
export class HTTPError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// getJSON fetches a JSON document; it throws HTTPError on a non-2xx answer.
export async function getJSON(url) {
  const resp = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!resp.ok) {
    let msg = resp.statusText;
    try {
      const body = await resp.json();
      if (body && body.error) msg = body.error;
    } catch (_) { /* not JSON */ }
    throw new HTTPError(resp.status, `${url}: ${resp.status} ${msg}`);
  }
  return resp.json();
}

// rowsToObjects turns an analytics answer ({columns, rows}) into objects.
export function rowsToObjects(res) {
  if (!res || !Array.isArray(res.columns) || !Array.isArray(res.rows)) return [];
  return res.rows.map((r) => {
    const o = {};
    res.columns.forEach((c, i) => { o[c] = r[i]; });
    return o;
  });
}

// human turns identifiers such as "air_base" into "air base".
export function human(s) {
  return String(s ?? "").replaceAll("_", " ");
}

// qty formats a quantity without needless decimals, with thousands separators.
export function qty(q) {
  const n = Number(q) || 0;
  return n.toLocaleString("en-GB", { maximumFractionDigits: 2 });
}

export function pct(f) {
  const n = Math.max(0, Number(f) || 0);
  return `${Math.round(n * 100)}%`;
}

// parseTime reads an RFC 3339 time; null for empty, zero or invalid ones.
export function parseTime(s) {
  if (!s) return null;
  const t = new Date(s);
  if (Number.isNaN(t.getTime()) || t.getUTCFullYear() <= 1970) return null;
  return t;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");

// Dates are shown in UTC, as the API stores them.
export function fmtDate(t) {
  if (!t) return "—";
  return `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()}`;
}

export function fmtDay(t) {
  return `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]}`;
}

export function fmtDateTime(t) {
  if (!t) return "—";
  return `${fmtDate(t)}, ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())} UTC`;
}

export function fmtShort(t) {
  if (!t) return "—";
  const now = new Date();
  const day = t.getUTCFullYear() === now.getUTCFullYear() ? fmtDay(t) : fmtDate(t);
  return `${day} · ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

// fmtStamp is a day and time with the year, for times that may be years
// apart from what they are shown beside (an alert raised today about 2015).
export function fmtStamp(t) {
  if (!t) return "—";
  return `${fmtDate(t)} · ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

export function isoSecond(t) {
  return t.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export const STANCE_NAMES = { "-2": "opposed", "-1": "skeptical", 0: "neutral", 1: "supportive", 2: "strongly supportive" };

// Colours that SVG attributes need as values (they take no CSS variables);
// app.css has the same ones.
const STANCE_COLORS = { "-2": "#b42318", "-1": "#ef8a17", 0: "#98a2b3", 1: "#7ea3ef", 2: "#1d4ed8" };
export const KIND_COLORS = {
  meeting: "#667085", statement: "#6941c6", pledge: "#1d4ed8", deployment: "#05603a",
  withdrawal: "#b54708", sanction: "#c4320a", incident: "#b42318",
};

export function stanceColor(s) {
  const v = Math.max(-2, Math.min(2, Math.round(Number(s) || 0)));
  return STANCE_COLORS[v];
}

export function signed(n) {
  const v = Number(n) || 0;
  return v > 0 ? `+${v}` : v < 0 ? `−${-v}` : "0";
}

// The labels in the order the status rules try them: most urgent first.
export const LABELS = ["opposed", "at_odds", "wavering", "delivering", "pledged", "supportive", "neutral"];

export function chip(label) {
  return el("span", { class: "chip", "data-label": label }, human(label));
}

export const KINDS = ["meeting", "statement", "pledge", "deployment", "withdrawal", "sanction", "incident"];

// kindShape draws the symbol of an event kind, centred on (x, y); the same
// symbols mark the feed and the timeline.
export function kindShape(kind, x, y, size, fill) {
  const r = size / 2;
  const color = fill || KIND_COLORS[kind] || KIND_COLORS.meeting;
  switch (kind) {
    case "pledge":
      return svg("path", { d: `M${x} ${y - r} L${x + r} ${y} L${x} ${y + r} L${x - r} ${y} Z`, fill: "#fff", stroke: color, "stroke-width": 1.8 });
    case "deployment":
      return svg("path", { d: `M${x} ${y - r} L${x + r} ${y + r * 0.8} L${x - r} ${y + r * 0.8} Z`, fill: color });
    case "withdrawal":
      return svg("path", { d: `M${x - r * 0.8} ${y - r * 0.8} L${x + r * 0.8} ${y + r * 0.8} M${x + r * 0.8} ${y - r * 0.8} L${x - r * 0.8} ${y + r * 0.8}`, stroke: color, "stroke-width": 2.2, "stroke-linecap": "round" });
    case "sanction":
      return svg("rect", { x: x - r * 0.8, y: y - r * 0.8, width: r * 1.6, height: r * 1.6, rx: 1.5, fill: color });
    case "incident": {
      const pts = [];
      for (let i = 0; i < 16; i++) {
        const a = (Math.PI * 2 * i) / 16 - Math.PI / 2;
        const rr = i % 2 === 0 ? r * 1.15 : r * 0.5;
        pts.push(`${(x + rr * Math.cos(a)).toFixed(2)},${(y + rr * Math.sin(a)).toFixed(2)}`);
      }
      return svg("polygon", { points: pts.join(" "), fill: color });
    }
    case "statement":
      return svg("circle", { cx: x, cy: y, r: r * 0.85, fill: color });
    default: // meeting
      return svg("circle", { cx: x, cy: y, r: r * 0.75, fill: "#fff", stroke: color, "stroke-width": 1.8 });
  }
}

// kindIcon is a small standalone SVG of a kind's symbol.
export function kindIcon(kind, size = 16, fill) {
  const s = svg("svg", { width: size, height: size, viewBox: `0 0 ${size} ${size}`, "aria-hidden": "true", focusable: "false" });
  s.append(kindShape(kind, size / 2, size / 2, size * 0.62, fill));
  return s;
}
