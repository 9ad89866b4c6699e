package azure

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// SDK models mark every field optional with a pointer, and the examples Azure publishes
// leave out or null any of them. These helpers read such fields without a nil check at
// every call site.

// maxMessageRunes bounds a status message so one chatty extension cannot flood a screen.
const maxMessageRunes = 200

// stringOf returns the string a pointer holds, or "" when the pointer is nil.
func stringOf[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// lowerOf returns the lower-cased string a pointer holds, or "" when the pointer is nil.
// The platform is not consistent about case ("Succeeded" and "succeeded" both occur).
func lowerOf[T ~string](p *T) string {
	return strings.ToLower(stringOf(p))
}

// copyOf returns a pointer to a copy of the value, so our types never alias SDK models.
func copyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// stringsOf returns the non-nil strings of a list, or nil when there are none.
func stringsOf(list []*string) []string {
	var out []string
	for _, s := range list {
		if s != nil {
			out = append(out, *s)
		}
	}
	return out
}

// firstOf returns the first non-nil string of a list, or "".
func firstOf(list []*string) string {
	for _, s := range list {
		if s != nil {
			return *s
		}
	}
	return ""
}

// segmentAfter returns the path segment that follows the segment named key in an ARM
// resource ID, comparing key without regard to case, or "" when key is absent or last.
// ARM IDs are case-insensitive and the platform returns "resourceGroups" and
// "resourcegroups" alike.
func segmentAfter(resourceID, key string) string {
	segments := strings.Split(resourceID, "/")
	for i := 0; i+1 < len(segments); i++ {
		if strings.EqualFold(segments[i], key) {
			return segments[i+1]
		}
	}
	return ""
}

// resourceGroupOf returns the resource group named in an ARM resource ID, or "".
func resourceGroupOf(resourceID string) string {
	return segmentAfter(resourceID, "resourceGroups")
}

// codeSuffix returns the lower-cased first word after prefix in a status code such as
// "ProvisioningState/failed/VMStartTimedOut", or "" when the code has another prefix.
func codeSuffix(code, prefix string) string {
	if len(code) < len(prefix) || !strings.EqualFold(code[:len(prefix)], prefix) {
		return ""
	}
	rest := code[len(prefix):]
	if cut := strings.IndexByte(rest, '/'); cut >= 0 {
		rest = rest[:cut]
	}
	return strings.ToLower(rest)
}

// secretPattern finds credentials that script output and download errors can echo back:
// SAS signatures in URLs and keys in storage connection strings.
var secretPattern = regexp.MustCompile(
	`(?i)\b(sig|accountkey|sharedaccesskey|sharedaccesssignature)=[^&;\s'"]+`)

// redactSecrets replaces the values of SAS signatures and account keys with "REDACTED".
func redactSecrets(s string) string {
	return secretPattern.ReplaceAllString(s, "${1}=REDACTED")
}

// shortMessage turns a platform status message into one safe line of at most
// maxMessageRunes runes.
func shortMessage(raw string) string {
	return clipLine(raw, maxMessageRunes)
}

// clipLine returns the first line of a message, trimmed, secrets redacted, cut to limit
// runes with an ellipsis when longer.
func clipLine(raw string, limit int) string {
	text := strings.TrimSpace(redactSecrets(raw))
	if cut := strings.IndexAny(text, "\r\n"); cut >= 0 {
		text = strings.TrimSpace(text[:cut])
	}
	if utf8.RuneCountInString(text) <= limit {
		return text
	}
	runes := []rune(text)
	return strings.TrimSpace(string(runes[:limit-1])) + "…"
}
