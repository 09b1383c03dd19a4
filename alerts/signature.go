package alerts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a webhook delivery.
const (
	// HeaderAlertID carries the alert's id: the same on every retry, so a
	// receiver can drop a delivery it already took (deliveries are at
	// least once).
	HeaderAlertID = "X-Coalition-Alert-Id"
	// HeaderTimestamp is the time of the attempt, in Unix seconds.
	HeaderTimestamp = "X-Coalition-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with the
	// subscriber's secret, of the timestamp, a dot and the body.
	HeaderSignature = "X-Coalition-Signature"
)

// MaxDeliveryBytes bounds the body VerifyRequest reads.
const MaxDeliveryBytes = 1 << 20

// Errors of VerifyRequest.
var (
	ErrNoSignature    = errors.New("webhook: missing " + HeaderSignature + " or " + HeaderTimestamp)
	ErrBadSignature   = errors.New("webhook: signature does not match")
	ErrStaleTimestamp = errors.New("webhook: timestamp outside the allowed window")
)

// Sign returns the X-Coalition-Signature value for a body sent at a
// timestamp (Unix seconds, as in X-Coalition-Timestamp):
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header (the X-Coalition-Signature value)
// is the signature of body sent at timestamp (the X-Coalition-Timestamp
// value) under secret. The comparison takes constant time. It does not
// judge the timestamp's age: see VerifyRequest.
func VerifySignature(secret, timestamp string, body []byte, header string) bool {
	got, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, timestamp, body), "sha256="))
	return hmac.Equal(sig, want)
}

// VerifyRequest reads a webhook delivery's body (at most MaxDeliveryBytes)
// and checks its signature and, when tolerance is positive, that its
// timestamp is within tolerance of now (against replays; five minutes is
// usual). It returns the body, which is the alert's JSON.
func VerifyRequest(r *http.Request, secret string, tolerance time.Duration) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxDeliveryBytes))
	if err != nil {
		return nil, fmt.Errorf("webhook: read body: %w", err)
	}
	ts, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return body, ErrNoSignature
	}
	if !VerifySignature(secret, ts, body, sig) {
		return body, ErrBadSignature
	}
	if tolerance > 0 {
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return body, ErrStaleTimestamp
		}
		if d := time.Since(time.Unix(n, 0)); d > tolerance || d < -tolerance {
			return body, ErrStaleTimestamp
		}
	}
	return body, nil
}
