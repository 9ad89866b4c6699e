package azure

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Whether the signed-in identity may change a scale set is asked of Resource Manager's
// permissions list rather than tried: the list is a read, so the check changes nothing.

// OpListPermissions names the permissions read, as the authorization SDK names it; the
// simulated subscription routes on this name.
const OpListPermissions = "PermissionsClient.NewListForResourceGroupPager"

// permissionsAPIVersion is the Microsoft.Authorization API version of the permissions list.
const permissionsAPIVersion = "2022-04-01"

// permission is one entry of the permissions list: what a role assignment allows.
type permission struct {
	Actions    []string `json:"actions"`
	NotActions []string `json:"notActions"`
}

// permissionSet is every entry that applies at one scope.
type permissionSet []permission

// allows tells whether some entry allows the action and does not exclude it.
func (ps permissionSet) allows(action string) bool {
	for _, p := range ps {
		if matchesAny(p.Actions, action) && !matchesAny(p.NotActions, action) {
			return true
		}
	}
	return false
}

// matchesAny matches an action against RBAC patterns, where "*" stands for any text and
// case does not matter.
func matchesAny(patterns []string, action string) bool {
	for _, pattern := range patterns {
		if wildcardMatch(strings.ToLower(pattern), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

func wildcardMatch(pattern, text string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == text
	}
	if !strings.HasPrefix(text, parts[0]) {
		return false
	}
	text = text[len(parts[0]):]
	for _, middle := range parts[1 : len(parts)-1] {
		i := strings.Index(text, middle)
		if i < 0 {
			return false
		}
		text = text[i+len(middle):]
	}
	return strings.HasSuffix(text, parts[len(parts)-1])
}

// permissions reads the permissions list of a scope such as
// "/subscriptions/S/resourceGroups/G". It reads one page: role assignments at one scope
// fit in it.
func (s *Setup) permissions(ctx context.Context, scope string) (permissionSet, error) {
	client, err := arm.NewClient("spotdeck/setup", "v1.0.0", s.access.credential, s.options)
	if err != nil {
		return nil, fmt.Errorf("prepare the permissions client: %w", err)
	}
	ctx = context.WithValue(ctx, runtime.CtxAPINameKey{}, OpListPermissions)
	endpoint := runtime.JoinPaths(s.endpoint.String(), scope,
		"/providers/Microsoft.Authorization/permissions")
	req, err := runtime.NewRequest(ctx, http.MethodGet, endpoint)
	if err != nil {
		return nil, fmt.Errorf("prepare the permissions request: %w", err)
	}
	query := req.Raw().URL.Query()
	query.Set("api-version", permissionsAPIVersion)
	req.Raw().URL.RawQuery = query.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		return nil, fmt.Errorf("read permissions on %s: %w", scope, err)
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return nil, runtime.NewResponseError(resp)
	}
	var page struct {
		Value []permission `json:"value"`
	}
	if err := runtime.UnmarshalAsJSON(resp, &page); err != nil {
		return nil, fmt.Errorf("read permissions on %s: %w", scope, err)
	}
	return permissionSet(page.Value), nil
}
