package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseShare(t *testing.T) {
	tests := []struct {
		text        string
		countOK     bool
		wantPercent int
		wantCount   int
		wantErr     bool
	}{
		{"20%", true, 20, 0, false},
		{"100%", false, 100, 0, false},
		{"3", true, 0, 3, false},
		{"3", false, 0, 0, true},
		{"0", true, 0, 0, true},
		{"120%", true, 0, 0, true},
		{"x%", true, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			percent, count, err := parseShare("--batch", tt.text, tt.countOK)
			if (err != nil) != tt.wantErr || percent != tt.wantPercent || count != tt.wantCount {
				t.Errorf("got %d%%, %d, %v; want %d%%, %d, error %v", percent, count, err,
					tt.wantPercent, tt.wantCount, tt.wantErr)
			}
			var usage usageError
			if err != nil && !errors.As(err, &usage) {
				t.Errorf("error %v is not a usage error", err)
			}
		})
	}
}

func TestRolloutVerbsRefuseReadOnly(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"start", "--scale-set", "s", "--bundle", "v8"}, exitReadOnly},
		{[]string{"resume", "--scale-set", "s"}, exitReadOnly},
		{[]string{"rollback", "--scale-set", "s"}, exitReadOnly},
		{[]string{"start", "--scale-set", "s", "--bundle", "v8", "--batch", "0"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			g := &globals{readOnly: true}
			cmd := newRolloutCmd(g)
			cmd.SetArgs(tt.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			code := exitError
			var coded codedError
			var usage usageError
			switch {
			case errors.As(err, &coded):
				code = coded.ExitCode()
			case errors.As(err, &usage):
				code = exitUsage
			}
			if code != tt.want {
				t.Errorf("exit code %d (%v), want %d", code, err, tt.want)
			}
		})
	}
}

func TestRolloutLimitsFromFlags(t *testing.T) {
	fl := &rolloutFlags{batch: "30%", maxUnhealthy: "20%", pause: time.Second,
		healthTimeout: time.Minute}
	l, err := fl.limits()
	if err != nil {
		t.Fatal(err)
	}
	if l.BatchPercent != 30 || l.MaxUnhealthy != 20 || l.Pause != time.Second ||
		l.HealthTimeout != time.Minute {
		t.Errorf("limits %+v", l)
	}
}
