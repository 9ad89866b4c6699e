package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// SimulatorIdentity is who the audit log names for changes sent to a loopback endpoint:
// the simulated subscription (or a test) has no signed-in identity.
const SimulatorIdentity = "simulator"

// maxIdentityRunes bounds a name taken from a token, which the audit log records.
const maxIdentityRunes = 120

// errNoIdentityClaim is returned when a token names nobody spotdeck can record.
var errNoIdentityClaim = errors.New("the access token names no user, application or " +
	"object ID")

// Who returns who is signed in, for the audit log: the user's name and sign-in name, or
// the object ID of a managed identity or service principal. It reads the claims of the
// Resource Manager access token the client would send, without checking its signature
// (Azure does that); the token itself is never logged or returned. Against a loopback
// endpoint it returns SimulatorIdentity.
func (c *Client) Who(ctx context.Context) (string, error) {
	if isLoopbackHost(c.endpoint.Hostname()) {
		return SimulatorIdentity, nil
	}
	return whoFromCredential(ctx, c.credential, c.tokenScope())
}

// tokenScope is the scope of a Resource Manager token for the client's cloud.
func (c *Client) tokenScope() string {
	audience := PublicARMEndpoint
	if c.armOptions != nil {
		service, ok := c.armOptions.Cloud.Services[cloud.ResourceManager]
		if ok && service.Audience != "" {
			audience = service.Audience
		}
	}
	return strings.TrimRight(audience, "/") + "/.default"
}

// whoFromCredential asks the credential for a token and names its holder.
func whoFromCredential(ctx context.Context, credential azcore.TokenCredential,
	scope string) (string, error) {
	token, err := credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return "", fmt.Errorf("find who is signed in: %w", err)
	}
	who, err := identityFromToken(token.Token)
	if err != nil {
		return "", fmt.Errorf("find who is signed in: %w", err)
	}
	return who, nil
}

// tokenClaims are the claims of an Entra ID access token that name its holder. v1 tokens
// carry upn and unique_name, v2 tokens preferred_username; managed identities and service
// principals carry only oid and appid.
type tokenClaims struct {
	Name              string `json:"name"`
	UPN               string `json:"upn"`
	UniqueName        string `json:"unique_name"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	AppDisplayName    string `json:"app_displayname"`
	ObjectID          string `json:"oid"`
	AppID             string `json:"appid"`
}

// identityFromToken decodes the payload of a JWT and names its holder. Errors describe
// the token's shape, never its content.
func identityFromToken(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("the access token is not a JWT (%d parts, want 3)", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", errors.New("the access token's payload is not base64url")
	}
	var claims tokenClaims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", errors.New("the access token's payload is not a JSON object")
	}
	return claims.identity()
}

// identity prefers "Display Name <sign-in name>", then either part with the object ID,
// then the object ID alone: a name is what an operator recognises, an ID is what stays
// unique.
func (c tokenClaims) identity() (string, error) {
	principal := clipLine(firstNonEmpty(c.UPN, c.UniqueName, c.PreferredUsername, c.Email),
		maxIdentityRunes)
	display := clipLine(firstNonEmpty(c.Name, c.AppDisplayName), maxIdentityRunes)
	objectID := clipLine(c.ObjectID, maxIdentityRunes)
	switch {
	case principal != "" && display != "" && display != principal:
		return display + " <" + principal + ">", nil
	case principal != "":
		return principal, nil
	case display != "" && objectID != "":
		return display + " (object ID " + objectID + ")", nil
	case objectID != "":
		return "object ID " + objectID, nil
	case display != "":
		return display, nil
	case c.AppID != "":
		return "application " + clipLine(c.AppID, maxIdentityRunes), nil
	}
	return "", errNoIdentityClaim
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
