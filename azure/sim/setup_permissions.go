package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"spotdeck/azure"
)

// The Microsoft.Authorization provider, reduced to the permissions list: what the
// signed-in identity may do at a scope. The simulated identity is an Owner, less every
// action Deny took away, which the list reports as notActions, as a role with exclusions
// would.

func init() {
	group := subscriptionTemplate + "/resourceGroups/{resourceGroupName}"
	permissions := "/providers/Microsoft.Authorization/permissions"
	registerProvider(provider{
		name: "Microsoft.Authorization",
		routes: []route{
			newRoute(http.MethodGet, group+permissions, azure.OpListPermissions),
			newRoute(http.MethodGet, subscriptionTemplate+permissions, azure.OpListPermissions),
		},
		transport: func(s *Sim, _ *http.Request) azure.Transporter {
			return permissionsTransport{sim: s}
		},
	})
}

// permissionsTransport answers the permissions list from the denied actions.
type permissionsTransport struct {
	sim *Sim
}

// permissionEntry is one entry of the permissions list, as Azure shapes it.
type permissionEntry struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

// Do answers one permissions request.
func (t permissionsTransport) Do(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return badRequest("InvalidRequest", "the permissions list is read with GET").
			response(req), nil
	}
	denied := t.sim.deniedActions()
	if denied == nil {
		denied = []string{}
	}
	page := struct {
		Value []permissionEntry `json:"value"`
	}{Value: []permissionEntry{{Actions: []string{"*"}, NotActions: denied,
		DataActions: []string{"*"}, NotDataActions: []string{}}}}
	body, err := json.Marshal(page)
	if err != nil {
		return nil, fmt.Errorf("sim: render permissions: %w", err)
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json; charset=utf-8")
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1,
		ProtoMinor: 1, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}, nil
}
