package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// acceptedBody is the 202 response of POST /api/v1/events.
type acceptedBody struct {
	Accepted int              `json:"accepted"`
	IDs      []string         `json:"ids"`
	Rejected []schema.Problem `json:"rejected,omitempty"`
}

// handleEvents takes one JSON event (Content-Type application/json) or an
// NDJSON batch (application/x-ndjson). A batch is all or nothing: if any
// line is invalid the answer is 400 listing every problem by line and field
// path, and nothing is published; with ?partial=true the valid lines are
// published and the invalid ones listed in the 202 answer.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	partial := r.URL.Query().Get("partial") == "true" || r.URL.Query().Get("partial") == "1"
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, schema.Errorf(schema.ETOOLARGE, "request body larger than %d bytes", s.cfg.MaxBodyBytes))
			return
		}
		s.writeError(w, r, schema.Errorf(schema.EINVALID, "read request body: %v", err))
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var evs []*schema.Event
	var problems []schema.Problem
	now := time.Now()
	switch ct {
	case "application/x-ndjson", "application/ndjson", "application/jsonl":
		err = schema.ReadNDJSON(bytes.NewReader(body), func(line int, ev schema.Event, perr error) error {
			if perr == nil {
				perr = schema.CheckTimes(&ev, now)
			}
			if perr != nil {
				problems = append(problems, problemsOf(perr, line)...)
				return nil
			}
			evs = append(evs, &ev)
			return nil
		})
		if err != nil {
			s.writeError(w, r, schema.Errorf(schema.EINVALID, "read NDJSON: %v", err))
			return
		}
	case "application/json", "application/cloudevents+json", "":
		ev, perr := schema.ParseEvent(bytes.TrimSpace(body))
		if perr == nil {
			perr = schema.CheckTimes(&ev, now)
		}
		if perr != nil {
			problems = problemsOf(perr, 0)
		} else {
			evs = append(evs, &ev)
		}
	default:
		s.writeError(w, r, schema.Errorf(schema.EINVALID, "unsupported Content-Type %q: send application/json (one event) or application/x-ndjson (a batch)", ct))
		return
	}
	if len(problems) > 0 && (!partial || len(evs) == 0) {
		s.writeError(w, r, &schema.Error{Code: schema.EINVALID, Message: fmt.Sprintf("%d invalid event(s); nothing was published", countLines(problems)), Problems: problems})
		return
	}
	if len(evs) == 0 {
		s.writeError(w, r, schema.Errorf(schema.EINVALID, "no events in the request body"))
		return
	}
	results := s.cfg.Publisher.PublishBatch(r.Context(), evs)
	out := acceptedBody{IDs: []string{}, Rejected: problems}
	var failed []string
	for _, res := range results {
		if res.Err != nil {
			if schema.ErrorCode(res.Err) == schema.EINVALID {
				out.Rejected = append(out.Rejected, problemsOf(res.Err, 0)...)
				continue
			}
			failed = append(failed, res.Err.Error())
			continue
		}
		out.Accepted++
		out.IDs = append(out.IDs, res.ID)
	}
	if len(failed) > 0 {
		s.log.Error("publish failed", "failed", len(failed), "accepted", out.Accepted, "first_err", failed[0])
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"error":    fmt.Sprintf("%d of %d events could not be published: %s", len(failed), len(results), failed[0]),
			"code":     schema.EUNAVAIL,
			"accepted": out.Accepted,
			"ids":      out.IDs,
		})
		return
	}
	writeJSON(w, http.StatusAccepted, out)
}

func problemsOf(err error, line int) []schema.Problem {
	ps := schema.ErrorProblems(err)
	if len(ps) == 0 {
		ps = []schema.Problem{{Message: err.Error()}}
	}
	out := make([]schema.Problem, len(ps))
	for i, p := range ps {
		if line > 0 {
			p.Line = line
		}
		out[i] = p
	}
	return out
}

func countLines(ps []schema.Problem) int {
	seen := map[int]bool{}
	for _, p := range ps {
		seen[p.Line] = true
	}
	return len(seen)
}
