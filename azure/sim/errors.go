package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// armError is an error the simulator answers with, shaped as Azure Resource Manager
// shapes its errors: a status, and a JSON body {"error":{"code":..,"message":..}}.
type armError struct {
	status  int
	code    string
	message string
	// retryAfter, when positive, is sent as the Retry-After header.
	retryAfter time.Duration
	// header holds further response headers, e.g. the throttling counters of a 429.
	header http.Header
}

// Error returns the code, status and message on one line.
func (e *armError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.code, e.status, e.message)
}

// errorBody is the JSON shape of an ARM error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// response renders the error as the HTTP response ARM would send to req.
func (e *armError) response(req *http.Request) *http.Response {
	var body errorBody
	body.Error.Code, body.Error.Message = e.code, e.message
	// Marshalling two strings cannot fail.
	data, _ := json.Marshal(body)

	header := http.Header{}
	for name, values := range e.header {
		header[name] = append([]string(nil), values...)
	}
	header.Set("Content-Type", "application/json; charset=utf-8")
	header.Set("x-ms-error-code", e.code)
	if e.retryAfter > 0 {
		seconds := int(math.Ceil(e.retryAfter.Seconds()))
		header.Set("Retry-After", strconv.Itoa(seconds))
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", e.status, http.StatusText(e.status)),
		StatusCode:    e.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(data)),
		ContentLength: int64(len(data)),
		Request:       req,
	}
}

func notFound(resource, resourceGroup string) *armError {
	return &armError{status: http.StatusNotFound, code: "ResourceNotFound",
		message: fmt.Sprintf("The Resource '%s' under resource group '%s' was not found.",
			resource, resourceGroup)}
}

func resourceGroupNotFound(resourceGroup string) *armError {
	return &armError{status: http.StatusNotFound, code: "ResourceGroupNotFound",
		message: fmt.Sprintf("Resource group '%s' could not be found. The simulated "+
			"subscription has resource groups %s.", resourceGroup,
			strings.Join(resourceGroups, ", "))}
}

func subscriptionNotFound(subscriptionID string) *armError {
	return &armError{status: http.StatusNotFound, code: "SubscriptionNotFound",
		message: fmt.Sprintf("The subscription '%s' could not be found. The simulated "+
			"subscription is '%s'; configure that subscription ID.",
			subscriptionID, FixedSubscriptionID)}
}

func conflict(code, message string) *armError {
	return &armError{status: http.StatusConflict, code: code, message: message}
}

func badRequest(code, message string) *armError {
	return &armError{status: http.StatusBadRequest, code: code, message: message}
}

// notServed answers an operation the simulator knows but does not implement. 501 rather
// than 500, because the SDK retries a 500 and retrying cannot help.
func notServed(operation string) *armError {
	return &armError{status: http.StatusNotImplemented, code: "NotImplemented",
		message: fmt.Sprintf("The simulated subscription does not serve %s.", operation)}
}

func unknownRoute(method, path string) *armError {
	return &armError{status: http.StatusNotFound, code: "RouteNotFound",
		message: fmt.Sprintf("The simulated subscription has no operation for %s %s; it "+
			"serves the resource providers %s under /subscriptions/%s.", method, path,
			providerNames(), FixedSubscriptionID)}
}

func noOperationName() *armError {
	return &armError{status: http.StatusBadRequest, code: "MissingOperationName",
		message: "The request carries no SDK operation name in its context; send it " +
			"through an Azure SDK client, or over HTTP through the simulator's handler."}
}

func unauthenticated() *armError {
	return &armError{status: http.StatusUnauthorized, code: "AuthenticationFailed",
		message: "Authentication failed. The 'Authorization' header is missing; " +
			"configure the client with a token credential."}
}

// toARMError turns an error of the fake servers into the error the simulator answers
// with. The fakes report operations nobody implemented and requests they cannot parse
// as plain errors; those become 501 and 400, never a retried 500.
func toARMError(operation string, err error) *armError {
	var answer *armError
	if errors.As(err, &answer) {
		return answer
	}
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		return &armError{status: respErr.StatusCode, code: respErr.ErrorCode,
			message: fmt.Sprintf("%s failed with %s.", operation, respErr.ErrorCode)}
	}
	text := err.Error()
	if strings.Contains(text, "not implemented") || strings.HasPrefix(text, "unhandled API") {
		return notServed(operation)
	}
	return badRequest("InvalidRequest", fmt.Sprintf("%s: %s", operation, text))
}
