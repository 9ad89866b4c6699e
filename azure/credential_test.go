package azure

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// unsetTokenCredentialsChoice clears AZURE_TOKEN_CREDENTIALS for one test, because an
// invalid value in the developer's shell would make DefaultAzureCredential creation fail.
func unsetTokenCredentialsChoice(t *testing.T) {
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "")
	if err := os.Unsetenv("AZURE_TOKEN_CREDENTIALS"); err != nil {
		t.Fatalf("unset AZURE_TOKEN_CREDENTIALS: %v", err)
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		raw, want, wantErr string
	}{
		{raw: "", want: "https://management.azure.com"},
		{raw: " https://management.azure.com/ ", want: "https://management.azure.com"},
		{raw: "HTTPS://Management.Azure.com", want: "https://management.azure.com"},
		{raw: "http://[::1]:8080", want: "http://[::1]:8080"},
		{raw: "ftp://management.azure.com", wantErr: "must start with https:// or http://"},
		{raw: "https://", wantErr: "has no host"},
		{raw: "https://me:pa55@management.azure.com", wantErr: "must not carry a user name"},
		{raw: "https://management.azure.com/subscriptions", wantErr: "must have no path"},
		{raw: "https://management.azure.com?x=1", wantErr: "must have no path or query"},
		{raw: "http://bad host", wantErr: "is not a valid URL"},
		{raw: "http://u:pa55@bad host", wantErr: `"http://REDACTED@bad host" is not a valid URL`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := parseEndpoint(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseEndpoint(%q) error = %v, want %q", tt.raw, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "https://management.azure.com") {
					t.Errorf("error %q does not show a valid form", err)
				}
				if strings.Contains(err.Error(), "pa55") {
					t.Errorf("error %q repeats the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseEndpoint(%q): %v", tt.raw, err)
			}
			if got.String() != tt.want {
				t.Errorf("parseEndpoint(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestAccessForLoopbackUsesTheStaticToken(t *testing.T) {
	tests := []struct {
		endpoint  string
		allowHTTP bool
	}{
		{endpoint: "http://127.0.0.1:8080", allowHTTP: true},
		{endpoint: "http://127.45.6.7", allowHTTP: true},
		{endpoint: "http://localhost:9000", allowHTTP: true},
		{endpoint: "http://[::1]:8080", allowHTTP: true},
		{endpoint: "https://localhost:8443", allowHTTP: false},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			access := mustARMAccess(t, tt.endpoint)
			if _, ok := access.credential.(*azfake.TokenCredential); !ok {
				t.Errorf("credential = %T, want the static fake token", access.credential)
			}
			if access.allowHTTP != tt.allowHTTP {
				t.Errorf("allowHTTP = %v, want %v", access.allowHTTP, tt.allowHTTP)
			}
			arm := access.cloud.Services[cloud.ResourceManager]
			if arm.Endpoint != tt.endpoint || arm.Audience == "" {
				t.Errorf("resource manager config = %+v, want endpoint %s and an audience",
					arm, tt.endpoint)
			}
		})
	}
}

func TestAccessForAzureUsesDefaultAzureCredential(t *testing.T) {
	unsetTokenCredentialsChoice(t)
	tests := []struct {
		endpoint string
		cloud    cloud.Configuration
	}{
		{endpoint: "https://management.azure.com", cloud: cloud.AzurePublic},
		{endpoint: "https://management.azure.com:443", cloud: cloud.AzurePublic},
		{endpoint: "https://management.usgovcloudapi.net", cloud: cloud.AzureGovernment},
		{endpoint: "https://management.chinacloudapi.cn", cloud: cloud.AzureChina},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			access := mustARMAccess(t, tt.endpoint)
			wrapped, ok := access.credential.(signInCredential)
			if !ok {
				t.Fatalf("credential = %T, want the sign-in wrapper", access.credential)
			}
			if _, ok := wrapped.inner.(*azidentity.DefaultAzureCredential); !ok {
				t.Errorf("wrapped credential = %T, want DefaultAzureCredential", wrapped.inner)
			}
			if access.allowHTTP {
				t.Error("plain HTTP allowed for an Azure endpoint")
			}
			got := access.cloud.Services[cloud.ResourceManager]
			want := tt.cloud.Services[cloud.ResourceManager]
			if got != want || access.cloud.ActiveDirectoryAuthorityHost !=
				tt.cloud.ActiveDirectoryAuthorityHost {
				t.Errorf("cloud = %+v, want %+v", access.cloud, tt.cloud)
			}
		})
	}
}

func TestAccessForRefusesOtherHosts(t *testing.T) {
	unsetTokenCredentialsChoice(t)
	tests := []struct {
		endpoint, want string
	}{
		{endpoint: "https://example.com", want: "refusing to send Azure credentials"},
		{endpoint: "https://management.azure.com.example.com", want: "refusing to send"},
		{endpoint: "http://192.168.1.10:8080", want: "refusing to send"},
		{endpoint: "http://management.azure.com", want: "must be reached over https"},
		{endpoint: "https://management.azure.com:8443", want: "port 443, not 8443"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			endpoint, err := parseEndpoint(tt.endpoint)
			if err != nil {
				t.Fatalf("parseEndpoint(%s): %v", tt.endpoint, err)
			}
			_, err = accessFor(endpoint)
			if !errors.Is(err, ErrUntrustedEndpoint) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("accessFor(%s) error = %v, want ErrUntrustedEndpoint saying %q",
					tt.endpoint, err, tt.want)
			}
		})
	}
}

func TestCredentialCreationFailureTellsToSignIn(t *testing.T) {
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "no-such-credential")
	_, err := NewClient(ClientOptions{SubscriptionID: armTestSubscription})
	var signIn *SignInError
	if !errors.As(err, &signIn) {
		t.Fatalf("NewClient error = %v, want a SignInError", err)
	}
	if !strings.Contains(err.Error(), "az login") ||
		!strings.Contains(err.Error(), "AZURE_TOKEN_CREDENTIALS") {
		t.Errorf("error %q should say to run az login and keep the credential's reason", err)
	}
}

func TestSignInCredential(t *testing.T) {
	refused := errors.New("AzureCLICredential: please run 'az login'")
	tests := []struct {
		name       string
		ctx        func() context.Context
		err        error
		wantSignIn bool
	}{
		{name: "token", ctx: context.Background},
		{name: "sign-in refused", ctx: context.Background, err: refused, wantSignIn: true},
		{name: "cancelled", ctx: cancelledARMContext, err: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := &azfake.TokenCredential{}
			if tt.err != nil {
				inner.SetError(tt.err)
			}
			options := policy.TokenRequestOptions{Scopes: []string{"https://x/.default"}}
			token, err := signInCredential{inner: inner}.GetToken(tt.ctx(), options)
			assertSignIn(t, token, err, tt.err, tt.wantSignIn)
		})
	}
}

func assertSignIn(t *testing.T, token azcore.AccessToken, err, innerErr error, wantSignIn bool) {
	t.Helper()
	if innerErr == nil {
		if err != nil || token.Token == "" {
			t.Errorf("GetToken = %q, %v; want a token", token.Token, err)
		}
		return
	}
	if !errors.Is(err, innerErr) {
		t.Errorf("GetToken error = %v, want it to wrap %v", err, innerErr)
	}
	var signIn *SignInError
	if errors.As(err, &signIn) != wantSignIn {
		t.Errorf("GetToken error %v: SignInError = %v, want %v", err, !wantSignIn, wantSignIn)
	}
	if wantSignIn && !strings.HasPrefix(err.Error(), "not signed in to Azure: run `az login`") {
		t.Errorf("sign-in error %q does not lead with the fix", err)
	}
}

func cancelledARMContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func mustARMAccess(t *testing.T, raw string) armAccess {
	t.Helper()
	endpoint, err := parseEndpoint(raw)
	if err != nil {
		t.Fatalf("parseEndpoint(%s): %v", raw, err)
	}
	access, err := accessFor(endpoint)
	if err != nil {
		t.Fatalf("accessFor(%s): %v", raw, err)
	}
	return access
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{a: "https://management.azure.com/x", b: "https://management.azure.com", want: true},
		{a: "https://management.azure.com:443/x", b: "https://management.azure.com", want: true},
		{a: "http://127.0.0.1:80/x", b: "http://127.0.0.1", want: true},
		{a: "HTTPS://Management.Azure.com/x", b: "https://management.azure.com", want: true},
		{a: "http://management.azure.com/x", b: "https://management.azure.com", want: false},
		{a: "https://management.azure.com:8443", b: "https://management.azure.com", want: false},
		{a: "https://example.com/x", b: "https://management.azure.com", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.a, func(t *testing.T) {
			a, errA := url.Parse(tt.a)
			b, errB := url.Parse(tt.b)
			if errA != nil || errB != nil {
				t.Fatalf("parse %s / %s: %v %v", tt.a, tt.b, errA, errB)
			}
			if got := sameOrigin(a, b); got != tt.want {
				t.Errorf("sameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
