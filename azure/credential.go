package azure

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// PublicARMEndpoint is the Resource Manager endpoint of the Azure public cloud, used when
// no endpoint is configured.
const PublicARMEndpoint = "https://management.azure.com"

// loopbackAudience is the token audience asked of the static credential. Nothing checks
// it; it only keeps the SDK's cloud configuration complete.
const loopbackAudience = "https://management.core.windows.net/"

// armClouds maps each Azure Resource Manager host to its cloud, whose configuration gives
// the sign-in authority and the token audience for that host.
var armClouds = map[string]cloud.Configuration{
	"management.azure.com":         cloud.AzurePublic,
	"management.usgovcloudapi.net": cloud.AzureGovernment,
	"management.chinacloudapi.cn":  cloud.AzureChina,
}

// ErrUntrustedEndpoint is returned for an ARM endpoint that is neither an Azure Resource
// Manager host nor a loopback address: Azure credentials are never sent there.
var ErrUntrustedEndpoint = errors.New("azure: untrusted ARM endpoint")

// userInfoPattern finds the user information of a URL, which may hold a password.
var userInfoPattern = regexp.MustCompile(`(://)[^/@]*@`)

// armAccess is how to reach one ARM endpoint: the credential, the cloud configuration,
// and whether plain HTTP may carry the credential.
type armAccess struct {
	credential azcore.TokenCredential
	cloud      cloud.Configuration
	allowHTTP  bool
}

// parseEndpoint checks a configured ARM endpoint and returns it reduced to scheme and
// host. An empty endpoint means the Azure public cloud.
func parseEndpoint(raw string) (*url.URL, error) {
	text := strings.TrimSpace(raw)
	if text == "" {
		text = PublicARMEndpoint
	}
	fix := "give a base URL such as " + PublicARMEndpoint + " or http://127.0.0.1:8080"
	shown := userInfoPattern.ReplaceAllString(raw, "${1}REDACTED@")
	u, err := url.Parse(text)
	if err != nil {
		var parseErr *url.Error
		if errors.As(err, &parseErr) {
			err = parseErr.Err // the url.Error repeats the URL, password included
		}
		return nil, fmt.Errorf("ARM endpoint %q is not a valid URL: %v; %s", shown, err, fix)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return nil, fmt.Errorf("ARM endpoint %q must start with https:// or http://; %s",
			shown, fix)
	case u.Hostname() == "":
		return nil, fmt.Errorf("ARM endpoint %q has no host; %s", shown, fix)
	case u.User != nil:
		// Not echoed: the user information may hold a password.
		return nil, fmt.Errorf("ARM endpoint must not carry a user name or password; %s", fix)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("ARM endpoint %q must have no path or query; %s", shown, fix)
	}
	return &url.URL{Scheme: scheme, Host: strings.ToLower(u.Host)}, nil
}

// accessFor chooses the credential for an endpoint, so that a token for Azure is never
// sent anywhere but Azure: loopback endpoints (the simulated subscription, tests) get a
// static fake token; Azure Resource Manager hosts get DefaultAzureCredential; any other
// host is refused.
func accessFor(endpoint *url.URL) (armAccess, error) {
	host := endpoint.Hostname()
	if isLoopbackHost(host) {
		return loopbackAccess(endpoint), nil
	}
	azureCloud, known := armClouds[host]
	if !known {
		return armAccess{}, fmt.Errorf("%w: refusing to send Azure credentials to %q, which is "+
			"neither an Azure Resource Manager host (%s) nor a loopback address",
			ErrUntrustedEndpoint, endpoint.Host, knownARMHosts())
	}
	if endpoint.Scheme != "https" {
		return armAccess{}, fmt.Errorf("%w: %s must be reached over https, not %s",
			ErrUntrustedEndpoint, host, endpoint.Scheme)
	}
	if port := endpoint.Port(); port != "" && port != "443" {
		return armAccess{}, fmt.Errorf("%w: %s serves Resource Manager on port 443, not %s",
			ErrUntrustedEndpoint, host, port)
	}
	credential, err := newAzureCredential(azureCloud)
	if err != nil {
		return armAccess{}, err
	}
	return armAccess{credential: credential, cloud: azureCloud}, nil
}

// isLoopbackHost tells whether a host names this machine: "localhost" or a loopback IP
// (127.0.0.0/8, ::1). Names are not resolved, so DNS cannot turn a host into loopback.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackAccess gives the static fake credential for an endpoint on this machine; plain
// HTTP is allowed because the fake token is worthless and never leaves the machine.
func loopbackAccess(endpoint *url.URL) armAccess {
	local := cloud.Configuration{
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint.String(), Audience: loopbackAudience},
		},
	}
	return armAccess{
		credential: &azfake.TokenCredential{},
		cloud:      local,
		allowHTTP:  endpoint.Scheme == "http",
	}
}

// knownARMHosts lists the Azure Resource Manager hosts for error messages.
func knownARMHosts() string {
	hosts := make([]string, 0, len(armClouds))
	for host := range armClouds {
		hosts = append(hosts, host)
	}
	sort.Strings(hosts)
	return strings.Join(hosts, ", ")
}

// newAzureCredential creates DefaultAzureCredential for one cloud. Creating it reads the
// environment only; the first token request is what signs in.
func newAzureCredential(azureCloud cloud.Configuration) (azcore.TokenCredential, error) {
	options := &azidentity.DefaultAzureCredentialOptions{
		ClientOptions: azcore.ClientOptions{Cloud: azureCloud},
	}
	credential, err := azidentity.NewDefaultAzureCredential(options)
	if err != nil {
		return nil, &SignInError{err: err}
	}
	return signInCredential{inner: credential}, nil
}

// SignInError is a failure to get an Azure token. Its message leads with the fix, because
// the chained credential's own message lists every method it tried and buries it.
type SignInError struct {
	err error
}

// Error returns the fix followed by the credential's own explanation.
func (e *SignInError) Error() string {
	return "not signed in to Azure: run `az login` (or configure a managed identity or " +
		"the AZURE_CLIENT_ID/AZURE_TENANT_ID environment variables); details: " + e.err.Error()
}

// Unwrap returns the credential's error.
func (e *SignInError) Unwrap() error {
	return e.err
}

// signInCredential marks token failures as sign-in errors, so callers can tell "sign in"
// apart from an Azure refusal.
type signInCredential struct {
	inner azcore.TokenCredential
}

// GetToken asks the wrapped credential for a token.
func (c signInCredential) GetToken(ctx context.Context,
	options policy.TokenRequestOptions) (azcore.AccessToken, error) {
	token, err := c.inner.GetToken(ctx, options)
	if err == nil || ctx.Err() != nil {
		// A cancelled refresh is not a sign-in problem; "run az login" would mislead.
		return token, err
	}
	return token, &SignInError{err: err}
}

// hostGuard refuses any request to another scheme or host than the configured endpoint.
// Pagers follow the nextLink the service returns; this keeps a token from following a
// link elsewhere.
type hostGuard struct {
	endpoint *url.URL
}

// Do passes the request on when it goes to the configured endpoint.
func (g hostGuard) Do(req *policy.Request) (*http.Response, error) {
	target := req.Raw().URL
	if !sameOrigin(target, g.endpoint) {
		return nil, fmt.Errorf("%w: refusing a request to %s://%s, the configured endpoint "+
			"is %s", ErrUntrustedEndpoint, target.Scheme, target.Host, g.endpoint)
	}
	return req.Next()
}

// sameOrigin compares scheme, host name and port, filling in the scheme's default port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return port
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}
