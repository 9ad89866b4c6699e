package azure

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"1200", 20 * time.Minute},
		{"", 0},
		{"soon", 0},
		{"-5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := parseRetryAfter(tt.value, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
			}
		})
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"30"}}}
	err := fmt.Errorf("read: %w", &azcore.ResponseError{StatusCode: 429, RawResponse: resp})
	if got := RetryAfter(err); got != 30*time.Second {
		t.Errorf("RetryAfter(wrapped 429) = %s, want 30s", got)
	}
	if got := RetryAfter(fmt.Errorf("plain")); got != 0 {
		t.Errorf("RetryAfter(plain error) = %s, want 0", got)
	}
}
