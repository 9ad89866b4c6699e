package audit

import (
	"errors"
	"strings"
	"testing"
)

func TestMaskParams(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{name: "none", in: nil, want: nil},
		{name: "plain values kept",
			in:   map[string]string{"capacity": "4", "maxPrice": "0.05"},
			want: map[string]string{"capacity": "4", "maxPrice": "0.05"}},
		{name: "secret names masked",
			in: map[string]string{"AccountKey": "abc", "clientSecret": "s", "password": "p",
				"connectionString": "c", "sasToken": "t", "signature": "x", "label": "v1"},
			want: map[string]string{"AccountKey": masked, "clientSecret": masked,
				"password": masked, "connectionString": masked, "sasToken": masked,
				"signature": masked, "label": "v1"}},
		{name: "secrets inside values masked",
			in: map[string]string{"url": "https://a.blob.core.windows.net/c/b?sv=1&sig=abc%2F",
				"conn": "x"},
			want: map[string]string{"url": "https://a.blob.core.windows.net/c/b?sv=1&sig=***",
				"conn": "x"}},
		{name: "connection string in an innocent name",
			in:   map[string]string{"target": "AccountName=a;AccountKey=k+/=;EndpointSuffix=x"},
			want: map[string]string{"target": "AccountName=a;AccountKey=***;EndpointSuffix=x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaskParams(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("MaskParams = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("MaskParams[%q] = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestMaskParamsDoesNotChangeItsInput(t *testing.T) {
	in := map[string]string{"key": "secret-value"}
	_ = MaskParams(in)
	if in["key"] != "secret-value" {
		t.Errorf("input changed to %q", in["key"])
	}
}

func TestSSHClientIP(t *testing.T) {
	tests := []struct {
		name, client, connection, want string
	}{
		{"no session", "", "", ""},
		{"ssh client", "203.0.113.7 50022 22", "", "203.0.113.7"},
		{"connection only", "", "2001:db8::5 50022 2001:db8::1 22", "2001:db8::5"},
		{"client wins", "198.51.100.1 1 22", "203.0.113.9 1 10.0.0.1 22", "198.51.100.1"},
		{"garbage ignored", "not-an-ip 1 22", "", ""},
		{"garbage client, good connection", "x", "192.0.2.4 1 10.0.0.1 22", "192.0.2.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SSHClientIP(tt.client, tt.connection); got != tt.want {
				t.Errorf("SSHClientIP(%q, %q) = %q, want %q", tt.client, tt.connection, got,
					tt.want)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		name       string
		err        error
		want       string
		wantPrefix string
		notWant    string
	}{
		{name: "ok", err: nil, want: "ok"},
		{name: "failure", err: errors.New("Conflict (409): busy"),
			want: "failed: Conflict (409): busy"},
		{name: "first line only", err: errors.New("first\nsecond"), want: "failed: first"},
		{name: "secret redacted", err: errors.New("GET https://a/b?sig=SECRETSIG failed"),
			wantPrefix: "failed: GET https://a/b?sig=***", notWant: "SECRETSIG"},
		{name: "clipped", err: errors.New(long), wantPrefix: "failed: xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Outcome(tt.err)
			if tt.want != "" && got != tt.want {
				t.Errorf("Outcome = %q, want %q", got, tt.want)
			}
			if !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("Outcome = %q, want prefix %q", got, tt.wantPrefix)
			}
			if tt.notWant != "" && strings.Contains(got, tt.notWant) {
				t.Errorf("Outcome = %q keeps %q", got, tt.notWant)
			}
			if len([]rune(got)) > maxResultRunes+len(failedPrefix) {
				t.Errorf("Outcome is %d runes long", len([]rune(got)))
			}
		})
	}
}

func TestNewRecord(t *testing.T) {
	t.Setenv("SSH_CLIENT", "203.0.113.7 50022 22")
	targets := []string{"rg/vmss/1"}
	r := NewRecord("Ada <ada@example.com>", "restart", targets,
		map[string]string{"sasToken": "sv=x&sig=y", "capacity": "2"})
	targets[0] = "changed"
	if r.ID == "" || r.Time.IsZero() || r.Host == "" {
		t.Errorf("record lacks ID, time or host: %+v", r)
	}
	if r.Time.Location().String() != "UTC" {
		t.Errorf("time %v is not UTC", r.Time)
	}
	if r.SSHClient != "203.0.113.7" {
		t.Errorf("SSHClient = %q", r.SSHClient)
	}
	if r.Targets[0] != "rg/vmss/1" {
		t.Errorf("record aliases the caller's targets: %v", r.Targets)
	}
	if r.Params["sasToken"] != masked || r.Params["capacity"] != "2" {
		t.Errorf("params = %v", r.Params)
	}
	if other := NewRecord("x", "y", nil, nil); other.ID == r.ID {
		t.Errorf("two records share the ID %s", r.ID)
	}
	if r.Failed() {
		t.Error("a record without a result reads as failed")
	}
	r.Result = Outcome(errors.New("boom"))
	if !r.Failed() {
		t.Errorf("record with result %q does not read as failed", r.Result)
	}
}
