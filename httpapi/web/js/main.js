// The dashboard: loads the status and the analytics it draws, follows the
// live feeds, and refreshes the status when events arrive (never more often
// than every 10 s) or every minute otherwise.
//
// Data:
//   header, table, bars   GET /api/v1/countries?coalition=C (first paint from
//                         the JSON the page carries), GET /api/v1/coalitions
//   at a glance, bars     GET /api/v1/analytics/commitment_list?coalition=C,
//                         GET /api/v1/analytics/cohesion_matrix?coalition=C
//   timeline              GET /api/v1/analytics/stance_timeline?coalition=C,
//                         commitment_list, and meetings, sanctions and
//                         incidents from the feed
//   live feed             GET /api/v1/feed?coalition=C&since=<30 days ago>, SSE
//   alerts                GET /api/v1/alerts?limit=20, then GET /api/v1/alerts/feed, SSE

import { getJSON, rowsToObjects, isoSecond } from "./util.js";
import { renderHeader, renderCoalitionPicker, renderGlance, renderBars, StatusTable, namer } from "./status.js";
import { renderTimeline, renderLegend } from "./timeline.js";
import { LiveStream, FeedPanel, AlertsPanel } from "./live.js";

const MIN_REFRESH_MS = 10000;
const PERIODIC_MS = 60000;
const HISTORY_MS = 30 * 86400000;
const KEEP_KINDS = new Set(["meeting", "sanction", "incident"]);

const state = {
  coalitions: [],
  coalition: "",
  status: null, // {coalition, as_of, countries}
  commitments: null, // commitment_list rows as objects, null when unknown
  stance: null,
  cohesion: null,
  feedEvents: new Map(), // event id -> event (meetings, sanctions, incidents)
  feedAvailable: false,
};

const $ = (id) => document.getElementById(id);
const table = new StatusTable($("status-table"));
const nameOf = (code) => namer(state.status && state.status.countries)(code);
const feedPanel = new FeedPanel($("feed-panel"), nameOf);
const alertsPanel = new AlertsPanel($("alerts-panel"), nameOf);

const feed = new LiveStream({
  url: (lastSeq) => {
    const q = new URLSearchParams();
    if (state.coalition) q.set("coalition", state.coalition);
    q.set("since", lastSeq > 0 ? String(lastSeq) : isoSecond(new Date(Date.now() - HISTORY_MS)));
    return `/api/v1/feed?${q}`;
  },
  eventName: "event",
  onItem: onFeedItem,
  onState: (s) => {
    if (s === "live") state.feedAvailable = true;
    feedPanel.setState(s);
    const pill = $("live-pill");
    pill.dataset.state = s;
    $("live-text").textContent = s === "live" ? "live" : s === "unavailable" ? "feed offline, retrying" : s === "reconnecting" ? "reconnecting" : "connecting";
  },
});

function onFeedItem(p, live) {
  const ev = p.event;
  if (!ev || typeof ev !== "object") return;
  if (state.coalition && ev.coalition && ev.coalition !== state.coalition) return;
  feedPanel.add(p, live);
  if (KEEP_KINDS.has(ev.kind) && ev.id) {
    const prev = state.feedEvents.get(ev.id);
    if (ev.retracted) state.feedEvents.delete(ev.id);
    else if (!prev || (ev.revision || 0) >= (prev.revision || 0)) state.feedEvents.set(ev.id, ev);
    if (state.feedEvents.size > 5000) state.feedEvents.delete(state.feedEvents.keys().next().value);
    renderSoon();
  }
  if (live) {
    // The consumer stores the event in ClickHouse shortly after it is on
    // the stream: read the status now-ish, and once more a little later.
    requestRefresh(2000);
    clearTimeout(followUpTimer);
    followUpTimer = setTimeout(() => requestRefresh(0), 12000);
  }
  if (!state.coalition && ev.coalition) requestRefresh(0);
}

/* ---------- loading ---------- */

let lastRefresh = 0;
let followUpTimer = null;
let refreshTimer = null;
let refreshing = null;

function requestRefresh(delay) {
  if (refreshTimer) return;
  const wait = Math.max(delay, lastRefresh + MIN_REFRESH_MS - Date.now(), 0);
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refresh();
  }, wait);
}

async function loadCoalitions() {
  try {
    const body = await getJSON("/api/v1/coalitions");
    state.coalitions = Array.isArray(body.coalitions) ? body.coalitions : [];
  } catch (err) {
    showBanner(`Cannot list coalitions (${err.message}); retrying.`);
    return;
  }
  if (!state.coalition || !state.coalitions.includes(state.coalition)) {
    const want = new URLSearchParams(location.search).get("coalition");
    const next = state.coalitions.includes(want) ? want : state.coalitions[0] || "";
    if (next !== state.coalition) {
      state.coalition = next;
      feed.start();
    }
  }
  renderCoalitionPicker(state.coalitions, state.coalition, switchCoalition);
}

async function refresh({ countries = true } = {}) {
  if (refreshing) return refreshing;
  lastRefresh = Date.now();
  refreshing = (async () => {
    if (!state.coalition) await loadCoalitions();
    const c = state.coalition;
    if (!c) {
      state.status = { coalition: "", as_of: new Date().toISOString(), countries: [] };
      renderAll();
      return;
    }
    const q = `coalition=${encodeURIComponent(c)}`;
    const [st, cl, tl, co] = await Promise.allSettled([
      countries || !state.status ? getJSON(`/api/v1/countries?${q}`) : Promise.resolve(state.status),
      getJSON(`/api/v1/analytics/commitment_list?${q}`),
      getJSON(`/api/v1/analytics/stance_timeline?${q}`),
      getJSON(`/api/v1/analytics/cohesion_matrix?${q}`),
    ]);
    if (c !== state.coalition) return; // switched meanwhile
    const problems = [];
    if (st.status === "fulfilled") state.status = st.value;
    else problems.push(st.reason.message);
    if (cl.status === "fulfilled") state.commitments = rowsToObjects(cl.value);
    else problems.push(cl.reason.message);
    if (tl.status === "fulfilled") state.stance = rowsToObjects(tl.value);
    else problems.push(tl.reason.message);
    if (co.status === "fulfilled") state.cohesion = rowsToObjects(co.value);
    else problems.push(co.reason.message);
    showBanner(problems.length ? `Some data could not be read (${problems[0]}); showing what was last read, retrying.` : "");
    renderAll();
  })();
  try {
    await refreshing;
  } catch (err) {
    showBanner(`Refresh failed: ${err.message}`);
  } finally {
    refreshing = null;
  }
}

function switchCoalition(c) {
  if (c === state.coalition) return;
  state.coalition = c;
  history.replaceState(null, "", `?coalition=${encodeURIComponent(c)}`);
  state.status = null;
  state.commitments = state.stance = state.cohesion = null;
  state.feedEvents.clear();
  feedPanel.clear();
  feed.start();
  lastRefresh = 0;
  refresh();
}

function showBanner(text) {
  const b = $("banner");
  b.textContent = text;
  b.hidden = !text;
}

/* ---------- rendering ---------- */

function conflicts() {
  return [...state.feedEvents.values()].filter((e) => e.kind === "sanction" || e.kind === "incident");
}

function renderAll() {
  const s = state.status || { coalition: state.coalition, countries: [] };
  const countries = s.countries || [];
  renderHeader(s);
  renderCoalitionPicker(state.coalitions, state.coalition, switchCoalition);
  table.update(countries);
  renderGlance(s, state.commitments, state.cohesion, conflicts());
  renderBars($("bars"), countries, state.commitments);
  drawTimeline();
  document.body.dataset.ready = "true";
}

function drawTimeline() {
  const s = state.status || { countries: [] };
  renderTimeline($("timeline"), {
    countries: s.countries,
    stance: state.stance,
    commitments: state.commitments,
    feedEvents: [...state.feedEvents.values()],
    feedAvailable: state.feedAvailable,
  });
}

let renderTimer = null;
function renderSoon() {
  clearTimeout(renderTimer);
  renderTimer = setTimeout(() => {
    if (!state.status) return;
    renderGlance(state.status, state.commitments, state.cohesion, conflicts());
    drawTimeline();
  }, 250);
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawTimeline, 150);
});

/* ---------- start ---------- */

function start() {
  renderLegend($("timeline-legend"));
  let boot = null;
  try {
    boot = JSON.parse($("boot").textContent);
  } catch (_) { /* no first status: fetch it */ }
  if (boot) {
    state.coalitions = boot.coalitions || [];
    state.coalition = boot.coalition || "";
    if (boot.coalition) state.status = { coalition: boot.coalition, as_of: boot.as_of, countries: boot.countries || [] };
    if (boot.error) showBanner(boot.error);
    if (state.status) renderAll();
  }
  refresh({ countries: !state.status });
  feed.start();
  alertsPanel.start();
  setInterval(() => {
    if (document.hidden) return;
    loadCoalitions();
    requestRefresh(0);
  }, PERIODIC_MS);
}

start();
