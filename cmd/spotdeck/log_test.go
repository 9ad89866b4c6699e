package main

import "testing"

func TestEventsFileIsPerSubscription(t *testing.T) {
	a := eventsFile("11111111-1111-1111-1111-111111111111")
	b := eventsFile("00000000-0000-0000-0000-5907DEC50001")
	if a == b {
		t.Errorf("two subscriptions share the events file %s", a)
	}
	if b != "events-00000000-0000-0000-0000-5907dec50001.jsonl" {
		t.Errorf("eventsFile = %q", b)
	}
	if got := eventsFile("../../etc/x"); got != "events-______etc_x.jsonl" {
		t.Errorf("eventsFile of a path-like subscription = %q, want no path in it", got)
	}
}
