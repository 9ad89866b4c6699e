package bundle

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"unicode"
)

// Placeholder is the value that marks a setting nobody has filled in yet.
const Placeholder = "PLACEHOLDER"

// byteOrderMark may open a UTF-8 file saved on Windows; it is not part of the first key.
const byteOrderMark = "\ufeff"

// maxEnvLine bounds one line of an env file; a longer one is surely not an env file.
const maxEnvLine = 1 << 20

// envKeyPattern is the portable env name: it works for systemd, POSIX shells and Windows,
// and .NET configuration reads "__" as a section separator.
var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// EnvVar is one app setting. Its value is a secret: every way of formatting an EnvVar
// shows the key only.
type EnvVar struct {
	Key   string
	Value string
	// Line is the line number in the env file, from 1.
	Line int
}

// String shows the key with the value hidden.
func (v EnvVar) String() string { return v.Key + "=<hidden>" }

// GoString keeps %#v from printing the value.
func (v EnvVar) GoString() string { return "bundle.EnvVar{" + v.String() + "}" }

// Format keeps every fmt verb from printing the value.
func (v EnvVar) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, v.String()) }

// LogValue keeps slog from printing the value.
func (v EnvVar) LogValue() slog.Value { return slog.StringValue(v.String()) }

// ParseEnv reads KEY=VALUE lines. Blank lines and lines starting with '#' are skipped, a
// leading "export " is dropped, the value is everything after the first '=' with the
// surrounding blanks trimmed and one pair of matching surrounding quotes removed. Problems
// with single lines come back as findings that name the file (name) and the line; the
// error is for a read failure only.
func ParseEnv(r io.Reader, name string) ([]EnvVar, []Finding, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxEnvLine)
	var vars []EnvVar
	var findings []Finding
	firstLine := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			// Editors on Windows may start a UTF-8 file with a byte order mark.
			line = strings.TrimPrefix(line, byteOrderMark)
		}
		v, f, ok := parseEnvLine(line, name, n)
		findings = append(findings, f...)
		if !ok {
			continue
		}
		if first, dup := firstLine[v.Key]; dup {
			findings = append(findings, errorf(lineRef(name, n),
				"remove one of the two lines",
				"key %s is set again (first on line %d)", v.Key, first))
			continue
		}
		firstLine[v.Key] = n
		vars = append(vars, v)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read env file %s: %w (fix: pass a text file of "+
			"KEY=VALUE lines)", name, err)
	}
	return vars, findings, nil
}

// parseEnvLine parses one line; ok is false for lines that set nothing.
func parseEnvLine(line, name string, n int) (EnvVar, []Finding, bool) {
	trimmed := strings.TrimSpace(line)
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return EnvVar{}, nil, false
	}
	trimmed = strings.TrimPrefix(trimmed, "export ")
	key, value, found := strings.Cut(trimmed, "=")
	if !found {
		return EnvVar{}, []Finding{errorf(lineRef(name, n), "write it as KEY=VALUE",
			"line has no '='")}, false
	}
	v := EnvVar{Key: strings.TrimSpace(key), Value: unquote(strings.TrimSpace(value)), Line: n}
	return v, checkEnvVar(v, lineRef(name, n)), true
}

// checkEnvVar reports a bad key or a value that cannot be deployed. Messages name the key,
// never the value.
func checkEnvVar(v EnvVar, where string) []Finding {
	var out []Finding
	if !envKeyPattern.MatchString(v.Key) {
		out = append(out, errorf(where, "use letters, digits and '_', not starting with a "+
			"digit; write a nested setting as Section__Key",
			"key %q is not a valid name", v.Key))
	}
	if strings.Contains(v.Value, Placeholder) {
		out = append(out, errorf(where, "put the real value in the env file",
			"key %s still has a %s value", v.Key, Placeholder))
	}
	if strings.ContainsFunc(v.Value, isBadControl) {
		out = append(out, errorf(where, "remove control characters from the value",
			"value of key %s holds a control character", v.Key))
	}
	return out
}

// isBadControl reports control characters other than tab; they break the env files that the
// install scripts write.
func isBadControl(r rune) bool { return r != '\t' && unicode.IsControl(r) }

// unquote removes one pair of matching single or double quotes around s.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// lineRef names a line of a file in findings.
func lineRef(name string, n int) string { return fmt.Sprintf("%s:%d", name, n) }

// writeEnv writes vars as KEY=VALUE lines, in their order. The install scripts read each line
// verbatim after the first '=', so no quoting is needed.
func writeEnv(w io.Writer, vars []EnvVar) error {
	bw := bufio.NewWriter(w)
	for _, v := range vars {
		if _, err := bw.WriteString(v.Key + "=" + v.Value + "\n"); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// envKeys returns the keys of vars in order.
func envKeys(vars []EnvVar) []string {
	keys := make([]string, len(vars))
	for i, v := range vars {
		keys[i] = v.Key
	}
	return keys
}

// envKeyVar returns the variable called key.
func envKeyVar(vars []EnvVar, key string) (EnvVar, bool) {
	for _, v := range vars {
		if v.Key == key {
			return v, true
		}
	}
	return EnvVar{}, false
}
