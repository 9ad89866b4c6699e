package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// unsignedJWT builds a token with the given claims and no signature, as a test stand-in
// for what Entra ID issues; Who never checks signatures.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// jwtCredential hands out a fixed token and records the scopes it was asked for.
type jwtCredential struct {
	token  string
	err    error
	scopes []string
}

func (c *jwtCredential) GetToken(_ context.Context,
	options policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.scopes = options.Scopes
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, c.err
}

func TestIdentityFromToken(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"user with name and upn", map[string]any{"name": "Ada Lovelace",
			"upn": "ada@contoso.com", "oid": "11111111-aaaa"}, "Ada Lovelace <ada@contoso.com>"},
		{"v1 guest with unique_name", map[string]any{"name": "Bob",
			"unique_name": "live.com#bob@example.com"}, "Bob <live.com#bob@example.com>"},
		{"v2 token", map[string]any{"preferred_username": "cy@contoso.com"}, "cy@contoso.com"},
		{"name equals upn", map[string]any{"name": "dee@contoso.com",
			"upn": "dee@contoso.com"}, "dee@contoso.com"},
		{"managed identity", map[string]any{"oid": "22222222-bbbb", "appid": "app-1"},
			"object ID 22222222-bbbb"},
		{"service principal with a display name", map[string]any{"app_displayname": "deployer",
			"oid": "33333333-cccc"}, "deployer (object ID 33333333-cccc)"},
		{"application only", map[string]any{"appid": "44444444-dddd"},
			"application 44444444-dddd"},
		{"control characters cut", map[string]any{"upn": "eve@contoso.com\nforged line"},
			"eve@contoso.com"},
		{"blank claims skipped", map[string]any{"name": "  ", "upn": "",
			"oid": "55555555-eeee"}, "object ID 55555555-eeee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identityFromToken(unsignedJWT(t, tt.claims))
			if err != nil {
				t.Fatalf("identityFromToken: %v", err)
			}
			if got != tt.want {
				t.Errorf("identityFromToken = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIdentityFromBadTokensNeverEchoesThem(t *testing.T) {
	const secret = "c2VjcmV0LXRva2VuLXBhcnQ"
	tests := []struct {
		name, token, want string
	}{
		{"not a JWT", secret, "not a JWT"},
		{"payload not base64", "a." + secret + "!*.b", "not base64url"},
		{"payload not JSON", "a." + base64.RawURLEncoding.EncodeToString([]byte(secret)) + ".b",
			"not a JSON object"},
		{"no identity", "a." + base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"x"}`)) +
			".b", "names no user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := identityFromToken(tt.token)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q echoes the token", err)
			}
		})
	}
}

func TestWhoFromCredential(t *testing.T) {
	token := unsignedJWT(t, map[string]any{"name": "Ada", "upn": "ada@contoso.com"})
	credential := &jwtCredential{token: token}
	scope := "https://management.core.windows.net/.default"
	who, err := whoFromCredential(context.Background(), credential, scope)
	if err != nil || who != "Ada <ada@contoso.com>" {
		t.Errorf("whoFromCredential = %q, %v", who, err)
	}
	if len(credential.scopes) != 1 || credential.scopes[0] != scope {
		t.Errorf("asked for scopes %v, want [%s]", credential.scopes, scope)
	}

	failing := &jwtCredential{err: &SignInError{err: errors.New("no az login")}}
	_, err = whoFromCredential(context.Background(), failing, scope)
	var signIn *SignInError
	if !errors.As(err, &signIn) || !strings.Contains(err.Error(), "find who is signed in") {
		t.Errorf("err = %v, want a SignInError naming the lookup", err)
	}
}

func TestWhoAgainstLoopbackIsTheSimulator(t *testing.T) {
	client, err := NewClient(ClientOptions{SubscriptionID: armTestSubscription,
		ARMEndpoint: "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	who, err := client.Who(context.Background())
	if err != nil || who != SimulatorIdentity {
		t.Errorf("Who = %q, %v; want %q", who, err, SimulatorIdentity)
	}
}

func TestTokenScopeFollowsTheCloud(t *testing.T) {
	unsetTokenCredentialsChoice(t)
	tests := []struct {
		endpoint, want string
	}{
		{"https://management.azure.com", "https://management.core.windows.net/.default"},
		{"https://management.usgovcloudapi.net",
			"https://management.core.usgovcloudapi.net/.default"},
		{"https://management.chinacloudapi.cn",
			"https://management.core.chinacloudapi.cn/.default"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			client, err := NewClient(ClientOptions{SubscriptionID: armTestSubscription,
				ARMEndpoint: tt.endpoint})
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if got := client.tokenScope(); got != tt.want {
				t.Errorf("tokenScope = %q, want %q", got, tt.want)
			}
		})
	}
}
