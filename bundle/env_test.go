package bundle

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseEnv(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		want     []EnvVar
		findings []string // substrings of error findings, in order
	}{
		{
			name:  "comments blanks and equals in values",
			input: "# comment\n\nA=1\n  B = two words \nC=x=y=z\r\nexport D=4\n",
			want: []EnvVar{{"A", "1", 3}, {"B", "two words", 4}, {"C", "x=y=z", 5},
				{"D", "4", 6}},
		},
		{
			name:  "byte order mark and CRLF from a Windows editor",
			input: "\ufeffFUNCTIONS_WORKER_RUNTIME=node\r\nA=\ufeff1\r\n",
			want: []EnvVar{{"FUNCTIONS_WORKER_RUNTIME", "node", 1},
				{"A", "\ufeff1", 2}},
		},
		{
			name:  "quotes are removed once",
			input: "A=\"quoted value\"\nB='single'\nC=\"unbalanced'\nD=\n",
			want: []EnvVar{{"A", "quoted value", 1}, {"B", "single", 2},
				{"C", "\"unbalanced'", 3}, {"D", "", 4}},
		},
		{
			name:  "invalid key names",
			input: "1ABC=x\nA.B=y\nA-B=z\nGOOD=1\n",
			want: []EnvVar{{"1ABC", "x", 1}, {"A.B", "y", 2}, {"A-B", "z", 3},
				{"GOOD", "1", 4}},
			findings: []string{`key "1ABC" is not a valid name`, `"A.B"`, `"A-B"`},
		},
		{
			name:     "duplicate key",
			input:    "A=1\nB=2\nA=3\n",
			want:     []EnvVar{{"A", "1", 1}, {"B", "2", 2}},
			findings: []string{"key A is set again (first on line 1)"},
		},
		{
			name:  "placeholder values",
			input: "A=PLACEHOLDER\nB=AccountKey=PLACEHOLDER;x\nC=fine\n",
			want: []EnvVar{{"A", "PLACEHOLDER", 1}, {"B", "AccountKey=PLACEHOLDER;x", 2},
				{"C", "fine", 3}},
			findings: []string{"key A still has a PLACEHOLDER value", "key B still has"},
		},
		{
			name:     "line without equals",
			input:    "JUSTAWORD\nA=1\n",
			want:     []EnvVar{{"A", "1", 2}},
			findings: []string{"line has no '='"},
		},
		{
			name:     "control character in value",
			input:    "A=bad\x00value\n",
			want:     []EnvVar{{"A", "bad\x00value", 1}},
			findings: []string{"value of key A holds a control character"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, findings, err := ParseEnv(strings.NewReader(tt.input), "test.env")
			if err != nil {
				t.Fatalf("ParseEnv: %v", err)
			}
			if len(vars) != len(tt.want) {
				t.Fatalf("got %d vars, want %d", len(vars), len(tt.want))
			}
			for i, w := range tt.want {
				if vars[i] != w {
					t.Errorf("var %d = {%q %q %d}, want {%q %q %d}", i, vars[i].Key,
						vars[i].Value, vars[i].Line, w.Key, w.Value, w.Line)
				}
			}
			checkFindings(t, findings, tt.findings)
		})
	}
}

// checkFindings compares error findings with expected substrings, in order, and checks that
// each names the file and a line and carries a fix.
func checkFindings(t *testing.T, findings []Finding, want []string) {
	t.Helper()
	errs := errorsOf(findings)
	if len(errs) != len(want) {
		t.Fatalf("got %d error findings %v, want %d", len(errs), errs, len(want))
	}
	for i, w := range want {
		if !strings.Contains(errs[i].Message, w) {
			t.Errorf("finding %d = %q, want it to contain %q", i, errs[i].Message, w)
		}
		if !strings.HasPrefix(errs[i].File, "test.env:") || errs[i].Fix == "" {
			t.Errorf("finding %d = %+v, want a test.env:LINE file and a fix", i, errs[i])
		}
	}
}

func TestParseEnvLineTooLong(t *testing.T) {
	long := "A=" + strings.Repeat("x", maxEnvLine+1)
	_, _, err := ParseEnv(strings.NewReader(long), "big.env")
	if err == nil || !strings.Contains(err.Error(), "big.env") {
		t.Fatalf("err = %v, want an error naming big.env", err)
	}
}

func TestEnvVarNeverShowsValue(t *testing.T) {
	v := EnvVar{Key: "AzureWebJobsStorage", Value: secretValue, Line: 3}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("setting", "var", v)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", v),
		"%+v":  fmt.Sprintf("%+v", v),
		"%#v":  fmt.Sprintf("%#v", v),
		"%s":   fmt.Sprintf("%s", v),
		"%q":   fmt.Sprintf("%q", v),
		"list": fmt.Sprint([]EnvVar{v}),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "s3cr3t") {
				t.Errorf("output %q shows the value", out)
			}
			if !strings.Contains(out, "AzureWebJobsStorage") {
				t.Errorf("output %q does not show the key", out)
			}
		})
	}
}

func TestWriteEnvRoundTrip(t *testing.T) {
	in := "A=x=y\nB=\"with spaces \"\nC=it's $HOME `cmd` \\n\n"
	vars, findings, err := ParseEnv(strings.NewReader(in), "rt.env")
	if err != nil || len(findings) != 0 {
		t.Fatalf("ParseEnv: %v %v", err, findings)
	}
	var buf bytes.Buffer
	if err := writeEnv(&buf, vars); err != nil {
		t.Fatal(err)
	}
	want := "A=x=y\nB=with spaces \nC=it's $HOME `cmd` \\n\n"
	if buf.String() != want {
		t.Errorf("writeEnv = %q, want %q", buf.String(), want)
	}
}
