package azure

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// RetryAfter returns how long Azure asked the caller to wait before trying again, from the
// Retry-After header of a throttled (429) or busy (503) answer; 0 when it asked nothing.
// The SDK gives up at once when Retry-After exceeds its own cap, so the caller must wait.
func RetryAfter(err error) time.Duration {
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.RawResponse == nil {
		return 0
	}
	return parseRetryAfter(re.RawResponse.Header.Get("Retry-After"), time.Now())
}

// parseRetryAfter reads seconds or an HTTP date.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.Atoi(value); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
