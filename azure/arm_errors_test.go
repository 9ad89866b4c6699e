package azure

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

func TestHintFor(t *testing.T) {
	tests := []struct {
		name       string
		code       string
		status     int
		retryAfter string
		want       string
	}{
		{name: "authorization", code: "AuthorizationFailed", status: 403,
			want: "grant the Reader role on the subscription"},
		{name: "forbidden without code", status: 403,
			want: "grant the Reader role on the subscription"},
		{name: "code in other case", code: "resourcegroupnotfound", status: 404,
			want: "check --resource-group and the subscription"},
		{name: "unknown subscription", code: "SubscriptionNotFound", status: 404,
			want: "check --subscription (`az account list` shows yours)"},
		{name: "provider not registered", code: "MissingSubscriptionRegistration", status: 409,
			want: "register the provider once: az provider register --namespace Microsoft.Compute"},
		{name: "unauthorized without code", status: 401, want: "sign in again with `az login`"},
		{name: "other 404", code: "Gone", status: 404,
			want: "check the names and the subscription"},
		{name: "throttled, seconds", code: "OperationNotAllowed", status: 429, retryAfter: "17",
			want: "Azure is throttling reads; wait 17 s and refresh less often"},
		{name: "throttled, date", status: 429, retryAfter: "Wed, 03 Dec 2026 20:00:00 GMT",
			want: "Azure is throttling reads; wait until Wed, 03 Dec 2026 20:00:00 GMT and " +
				"refresh less often"},
		{name: "throttled, no header", code: "TooManyRequests", status: 429,
			want: "Azure is throttling reads; refresh less often"},
		{name: "server error", code: "InternalServerError", status: 500,
			want: "Azure failed to answer; try again shortly"},
		{name: "conflict with no known fix", code: "Conflict", status: 409, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hintFor(tt.code, tt.status, "the subscription", tt.retryAfter)
			if got != tt.want {
				t.Errorf("hintFor(%q, %d) = %q, want %q", tt.code, tt.status, got, tt.want)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	respErr := &azcore.ResponseError{ErrorCode: "AuthorizationFailed", StatusCode: 403}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "nil", err: nil, want: ""},
		{name: "not from Azure", err: errors.New("dial tcp: refused"), want: ""},
		{name: "response error", err: respErr, want: "AuthorizationFailed"},
		{name: "wrapped twice", err: fmt.Errorf("read: %w", &armError{err: respErr}),
			want: "AuthorizationFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestDescribeFailureKeepsOtherErrors(t *testing.T) {
	cause := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	err := describeFailure("read scale sets in subscription s", "the subscription", cause)
	if !errors.Is(err, cause) {
		t.Errorf("describeFailure lost the cause: %v", err)
	}
	want := "read scale sets in subscription s: " + cause.Error()
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestDescribeFailureOfAnUnreachableEndpointSaysWhatToCheck(t *testing.T) {
	// A port nothing listens on: the dial is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, cause := net.Dial("tcp", addr)
	if cause == nil {
		t.Skip("the closed port accepted a connection")
	}
	err = describeFailure("read scale sets in subscription s", "the subscription", cause)
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "check --arm-endpoint") ||
		!strings.Contains(err.Error(), addr) {
		t.Errorf("error = %q, want the cause, its address and the flag to check", err)
	}
}

func TestArmMessageToleratesOddBodies(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "wrapped", body: `{"error":{"code":"X","message":"wrapped"}}`, want: "wrapped"},
		{name: "bare", body: `{"code":"X","message":"bare"}`, want: "bare"},
		{name: "not JSON", body: `<html>bad gateway</html>`, want: ""},
		{name: "empty", body: ``, want: ""},
		{name: "error is not an object", body: `{"error":"text"}`, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 400, Body: armBody(tt.body), Header: http.Header{}}
			if got := armMessage(resp); got != tt.want {
				t.Errorf("armMessage(%s) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
	if got := armMessage(nil); got != "" {
		t.Errorf("armMessage(nil) = %q, want empty", got)
	}
}
