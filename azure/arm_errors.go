package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// maxARMMessageRunes bounds an ARM error message. It is larger than the bound on
// extension messages because AuthorizationFailed names the principal and the scope, and
// both are needed to fix it.
const maxARMMessageRunes = 400

// ErrorCode returns the ARM error code carried by err, such as "AuthorizationFailed" or
// "ResourceNotFound", or "" when err holds no response from Azure.
func ErrorCode(err error) string {
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		return respErr.ErrorCode
	}
	return ""
}

// armError is an ARM refusal reduced to what an operator acts on: the code, the status,
// the service's own message and, when known, the fix. It unwraps to the SDK's error so
// ErrorCode and errors.As keep working.
type armError struct {
	code    string
	status  int
	message string
	hint    string
	err     *azcore.ResponseError
}

// Error reads like "AuthorizationFailed (403): <message> — grant the Reader role on …".
func (e *armError) Error() string {
	var b strings.Builder
	b.WriteString(e.code)
	if e.code == "" {
		b.WriteString(http.StatusText(e.status))
	}
	fmt.Fprintf(&b, " (%d)", e.status)
	if e.message != "" {
		b.WriteString(": " + e.message)
	}
	if e.hint != "" {
		b.WriteString(" — " + e.hint)
	}
	return b.String()
}

// Unwrap returns the SDK's response error.
func (e *armError) Unwrap() error {
	return e.err
}

// describeFailure wraps an error of one operation. Azure refusals become an armError with
// a fix; roleScope names where a missing role must be granted ("the subscription").
func describeFailure(operation, roleScope string, err error) error {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		if unreachable(err) {
			return fmt.Errorf("%s: %w — %s", operation, err, unreachableHint)
		}
		return fmt.Errorf("%s: %w", operation, err)
	}
	described := &armError{
		code:    respErr.ErrorCode,
		status:  respErr.StatusCode,
		message: clipLine(armMessage(respErr.RawResponse), maxARMMessageRunes),
		err:     respErr,
	}
	described.hint = hintFor(described.code, described.status, roleScope,
		retryAfter(respErr.RawResponse))
	return fmt.Errorf("%s: %w", operation, described)
}

// unreachableHint is the fix when no answer came back at all.
const unreachableHint = "no answer from the Resource Manager endpoint; check --arm-endpoint " +
	"(for the simulator, that `spotdeck sim` runs there) and the network"

// unreachable tells whether err is a failure to reach the endpoint (refused, unknown
// host, timed out) rather than an answer from it.
func unreachable(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.As(err, &opErr) || errors.As(err, &dnsErr)
}

// armErrorBody is the ARM error shape, either wrapped in "error" or bare (the Compute
// resource provider's throttling answer is bare).
type armErrorBody struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Wrapped *armErrorBody `json:"error"`
}

// armMessage returns the message of an ARM error response, or "" when there is none.
func armMessage(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	payload, err := runtime.Payload(resp)
	if err != nil || len(payload) == 0 {
		return ""
	}
	var body armErrorBody
	if json.Unmarshal(payload, &body) != nil {
		return ""
	}
	if body.Wrapped != nil {
		return body.Wrapped.Message
	}
	return body.Message
}

func retryAfter(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	return strings.TrimSpace(resp.Header.Get("Retry-After"))
}

// codeHints gives the fix for ARM error codes whose fix does not depend on the call.
var codeHints = map[string]string{
	"invalidauthenticationtoken":       "sign in again with `az login`",
	"expiredauthenticationtoken":       "sign in again with `az login`",
	"invalidauthenticationtokentenant": "sign in to its tenant: az login --tenant <tenant-id>",
	"subscriptionnotfound":             "check --subscription (`az account list` shows yours)",
	"invalidsubscriptionid":            "check --subscription (`az account list` shows yours)",
	"resourcegroupnotfound":            "check --resource-group and the subscription",
	"resourcenotfound":                 "check the scale set name and its resource group",
	"parentresourcenotfound":           "check the scale set name and its resource group",
	"missingsubscriptionregistration": "register the provider once: " +
		"az provider register --namespace Microsoft.Compute",
}

// hintFor returns the fix for an ARM refusal, or "" when none is known.
func hintFor(code string, status int, roleScope, retryAfter string) string {
	lower := strings.ToLower(code)
	if hint, ok := codeHints[lower]; ok {
		return hint
	}
	switch {
	case lower == "authorizationfailed" || lower == "linkedauthorizationfailed" ||
		status == http.StatusForbidden:
		return "grant the Reader role on " + roleScope
	case status == http.StatusUnauthorized:
		return "sign in again with `az login`"
	case status == http.StatusNotFound:
		return "check the names and the subscription"
	case lower == "toomanyrequests" || status == http.StatusTooManyRequests:
		return throttleHint(retryAfter)
	case status >= http.StatusInternalServerError:
		return "Azure failed to answer; try again shortly"
	}
	return ""
}

// throttleHint says how long to wait. Retry-After is seconds or, more rarely, an HTTP date.
func throttleHint(retryAfter string) string {
	switch {
	case retryAfter == "":
		return "Azure is throttling reads; refresh less often"
	case strings.Trim(retryAfter, "0123456789") == "":
		return "Azure is throttling reads; wait " + retryAfter + " s and refresh less often"
	}
	return "Azure is throttling reads; wait until " + retryAfter + " and refresh less often"
}
