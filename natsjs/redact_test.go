package natsjs

import (
	"strings"
	"testing"
)

func TestRedactURLs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://producer:s3cret@nats:4222", "nats://producer:***@nats:4222"},
		{"nats://s3cret-token@nats:4222", "nats://***@nats:4222"},
		{"tls://a:p@ss:w0rd@h1:4222", "tls://a:***@h1:4222"},
		{"nats://a:pw-one@h1:4222,nats://b:pw-two@h2:4222,nats://h3:4222", "nats://a:***@h1:4222,nats://b:***@h2:4222,nats://h3:4222"},
		{"a:pw@h1:4222", "a:***@h1:4222"},
	} {
		got := RedactURLs(tc.in)
		if got != tc.want {
			t.Errorf("RedactURLs(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, secret := range []string{"s3cret", "pw-one", "pw-two", "ss:w0rd"} {
			if strings.Contains(got, secret) {
				t.Errorf("RedactURLs(%q) = %q still shows %q", tc.in, got, secret)
			}
		}
	}
}
