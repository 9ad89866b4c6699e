package azure

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

func TestNewClientValidation(t *testing.T) {
	tests := []struct {
		name    string
		opts    ClientOptions
		wantErr []string // parts of the error; nil means success
	}{
		{
			name:    "no subscription",
			opts:    ClientOptions{SubscriptionID: "  "},
			wantErr: []string{"--subscription", "AZURE_SUBSCRIPTION_ID"},
		},
		{
			name:    "subscription that would change the path",
			opts:    ClientOptions{SubscriptionID: "abc/../other"},
			wantErr: []string{`subscription ID "abc/../other"`, "--subscription"},
		},
		{
			name:    "resource group with a space",
			opts:    ClientOptions{SubscriptionID: armTestSubscription, ResourceGroup: "rg one"},
			wantErr: []string{`resource group "rg one"`, "--resource-group"},
		},
		{
			name:    "endpoint that is not a URL",
			opts:    ClientOptions{SubscriptionID: armTestSubscription, ARMEndpoint: "::not a url"},
			wantErr: []string{`ARM endpoint "::not a url"`},
		},
		{
			name: "endpoint without scheme",
			opts: ClientOptions{SubscriptionID: armTestSubscription,
				ARMEndpoint: "127.0.0.1:8080"},
			wantErr: []string{`ARM endpoint "127.0.0.1:8080"`},
		},
		{
			name: "loopback endpoint",
			opts: ClientOptions{SubscriptionID: " " + armTestSubscription + " ",
				ARMEndpoint: "http://127.0.0.1:8080/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := NewClient(tt.opts)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				if client.SubscriptionID() != armTestSubscription {
					t.Errorf("SubscriptionID = %q, want %q",
						client.SubscriptionID(), armTestSubscription)
				}
				if client.Endpoint() != "http://127.0.0.1:8080" {
					t.Errorf("Endpoint = %q, want http://127.0.0.1:8080", client.Endpoint())
				}
				return
			}
			if err == nil {
				t.Fatalf("NewClient accepted %+v", tt.opts)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}

func TestNewClientWithoutSubscriptionIsErrNoSubscription(t *testing.T) {
	_, err := NewClient(ClientOptions{ARMEndpoint: "http://127.0.0.1:1"})
	if !errors.Is(err, ErrNoSubscription) {
		t.Errorf("error = %v, want ErrNoSubscription", err)
	}
}

func TestListScaleSetsOverPlainHTTPLoopback(t *testing.T) {
	stub := newARMStub()
	stub.answer(allScaleSetsPath, []byte(`{"value":[{"id":"/subscriptions/s/resourceGroups/`+
		`rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-a","location":"westus"}]}`))
	server := httptest.NewServer(stub)
	defer server.Close()

	opts := ClientOptions{SubscriptionID: armTestSubscription, ARMEndpoint: server.URL}
	client, err := NewClient(opts)
	if err != nil {
		t.Fatalf("NewClient(%s): %v", server.URL, err)
	}
	if client.Endpoint() != server.URL {
		t.Errorf("Endpoint = %q, want %q", client.Endpoint(), server.URL)
	}
	sets, err := client.ListScaleSets(context.Background())
	if err != nil {
		t.Fatalf("ListScaleSets over plain HTTP: %v", err)
	}
	if len(sets) != 1 || sets[0].Name != "vmss-a" || sets[0].ResourceGroup != "rg" {
		t.Errorf("ListScaleSets = %+v, want vmss-a in rg", sets)
	}
	seen := assertOneRequest(t, stub, allScaleSetsPath)
	if seen.query.Get("api-version") == "" {
		t.Error("request carried no api-version")
	}
}

func TestNewClientRefusesNonAzureEndpoints(t *testing.T) {
	for _, endpoint := range []string{
		"https://example.com",
		"https://management.azure.com.example.com",
		"http://10.0.0.4:8080",
		"http://0.0.0.0:8080",
		"https://localhost.example.com",
	} {
		t.Run(endpoint, func(t *testing.T) {
			opts := ClientOptions{SubscriptionID: armTestSubscription, ARMEndpoint: endpoint}
			_, err := NewClient(opts)
			if !errors.Is(err, ErrUntrustedEndpoint) {
				t.Fatalf("NewClient(%s) error = %v, want ErrUntrustedEndpoint", endpoint, err)
			}
			if !strings.Contains(err.Error(), "refusing to send Azure credentials") {
				t.Errorf("error %q does not say credentials are refused", err)
			}
		})
	}
}

// armHostRecorder is a transport that records the host of every request it sends.
type armHostRecorder struct {
	inner Transporter
	mu    sync.Mutex
	hosts []string
}

func (r *armHostRecorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Host)
	r.mu.Unlock()
	return r.inner.Do(req)
}

func TestListScaleSetsFollowsNextLinkOnlyToTheEndpoint(t *testing.T) {
	stub := newARMStub()
	server := httptest.NewTLSServer(stub)
	defer server.Close()
	const secondPage = "/subscriptions/" + armTestSubscription + "/next-page"
	tests := []struct {
		name      string
		nextLink  string
		wantNames []string
		wantErr   error
	}{
		{name: "second page on the endpoint", nextLink: server.URL + secondPage,
			wantNames: []string{"first", "second"}},
		{name: "second page elsewhere", nextLink: "https://example.com" + secondPage,
			wantErr: ErrUntrustedEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub.answer(allScaleSetsPath, []byte(`{"value":[{"name":"first"}],"nextLink":"`+
				tt.nextLink+`"}`))
			stub.answer(secondPage, []byte(`{"value":[{"name":"second"}]}`))
			recorder := &armHostRecorder{inner: server.Client()}
			client, err := NewClient(ClientOptions{SubscriptionID: armTestSubscription,
				ARMEndpoint: server.URL, Transport: recorder})
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}

			sets, err := client.ListScaleSets(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListScaleSets error = %v, want %v", err, tt.wantErr)
			}
			var names []string
			for _, set := range sets {
				names = append(names, set.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("names = %v, want %v", names, tt.wantNames)
			}
			for _, host := range recorder.hosts {
				if host != strings.TrimPrefix(server.URL, "https://") {
					t.Errorf("a request went to %s, not the endpoint", host)
				}
			}
		})
	}
}

func TestListErrorsNameOperationAndFix(t *testing.T) {
	tests := []struct {
		name     string
		group    string // client scope
		path     string
		status   int
		body     string
		list     func(c *Client) error
		wantCode string
		wantErr  []string
	}{
		{
			name: "no role on the subscription", path: allScaleSetsPath,
			status: http.StatusForbidden,
			body: `{"error":{"code":"AuthorizationFailed","message":"The client ` +
				`'ops@contoso.com' does not have authorization to perform action 'read'."}}`,
			list:     listScaleSets,
			wantCode: "AuthorizationFailed",
			wantErr: []string{"read scale sets in subscription " + armTestSubscription +
				": AuthorizationFailed (403): The client 'ops@contoso.com' does not have " +
				"authorization to perform action 'read'. — grant the Reader role on the " +
				"subscription"},
		},
		{
			name: "no role on the resource group", group: "rg-spot",
			path: groupScaleSetsPath("rg-spot"), status: http.StatusForbidden,
			body:     `{"error":{"code":"AuthorizationFailed","message":"denied"}}`,
			list:     listScaleSets,
			wantCode: "AuthorizationFailed",
			wantErr: []string{"read scale sets in resource group rg-spot of subscription",
				"grant the Reader role on resource group rg-spot"},
		},
		{
			name: "missing resource group", group: "rg-gone",
			path: groupScaleSetsPath("rg-gone"), status: http.StatusNotFound,
			body: `{"error":{"code":"ResourceGroupNotFound",` +
				`"message":"Resource group 'rg-gone' could not be found."}}`,
			list:     listScaleSets,
			wantCode: "ResourceGroupNotFound",
			wantErr:  []string{"ResourceGroupNotFound (404)", "check --resource-group"},
		},
		{
			name: "missing scale set", path: instancesPath("rg-spot", "vmss-gone"),
			status:   http.StatusNotFound,
			body:     `{"error":{"code":"ResourceNotFound","message":"not found"}}`,
			list:     listInstancesOf("rg-spot", "vmss-gone"),
			wantCode: "ResourceNotFound",
			wantErr: []string{"read instances of scale set vmss-gone in resource group rg-spot",
				"ResourceNotFound (404): not found — check the scale set name"},
		},
		{
			name: "expired token", path: allScaleSetsPath, status: http.StatusUnauthorized,
			body:     `{"error":{"code":"ExpiredAuthenticationToken","message":"expired"}}`,
			list:     listScaleSets,
			wantCode: "ExpiredAuthenticationToken",
			wantErr: []string{
				"ExpiredAuthenticationToken (401): expired — sign in again with `az login`"},
		},
		{
			name: "error without a body", path: allScaleSetsPath, status: http.StatusForbidden,
			list:     listScaleSets,
			wantCode: "",
			wantErr:  []string{"Forbidden (403) — grant the Reader role"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := newARMStub()
			stub.answerWith(tt.path, armAnswer{status: tt.status, body: []byte(tt.body)})
			client, _ := newTLSStubClientFor(t, stub, tt.group)

			err := tt.list(client)
			if err == nil {
				t.Fatal("the list succeeded against an error answer")
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
			if code := ErrorCode(err); code != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", code, tt.wantCode)
			}
			var respErr *azcore.ResponseError
			if !errors.As(err, &respErr) || respErr.StatusCode != tt.status {
				t.Errorf("error does not unwrap to the SDK's %d response: %v", tt.status, err)
			}
		})
	}
}

func listScaleSets(c *Client) error {
	_, err := c.ListScaleSets(context.Background())
	return err
}

func listInstancesOf(group, scaleSet string) func(c *Client) error {
	return func(c *Client) error {
		_, err := c.ListInstances(context.Background(), group, scaleSet)
		return err
	}
}

func TestListInstancesRejectsBadNamesWithoutCalling(t *testing.T) {
	tests := []struct {
		name, group, scaleSet, want string
	}{
		{name: "no group", scaleSet: "vmss", want: "both the resource group"},
		{name: "no scale set", group: "rg", want: "both the resource group"},
		{name: "slash in scale set", group: "rg", scaleSet: "a/b", want: `scale set "a/b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := newARMStub()
			client, _ := newTLSStubClient(t, stub)
			_, err := client.ListInstances(context.Background(), tt.group, tt.scaleSet)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
			if n := len(stub.requests()); n != 0 {
				t.Errorf("%d requests were sent for invalid names", n)
			}
		})
	}
}

func TestListScaleSetsEmptyAndCancelled(t *testing.T) {
	stub := newARMStub()
	stub.answer(allScaleSetsPath, armListBody(t))
	client, _ := newTLSStubClient(t, stub)

	sets, err := client.ListScaleSets(context.Background())
	if err != nil || sets == nil || len(sets) != 0 {
		t.Errorf("empty list = %#v, %v; want an empty, non-nil slice", sets, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = client.ListScaleSets(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read error = %v, want context.Canceled", err)
	}
}
