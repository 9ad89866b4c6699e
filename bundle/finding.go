package bundle

import "fmt"

// Severity says whether a finding stops a build.
type Severity int

// Severities of a finding. Errors stop Build; warnings are shown and the build goes on.
const (
	Warning Severity = iota + 1
	Error
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Finding is one problem preflight found in the inputs. It never holds an env value.
type Finding struct {
	Severity Severity
	// File names the input and, where it helps, the entry or line: "app.zip: host.json".
	File string
	// Message says what is wrong.
	Message string
	// Fix says what to do about it.
	Fix string
}

// String renders the finding on one line: "error: FILE: MESSAGE (fix: FIX)".
func (f Finding) String() string {
	s := f.Severity.String() + ": " + f.File + ": " + f.Message
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// HasErrors tells whether any finding is an error.
func HasErrors(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// errorf builds an error finding.
func errorf(file, fix, format string, args ...any) Finding {
	return Finding{Severity: Error, File: file, Message: fmt.Sprintf(format, args...), Fix: fix}
}

// warnf builds a warning finding.
func warnf(file, fix, format string, args ...any) Finding {
	return Finding{Severity: Warning, File: file, Message: fmt.Sprintf(format, args...), Fix: fix}
}
