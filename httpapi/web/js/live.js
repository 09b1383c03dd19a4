// Server-sent event streams (the event feed and the alert feed) and the two
// panels that show them.

import { el, replace, human, qty, parseTime, fmtShort, fmtStamp, fmtDate, fmtDateTime, signed, kindIcon, getJSON, KIND_COLORS } from "./util.js";

// LiveStream keeps one EventSource open. The browser reconnects by itself
// (with Last-Event-ID) when an open stream drops; when the endpoint answers
// an error (404 while it does not exist, 503 while it is not running) the
// EventSource gives up, and LiveStream tries again after retryMs, doubling
// up to a minute. Messages carry {"seq": N, ...}; a sequence seen before is
// dropped, so a replay that overlaps never shows an item twice.
export class LiveStream {
  constructor({ url, eventName, onItem, onState, retryMs = 15000 }) {
    this.url = url; // (lastSeq) => string
    this.eventName = eventName;
    this.onItem = onItem; // (payload, live) => void
    this.onState = onState; // (state) => void: connecting, live, reconnecting, unavailable
    this.retryMs = retryMs;
    this.lastSeq = 0;
    this.failures = 0;
    this.es = null;
    this.timer = null;
    this.quietTimer = null;
    this.history = true;
  }

  start() {
    this.stop();
    this.lastSeq = 0;
    this.failures = 0;
    this.history = true;
    this.connect();
  }

  stop() {
    clearTimeout(this.timer);
    clearTimeout(this.quietTimer);
    if (this.es) this.es.close();
    this.es = null;
  }

  connect() {
    this.onState("connecting");
    let es;
    try {
      es = new EventSource(this.url(this.lastSeq));
    } catch (_) {
      this.retry();
      return;
    }
    this.es = es;
    es.onopen = () => {
      this.failures = 0;
      this.onState("live");
      this.settleSoon();
    };
    es.addEventListener(this.eventName, (e) => {
      let p;
      try {
        p = JSON.parse(e.data);
      } catch (_) {
        return;
      }
      if (!p || typeof p !== "object") return;
      if (typeof p.seq === "number") {
        if (p.seq <= this.lastSeq) return;
        this.lastSeq = p.seq;
      }
      this.onItem(p, !this.history);
      this.settleSoon();
    });
    es.onerror = () => {
      if (this.es !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        this.es = null;
        this.retry();
      } else {
        this.onState("reconnecting");
      }
    };
  }

  retry() {
    this.failures++;
    this.onState("unavailable");
    const delay = Math.min(60000, this.retryMs * 2 ** Math.min(this.failures - 1, 2));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // What arrives in the first burst after connecting is history (the
  // replay); once the stream has been quiet for a moment, what comes is new.
  settleSoon() {
    if (!this.history) return;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => { this.history = false; }, 700);
  }
}

/* ---------- the event feed ---------- */

const STATE_TEXT = {
  connecting: "connecting",
  live: "live",
  reconnecting: "reconnecting…",
  unavailable: "feed unavailable, retrying",
};

function describe(ev) {
  switch (ev.kind) {
    case "pledge": {
      const p = ev.pledge || {};
      if (p.quantity != null) return `${qty(p.quantity)} ${human(p.unit)} · ${human(p.asset)}`;
      if (p.amount != null) return `${qty(p.amount)} ${p.currency || ""} · ${human(p.asset)}`;
      return `${human(p.asset)} (unquantified)`;
    }
    case "deployment": {
      const d = ev.deployment || {};
      return `${d.quantity != null ? qty(d.quantity) : d.complete ? "complete" : ""} on ${d.commitment_id || "?"}`;
    }
    case "withdrawal":
      return `withdraws ${(ev.withdrawal || {}).commitment_id || "?"}`;
    case "statement":
      return `stance ${signed((ev.statement || {}).stance)}`;
    case "sanction":
      return human((ev.sanction || {}).measure || "sanction");
    case "incident":
      return human((ev.incident || {}).type || "incident");
    case "meeting":
      return human((ev.meeting || {}).topic || (ev.meeting || {}).location || "meeting");
  }
  return "";
}

export class FeedPanel {
  constructor(panel, nameOf, max = 120) {
    this.panel = panel;
    this.list = panel.querySelector("ol");
    this.stateEl = panel.querySelector(".state");
    this.nameOf = nameOf;
    this.max = max;
    this.state = "connecting";
    this.showQuiet();
  }

  clear() {
    this.list.replaceChildren();
    this.showQuiet();
  }

  setState(state) {
    this.state = state;
    this.panel.dataset.state = state;
    this.stateEl.textContent = STATE_TEXT[state] || state;
    this.showQuiet();
  }

  showQuiet() {
    const items = this.list.querySelectorAll("li[data-seq]").length;
    let q = this.list.querySelector("li.quiet");
    if (items) {
      if (q) q.remove();
      return;
    }
    if (!q) {
      q = el("li", { class: "quiet" });
      this.list.append(q);
    }
    if (this.state === "unavailable") replace(q, "Feed unavailable, retrying.", el("small", null, "The table and charts still update every minute."));
    else if (this.state === "live") replace(q, "No events in the last 30 days.", el("small", null, "New events appear here as they are published."));
    else replace(q, "Connecting to the live feed…");
  }

  add(p, live) {
    const ev = p.event || {};
    const t = parseTime(ev.occurred_at);
    const who = (code) => el("span", { class: "who", title: this.nameOf(code) }, code);
    const kind = ev.kind || "event";
    const li = el("li", { "data-seq": p.seq, "data-kind": kind, class: live ? "fresh" : null },
      el("span", { class: "icon" }, kindIcon(kind, 16)),
      el("div", { class: "head" },
        el("span", { class: "kind" }, human(kind)),
        who(ev.actor || "?"),
        ev.counterpart ? [el("span", { class: "arrow" }, "→"), who(ev.counterpart)] : null,
        el("time", { datetime: ev.occurred_at || "", title: t ? `occurred ${fmtDateTime(t)}` : null }, fmtShort(t))),
      el("div", { class: "summary", title: ev.summary || null }, ev.summary || describe(ev)));
    const kindEl = li.querySelector(".kind");
    kindEl.style.color = KIND_COLORS[kind] || "";
    this.list.prepend(li);
    while (this.list.children.length > this.max) this.list.lastElementChild.remove();
    this.showQuiet();
  }
}

/* ---------- alerts ---------- */

const ALERT_ICON = {
  withdrawal: ["withdrawal", KIND_COLORS.withdrawal],
  stance_drop: ["statement", "#ef8a17"],
  undelivered: ["pledge", "#b54708"],
  member_conflict: ["incident", KIND_COLORS.incident],
  first_pledge: ["pledge", KIND_COLORS.pledge],
  support_below: ["statement", KIND_COLORS.incident],
};

// Alerts of kind undelivered come in bursts (every open commitment past
// its deadline at once, when the engine first catches up): those of one
// rule are shown as a single item, where the newest of them would be, so
// that they do not push the others out of sight.
const GROUPED_KINDS = new Set(["undelivered"]);

export class AlertsPanel {
  constructor(panel, nameOf, max = 30) {
    this.panel = panel;
    this.list = panel.querySelector("ol");
    this.stateEl = panel.querySelector(".state");
    this.nameOf = nameOf;
    this.max = max;
    this.seen = new Set();
    this.groups = new Map(); // rule -> {li, alerts: [{p, a}], fresh}
    this.listOK = false;
    this.streamState = "connecting";
    this.stream = new LiveStream({
      url: (lastSeq) => `/api/v1/alerts/feed${lastSeq > 0 ? `?since=${lastSeq}` : ""}`,
      eventName: "alert",
      retryMs: 30000,
      onItem: (p, live) => this.add(p, live),
      onState: (s) => this.onStreamState(s),
    });
  }

  async start() {
    await this.load();
    this.stream.start();
  }

  // load reads the latest alerts; the stream then follows from the newest.
  async load() {
    try {
      const body = await getJSON("/api/v1/alerts?limit=20");
      const items = Array.isArray(body.alerts) ? body.alerts : [];
      this.listOK = true;
      for (const it of [...items].reverse()) this.add(it, false);
      const newest = items.reduce((m, it) => Math.max(m, Number(it.seq) || 0), 0);
      if (newest > this.stream.lastSeq) this.stream.lastSeq = newest;
    } catch (_) {
      this.listOK = false;
    }
    this.render();
  }

  onStreamState(s) {
    const was = this.streamState;
    this.streamState = s;
    // After an outage, read the list again: the stream replays only after
    // the newest alert this page has seen.
    if (s === "live" && was === "unavailable" && !this.listOK) this.load();
    this.render();
  }

  // add shows an alert at the top of the list (alerts arrive oldest first).
  add(p, live) {
    const a = p.alert || {};
    const key = a.id || `seq:${p.seq}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    let li;
    if (GROUPED_KINDS.has(a.kind)) {
      const rule = a.rule || a.kind;
      let g = this.groups.get(rule);
      if (!g) {
        g = { li: el("li"), alerts: [] };
        this.groups.set(rule, g);
      }
      g.alerts.push({ p, a });
      this.renderGroup(g, live);
      li = g.li;
    } else {
      li = this.item(p, a, live);
    }
    this.list.prepend(li); // a group moves up to its newest alert
    while (this.list.children.length > this.max) {
      const last = this.list.lastElementChild;
      for (const [rule, g] of this.groups) if (g.li === last) this.groups.delete(rule);
      last.remove();
    }
    this.render();
  }

  // item renders one alert. The time shown is when it was raised, with
  // the year (alerts about 2015 may be raised today); when what it is
  // about happened on another day, the meta line starts with that day.
  item(p, a, live) {
    const [shape, color] = ALERT_ICON[a.kind] || ["meeting", "#667085"];
    const raised = parseTime(a.raised_at) || parseTime(a.occurred_at);
    const occurred = parseTime(a.occurred_at);
    const who = [a.country, a.counterpart].filter(Boolean);
    const about = occurred && (!raised || fmtDate(occurred) !== fmtDate(raised)) ? `about ${fmtDate(occurred)}` : null;
    const li = el("li", { "data-seq": p.seq, "data-kind": a.kind || "", class: live ? "fresh" : null },
      el("span", { class: "icon" }, kindIcon(shape, 16, color)),
      el("div", { class: "head" },
        el("span", { class: "kind" }, human(a.kind || "alert")),
        who.length ? el("span", { class: "who", title: who.map(this.nameOf).join(" and ") }, who.join(" → ")) : null,
        el("time", { datetime: a.raised_at || "", title: raised ? `raised ${fmtDateTime(raised)}` : null }, fmtStamp(raised))),
      el("div", { class: "msg", title: a.message || null }, a.message || ""),
      el("div", { class: "meta" }, [about, a.rule ? `rule ${a.rule}` : null, a.commitment_id || null, a.coalition || null].filter(Boolean).join(" · ")));
    li.querySelector(".kind").style.color = color;
    return li;
  }

  // renderGroup draws a rule's grouped alerts in place: one alert as
  // itself, several as a count, the countries, and the list on demand.
  renderGroup(g, live) {
    const newest = g.alerts[g.alerts.length - 1];
    if (g.alerts.length === 1) {
      const li = this.item(newest.p, newest.a, live);
      g.li.replaceWith(li);
      g.li = li;
      return;
    }
    const a = newest.a;
    const [shape, color] = ALERT_ICON[a.kind] || ["meeting", "#667085"];
    const raised = parseTime(a.raised_at) || parseTime(a.occurred_at);
    const countries = [...new Set(g.alerts.map((x) => x.a.country).filter(Boolean))].sort();
    const n = g.alerts.length;
    const li = el("li", { "data-seq": newest.p.seq, "data-kind": a.kind || "", "data-count": n, class: live ? "group fresh" : "group" },
      el("span", { class: "icon" }, kindIcon(shape, 16, color)),
      el("div", { class: "head" },
        el("span", { class: "kind" }, human(a.kind || "alert")),
        el("span", { class: "who", title: countries.map(this.nameOf).join(", ") }, countries.join(" · ")),
        el("time", { datetime: a.raised_at || "", title: raised ? `latest raised ${fmtDateTime(raised)}` : null }, fmtStamp(raised))),
      el("div", { class: "msg" }, `${n} commitments still undelivered past the deadline of rule ${a.rule || a.kind}`),
      el("details", { class: "meta" },
        el("summary", null, `show all ${n}`),
        el("ul", null, [...g.alerts].reverse().map((x) => el("li", { title: x.a.message || null },
          el("span", { class: "who" }, x.a.country || "?"), " ", x.a.commitment_id || x.a.message || "")))));
    li.querySelector(".kind").style.color = color;
    g.li.replaceWith(li);
    g.li = li;
  }

  render() {
    const count = this.list.querySelectorAll(":scope > li[data-seq]").length;
    const unavailable = !this.listOK && this.streamState === "unavailable";
    const state = this.streamState === "live" ? "live" : unavailable ? "unavailable" : this.listOK ? "ready" : "connecting";
    this.panel.dataset.state = state;
    this.stateEl.textContent = state === "live" ? "live" : state === "unavailable" ? "unavailable, retrying" : state === "ready" ? "updating" : "connecting";
    let q = this.list.querySelector("li.quiet");
    if (count) {
      if (q) q.remove();
      return;
    }
    if (!q) {
      q = el("li", { class: "quiet" });
      this.list.append(q);
    }
    if (unavailable) replace(q, "No alerts yet.", el("small", null, "The alert service is not answering; retrying."));
    else replace(q, "No alerts yet.");
  }
}
