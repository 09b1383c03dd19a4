package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/feed"
	"github.com/coalitiondev/coalition/schema"
)

// DefaultHeartbeat is how often an idle server-sent event stream gets a
// ": heartbeat" comment, so proxies and clients know it is alive.
const DefaultHeartbeat = 15 * time.Second

// handleFeed streams accepted events as server-sent events, filtered by
// ?coalition=, ?country= and ?kind=. Each event's SSE id is its stream
// sequence: a client that reconnects with Last-Event-ID (or asks
// ?since=<sequence or time>) is replayed what it missed, then follows live
// (see sinceParam).
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request) {
	if s.cfg.EventHub == nil {
		s.writeError(w, r, schema.Errorf(schema.EUNAVAIL, "the live feed is not running"))
		return
	}
	q := r.URL.Query()
	pattern, err := schema.SubjectFilter(q.Get("coalition"), q.Get("country"), schema.Kind(q.Get("kind")))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.stream(w, r, s.cfg.EventHub, pattern, "event")
}

// handleAlertFeed streams raised alerts as server-sent events (?rule=
// filters), with the same reconnection rules as the event feed.
func (s *Server) handleAlertFeed(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AlertHub == nil {
		s.writeError(w, r, schema.Errorf(schema.EUNAVAIL, "the alert feed is not running"))
		return
	}
	pattern := "coalition.alerts.*"
	if rule := r.URL.Query().Get("rule"); rule != "" {
		if strings.ContainsAny(rule, ".*> \t") {
			s.writeError(w, r, &schema.Error{Code: schema.EINVALID, Message: "invalid query", Problems: []schema.Problem{{Path: "rule", Message: "must be a rule name"}}})
			return
		}
		pattern = "coalition.alerts." + rule
	}
	s.stream(w, r, s.cfg.AlertHub, pattern, "alert")
}

// sinceParam reads where a stream starts: Last-Event-ID (what a browser's
// EventSource sends when it reconnects) or else ?since=.
//
//   - a stream sequence N: the messages after N, the last id the client
//     got, so N+1 comes first; 0 replays the whole stream;
//   - a time (2015-11-27, RFC 3339): the messages the stream stored at or
//     after it. That is when an event was published, not its occurred_at:
//     ?since=2015-11-20 on events published today replays all of them;
//   - nothing: new messages only.
func sinceParam(r *http.Request) (feed.Since, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("since")
	}
	if v == "" {
		return feed.Since{}, nil
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return feed.Since{Seq: n, FromStart: n == 0}, nil
	}
	t, err := clickhouse.ParseSince(v, time.Now())
	if err != nil {
		return feed.Since{}, &schema.Error{Code: schema.EINVALID, Message: "invalid query", Problems: []schema.Problem{{Path: "since", Message: "want a stream sequence or a time: " + err.Error()}}}
	}
	return feed.Since{Time: t}, nil
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, hub *feed.Hub, pattern, eventName string) {
	since, err := sinceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sub, err := hub.Subscribe(r.Context(), pattern, since)
	if err != nil {
		s.writeError(w, r, schema.Errorf(schema.EUNAVAIL, "%v", err))
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Each write gets its own deadline: a client that stops reading is cut
	// off instead of holding the server's write timeout for the stream.
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte(": connected\nretry: 2000\n\n")) {
		return
	}
	tick := time.NewTicker(s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		case <-sub.Done():
			// The client reconnects (EventSource does, after the retry
			// delay) with Last-Event-ID and misses nothing.
			switch sub.Err() {
			case feed.ErrSlow:
				write([]byte("event: error\ndata: {\"error\":\"too slow: reconnect with Last-Event-ID\"}\n\n"))
			case feed.ErrReplay:
				write([]byte("event: error\ndata: {\"error\":\"replay interrupted: reconnect with Last-Event-ID\"}\n\n"))
			}
			return
		case it := <-sub.C:
			if !write([]byte(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", it.Seq, eventName, it.Data))) {
				return
			}
		}
	}
}

// handleAlerts lists the latest alerts, newest first (?limit=, at most 200).
func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			s.writeError(w, r, &schema.Error{Code: schema.EINVALID, Message: "invalid query", Problems: []schema.Problem{{Path: "limit", Message: "want 1..200"}}})
			return
		}
		limit = n
	}
	if s.cfg.RecentAlerts == nil {
		writeJSON(w, http.StatusOK, map[string]any{"alerts": []any{}})
		return
	}
	alerts, err := s.cfg.RecentAlerts(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": alerts})
}

// handleDeliveries shows the webhook delivery state of each subscriber.
func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	var d any = []any{}
	if s.cfg.Deliveries != nil {
		d = s.cfg.Deliveries()
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": d})
}
