// Package audit keeps the record of every change spotdeck makes: who, from where, what,
// to which targets, with which parameters, and how it ended. Records are JSON lines in
// the state folder and, when storage is configured, also in the team's container, so
// operators see each other's actions.
//
// The package knows nothing of Azure: the shared copy is written through a Sink.
package audit

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"regexp"
	"strings"
	"time"
)

// Results of a change, as recorded.
const (
	ResultOK = "ok"
	// failedPrefix starts the result of a change that failed, followed by why.
	failedPrefix = "failed: "
)

// masked replaces the value of a parameter that may be a secret.
const masked = "***"

// maxResultRunes bounds the failure text kept in a record.
const maxResultRunes = 300

// Record is one change.
type Record struct {
	// ID tells records apart, so that the local and the shared copy of one record merge.
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Who is the signed-in identity's name or object ID; "simulator" against the
	// simulated subscription.
	Who  string `json:"who"`
	Host string `json:"host"`
	// SSHClient is the IP address the operator's SSH session comes from, when there is one.
	SSHClient string `json:"sshClient,omitempty"`
	// Action is what was done, e.g. "restart" or "scale".
	Action  string   `json:"action"`
	Targets []string `json:"targets"`
	// Params are the action's parameters, secrets masked.
	Params map[string]string `json:"params,omitempty"`
	// Result is "ok" or "failed: <why>".
	Result string `json:"result"`
}

// NewRecord starts a record of a change about to be made, stamped with the time, this
// host and the SSH client. Parameters whose name suggests a secret are masked, and so
// are secrets inside the other values. Set Result with Outcome once the change ends.
func NewRecord(who, action string, targets []string, params map[string]string) Record {
	return Record{
		ID:        newID(),
		Time:      time.Now().UTC(),
		Who:       who,
		Host:      hostName(),
		SSHClient: SSHClientIP(os.Getenv("SSH_CLIENT"), os.Getenv("SSH_CONNECTION")),
		Action:    action,
		Targets:   append([]string(nil), targets...),
		Params:    MaskParams(params),
	}
}

// Outcome is the Result of a change that ended with err: "ok" for nil, otherwise
// "failed: " and the first line of the error, secrets redacted.
func Outcome(err error) string {
	if err == nil {
		return ResultOK
	}
	text := strings.TrimSpace(redactValue(err.Error()))
	if cut := strings.IndexAny(text, "\r\n"); cut >= 0 {
		text = strings.TrimSpace(text[:cut])
	}
	if runes := []rune(text); len(runes) > maxResultRunes {
		text = string(runes[:maxResultRunes-1]) + "…"
	}
	return failedPrefix + text
}

// Failed tells whether the record is of a change that failed.
func (r Record) Failed() bool {
	return strings.HasPrefix(r.Result, failedPrefix)
}

func newID() string {
	var b [12]byte
	// crypto/rand.Read never fails on the platforms Go supports (it panics instead).
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func hostName() string {
	name, err := os.Hostname()
	if err != nil || name == "" {
		return "unknown"
	}
	return name
}

// SSHClientIP returns the client address of an SSH session from the values of
// SSH_CLIENT ("ip port port") or, failing that, SSH_CONNECTION ("ip port ip port"); ""
// when neither holds an IP address.
func SSHClientIP(sshClient, sshConnection string) string {
	for _, value := range []string{sshClient, sshConnection} {
		fields := strings.Fields(value)
		if len(fields) > 0 && net.ParseIP(fields[0]) != nil {
			return fields[0]
		}
	}
	return ""
}

// secretNames are the words that mark a parameter as a secret by its name.
var secretNames = []string{"key", "secret", "password", "connection", "sas", "sig", "token"}

// secretInValue finds credentials inside a value: SAS signatures in URLs, keys and
// passwords in connection strings.
var secretInValue = regexp.MustCompile(
	`(?i)\b(sig|accountkey|sharedaccesskey|sharedaccesssignature|password|pwd)=[^&;\s'"]+`)

// MaskParams returns a copy of params in which the value of every parameter named like a
// secret is "***", and secrets inside other values are masked; nil for no parameters.
func MaskParams(params map[string]string) map[string]string {
	if len(params) == 0 {
		return nil
	}
	out := make(map[string]string, len(params))
	for name, value := range params {
		if IsSecretName(name) {
			out[name] = masked
			continue
		}
		out[name] = redactValue(value)
	}
	return out
}

// IsSecretName tells whether a parameter's name suggests a secret value.
func IsSecretName(name string) bool {
	lower := strings.ToLower(name)
	for _, word := range secretNames {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

func redactValue(value string) string {
	return secretInValue.ReplaceAllString(value, "${1}="+masked)
}
