package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"spotdeck/audit"
	"spotdeck/azure/storagetest"
)

// auditList is the part of `audit -o json` the tests read.
type auditList struct {
	Records     []audit.Record `json:"records"`
	Shared      bool           `json:"shared"`
	SharedError *string        `json:"sharedError"`
}

func decodeAudit(t *testing.T, stdout string) auditList {
	t.Helper()
	var doc auditList
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("audit -o json is not JSON: %v\n%s", err, stdout)
	}
	return doc
}

func TestAuditListsTheChangesMade(t *testing.T) {
	_, endpoint := newFakeARM(t)
	env := newVerbEnv(t)
	for _, args := range [][]string{
		{"instances", "restart", "--ids", "0"},
		{"scale", "--capacity", "4"},
	} {
		args = fakeFlags(endpoint, append(args, "--scale-set", fakeScaleSet, "--yes")...)
		if _, stderr, code := env.run(t, "", args...); code != exitOK {
			t.Fatalf("spotdeck %v: exit %d: %s", args, code, stderr)
		}
	}
	stdout, stderr, code := env.run(t, "", "audit", "-o", "json")
	if code != exitOK {
		t.Fatalf("audit exit %d: %s", code, stderr)
	}
	doc := decodeAudit(t, stdout)
	if len(doc.Records) != 2 || doc.Shared {
		t.Fatalf("audit lists %d records (shared %t), want 2 local ones", len(doc.Records),
			doc.Shared)
	}
	if doc.Records[0].Action != "restart" || doc.Records[1].Action != "scale" ||
		doc.Records[1].Params["capacity"] != "4" {
		t.Errorf("records %+v, want restart then scale to 4, oldest first", doc.Records)
	}
	table, _, _ := env.run(t, "", "audit")
	for _, part := range []string{"WHO", "simulator", "restart", "rg-func/vmss-func/0",
		"capacity=4", "ok"} {
		if !strings.Contains(table, part) {
			t.Errorf("audit table lacks %q:\n%s", part, table)
		}
	}
}

func TestAuditFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--since", "0s"}, "positive duration"},
		{[]string{"audit", "--since", "-1h"}, "positive duration"},
		{[]string{"audit", "-o", "yaml"}, "json or table"},
		{[]string{"audit", "--since", "soon"}, "--since"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, code := runSpotdeck(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr, exitUsage,
					tt.want)
			}
		})
	}
}

func TestAuditWithNothingRecorded(t *testing.T) {
	stdout, stderr, code := runSpotdeck(t, "audit")
	if code != exitOK || !strings.Contains(stdout, "no changes recorded") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestChangesReachTheTeamsLogOnAzurite makes a change with storage configured, then reads
// the audit from another machine's point of view: a fresh state folder whose only source
// is the shared log in the container.
func TestChangesReachTheTeamsLogOnAzurite(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	var suffix [5]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatal(err)
	}
	container := "audit-cli-" + hex.EncodeToString(suffix[:])
	config := "storage:\n  container: " + container + "\n"
	secretEnv := connStringEnv + "=" + conn

	_, endpoint := newFakeARM(t)
	operator := newVerbEnv(t)
	operator.extra = []string{secretEnv}
	operator.writeConfig(t, config)
	stdout, stderr, code := operator.run(t, "", fakeFlags(endpoint, "instances", "restart",
		"--scale-set", fakeScaleSet, "--ids", "1", "--yes", "-o", "json")...)
	if code != exitOK {
		t.Fatalf("restart exit %d: %s", code, stderr)
	}
	change := decodeChange(t, stdout)
	if change.Audit.Local != "ok" || change.Audit.Shared != "ok" {
		t.Fatalf("audit outcome %+v, want ok locally and shared", change.Audit)
	}

	teammate := newVerbEnv(t)
	teammate.extra = []string{secretEnv}
	teammate.writeConfig(t, config)
	stdout, stderr, code = teammate.run(t, "", "audit", "-o", "json")
	if code != exitOK {
		t.Fatalf("audit exit %d: %s", code, stderr)
	}
	doc := decodeAudit(t, stdout)
	if !doc.Shared || doc.SharedError != nil || len(doc.Records) != 1 ||
		doc.Records[0].ID != change.Audit.ID || doc.Records[0].Action != "restart" {
		t.Errorf("the teammate sees %+v, want the operator's restart from the shared log", doc)
	}
	if strings.Contains(stdout+stderr, "AccountKey") {
		t.Error("the audit output carries the connection string")
	}
}

func TestSharedLogFailureKeepsTheLocalRecord(t *testing.T) {
	_, endpoint := newFakeARM(t)
	// A storage endpoint that refuses the key: the shared copy fails, the change and its
	// local record stand.
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("x-ms-error-code", "AuthenticationFailed")
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(refusing.Close)
	env := newVerbEnv(t)
	env.extra = []string{connStringEnv + "=DefaultEndpointsProtocol=http;" +
		"AccountName=devstoreaccount1;AccountKey=" + testEmulatorKey +
		";BlobEndpoint=" + refusing.URL + "/devstoreaccount1;"}
	env.writeConfig(t, "storage:\n  container: audit\n")
	stdout, stderr, code := env.run(t, "", fakeFlags(endpoint, "instances", "start",
		"--scale-set", fakeScaleSet, "--ids", "2", "--yes", "-o", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	change := decodeChange(t, stdout)
	if change.Audit.Local != "ok" || !strings.HasPrefix(change.Audit.Shared, "failed") {
		t.Errorf("audit outcome %+v, want local ok and shared failed", change.Audit)
	}
	if !strings.Contains(stderr, "warning: audit log") || strings.Contains(stderr,
		testEmulatorKey) {
		t.Errorf("stderr %q: want a warning without the key", stderr)
	}
	if records := env.readAudit(t); len(records) != 1 {
		t.Errorf("local log holds %d records, want 1", len(records))
	}
}

// testEmulatorKey is the storage emulator's published development key.
const testEmulatorKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" +
	"K1SZFPTOtr/KBHBeksoGMGw=="
