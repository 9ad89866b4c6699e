package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// simScaleSet is what these tests read of one scale set in `status -o json`.
type simScaleSet struct {
	Name      string `json:"name"`
	Capacity  *int64 `json:"capacity"`
	Label     string `json:"label"`
	Instances []struct {
		ID          string `json:"id"`
		LatestModel *bool  `json:"latestModel"`
	} `json:"instances"`
}

// readScaleSet reads one scale set through `spotdeck status -o json`.
func readScaleSet(t *testing.T, env *verbEnv, endpoint, sub, name string) simScaleSet {
	t.Helper()
	stdout, stderr, code := env.run(t, "", "status", "-o", "json", "--arm-endpoint", endpoint,
		"--subscription", sub)
	if code != exitOK {
		t.Fatalf("status exit %d: %s", code, stderr)
	}
	var doc struct {
		ScaleSets []simScaleSet `json:"scaleSets"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("status -o json: %v", err)
	}
	for _, ss := range doc.ScaleSets {
		if ss.Name == name {
			return ss
		}
	}
	t.Fatalf("no scale set %s in status", name)
	return simScaleSet{}
}

func latestByID(ss simScaleSet) map[string]bool {
	out := map[string]bool{}
	for _, in := range ss.Instances {
		out[in.ID] = in.LatestModel != nil && *in.LatestModel
	}
	return out
}

// TestVerbsAgainstTheSimulator runs the changing verbs against `spotdeck sim`: the
// simulator confirms that a scale changed the capacity and nothing else, and every verb
// leaves its audit record.
func TestVerbsAgainstTheSimulator(t *testing.T) {
	endpoint, sub := startSim(t, "100")
	env := newVerbEnv(t)
	flags := []string{"--yes", "-o", "json", "--arm-endpoint", endpoint, "--subscription", sub}
	const name = "vmss-func-win" // Manual upgrade mode: some instances are behind the model
	before := readScaleSet(t, env, endpoint, sub, name)

	stdout, stderr, code := env.run(t, "", append([]string{"scale", "--scale-set", name,
		"--capacity", "7"}, flags...)...)
	if code != exitOK {
		t.Fatalf("scale: exit %d: %s", code, stderr)
	}
	if doc := decodeChange(t, stdout); doc.Capacity == nil || *doc.Capacity != 7 {
		t.Errorf("scale result capacity %v, want 7", doc.Capacity)
	}
	after := readScaleSet(t, env, endpoint, sub, name)
	if after.Capacity == nil || *after.Capacity != 7 || after.Label != before.Label {
		t.Errorf("after scale: capacity %v label %q; want 7 and %q", after.Capacity,
			after.Label, before.Label)
	}
	flagsAfter := latestByID(after)
	for id, latest := range latestByID(before) {
		if flagsAfter[id] != latest {
			t.Errorf("instance %s latest model %t → %t after a scale", id, latest, flagsAfter[id])
		}
	}

	verbs := [][]string{
		{"instances", "restart", "--scale-set", name, "--ids", "0,1"},
		{"instances", "reimage", "--scale-set", name, "--ids", "2"},
		{"instances", "delete", "--scale-set", name, "--ids", "3"},
	}
	for _, verb := range verbs {
		stdout, stderr, code := env.run(t, "", append(verb, flags...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", verb, code, stderr)
		}
		if doc := decodeChange(t, stdout); doc.Result != "ok" || doc.Audit.Local != "ok" {
			t.Errorf("%v: result %q, audit %q", verb, doc.Result, doc.Audit.Local)
		}
	}
	if got := readScaleSet(t, env, endpoint, sub, name); got.Capacity == nil ||
		*got.Capacity != 6 {
		t.Errorf("capacity %v after deleting one of 7 instances", got.Capacity)
	}

	stdout, _, code = env.run(t, "", "audit", "-o", "json")
	var doc struct {
		Records []struct {
			Action string `json:"action"`
			Who    string `json:"who"`
			Result string `json:"result"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitOK {
		t.Fatalf("audit -o json: exit %d, %v", code, err)
	}
	var actions []string
	for _, r := range doc.Records {
		actions = append(actions, r.Action+":"+r.Who+":"+r.Result)
	}
	want := "scale:simulator:ok restart:simulator:ok reimage:simulator:ok delete:simulator:ok"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit records %v, want %s", actions, want)
	}
}

// TestDestructiveVerbAsksForTheName runs delete against the simulator in a terminal,
// without --yes: "yes" is not the scale set's name, so nothing changes and it exits 5;
// typing the name goes ahead.
func TestDestructiveVerbAsksForTheName(t *testing.T) {
	endpoint, sub := startSim(t, "100")
	env := newVerbEnv(t)
	args := []string{"instances", "delete", "--scale-set", "vmss-func-linux", "--ids", "0",
		"--arm-endpoint", endpoint, "--subscription", sub}
	command := "env " + strings.Join(quoteAll(env.environ()), " ") + " " + binary + " " +
		strings.Join(quoteAll(args), " ")
	tm := startTmux(t, 100, 30, command+"; echo exit=$?; "+command+"; echo exit=$?; sleep 60")
	tm.waitFor("Type the scale set's name (vmss-func-linux) to go ahead")
	typeKeys(tm, "yes")
	tm.send("Enter")
	tm.waitFor("is not the scale set's name", "exit=5")
	if records := env.readAudit(t); len(records) != 0 {
		t.Errorf("an unconfirmed delete left audit records %v", records)
	}
	typeKeys(tm, "vmss-func-linux")
	tm.send("Enter")
	tm.waitFor("exit=0")
	if records := env.readAudit(t); len(records) != 1 || records[0]["action"] != "delete" ||
		records[0]["result"] != "ok" {
		t.Errorf("audit records %v, want one delete that went well", records)
	}
}

// typeKeys types text one key at a time.
func typeKeys(tm *tmux, text string) {
	for _, r := range text {
		tm.send(string(r))
	}
}
