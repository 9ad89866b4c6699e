package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Lists are paged the way ARM pages them: each page ends with a nextLink that repeats the
// request with a $skiptoken naming the last item served, and the next page starts after
// that item in the live model.
//
// The fake servers have paging of their own, but it keeps every pager, keyed by path
// alone, until its last page is read: a listing abandoned half-way would hand its
// remaining pages to the next listing of the same scale set. So each list request gets a
// fresh fake that answers exactly one page; the nextLink it carries is ours, which the
// fake leaves alone on the last (here the only) page of its sequence.

// skipTokenParam is the query parameter that carries the paging cursor.
const skipTokenParam = "$skiptoken"

// Short names for the list responses of the fake servers.
type (
	listAllResponse      = armcompute.VirtualMachineScaleSetsClientListAllResponse
	listAllOptions       = armcompute.VirtualMachineScaleSetsClientListAllOptions
	listResponse         = armcompute.VirtualMachineScaleSetsClientListResponse
	listOptions          = armcompute.VirtualMachineScaleSetsClientListOptions
	instanceListResponse = armcompute.VirtualMachineScaleSetVMsClientListResponse
	instanceListOptions  = armcompute.VirtualMachineScaleSetVMsClientListOptions
)

func (s *Sim) listAllPage(u *url.URL) (resp azfake.PagerResponder[listAllResponse]) {
	sets, next, err := s.scaleSetPage(u, "")
	if err != nil {
		resp.AddError(err)
		return resp
	}
	var page listAllResponse
	page.Value, page.NextLink = sets, next
	resp.AddPage(http.StatusOK, page, nil)
	return resp
}

func (s *Sim) listPage(u *url.URL, group string) (resp azfake.PagerResponder[listResponse]) {
	sets, next, err := s.scaleSetPage(u, group)
	if err != nil {
		resp.AddError(err)
		return resp
	}
	var page listResponse
	page.Value, page.NextLink = sets, next
	resp.AddPage(http.StatusOK, page, nil)
	return resp
}

// scaleSetPage returns the page of scale sets after the request's $skiptoken, and the
// link to the next page when there is one.
func (s *Sim) scaleSetPage(u *url.URL, resourceGroup string) (
	[]*armcompute.VirtualMachineScaleSet, *string, error) {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	if resourceGroup != "" && !s.hasResourceGroup(resourceGroup) {
		return nil, nil, resourceGroupNotFound(resourceGroup)
	}
	sets := s.scaleSetsIn(resourceGroup)
	after := strings.ToLower(u.Query().Get(skipTokenParam))
	first := sort.Search(len(sets), func(i int) bool {
		return strings.ToLower(sets[i].resourceID()) > after
	})
	last := min(first+s.pageSize, len(sets))
	value := make([]*armcompute.VirtualMachineScaleSet, 0, last-first)
	for _, ss := range sets[first:last] {
		value = append(value, armScaleSet(ss))
	}
	if last == len(sets) {
		return value, nil, nil
	}
	return value, nextLink(u, sets[last-1].resourceID()), nil
}

// listInstancesPage answers one page of a scale set's instances.
func (s *Sim) listInstancesPage(u *url.URL, group, name string,
	opts *instanceListOptions) (resp azfake.PagerResponder[instanceListResponse]) {
	vms, next, err := s.instancePage(u, group, name, wantsInstanceView(opts))
	if err != nil {
		resp.AddError(err)
		return resp
	}
	var page instanceListResponse
	page.Value, page.NextLink = vms, next
	resp.AddPage(http.StatusOK, page, nil)
	return resp
}

// instancePage returns the page of instances after the request's $skiptoken.
func (s *Sim) instancePage(u *url.URL, resourceGroup, name string, withView bool) (
	[]*armcompute.VirtualMachineScaleSetVM, *string, error) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, err := s.findScaleSet(resourceGroup, name)
	if err != nil {
		return nil, nil, err
	}
	after, err := instanceSkipToken(u)
	if err != nil {
		return nil, nil, err
	}
	first := sort.Search(len(ss.instances), func(i int) bool { return ss.instances[i].id > after })
	last := min(first+s.pageSize, len(ss.instances))
	value := make([]*armcompute.VirtualMachineScaleSetVM, 0, last-first)
	for _, in := range ss.instances[first:last] {
		value = append(value, armInstance(ss, in, now, withView))
	}
	if last == len(ss.instances) {
		return value, nil, nil
	}
	return value, nextLink(u, strconv.Itoa(ss.instances[last-1].id)), nil
}

// instanceSkipToken reads the instance ID a page starts after; -1 for the first page.
func instanceSkipToken(u *url.URL) (int, error) {
	token := u.Query().Get(skipTokenParam)
	if token == "" {
		return -1, nil
	}
	after, err := strconv.Atoi(token)
	if err != nil || after < 0 {
		return 0, badRequest("InvalidSkipToken", fmt.Sprintf("The %s '%s' is not one this "+
			"subscription issued; start the listing again without it.", skipTokenParam, token))
	}
	return after, nil
}

// nextLink returns the request's URL with the cursor set to after. The URL is absolute,
// as the SDK follows it verbatim.
func nextLink(u *url.URL, after string) *string {
	next := *u
	query := next.Query()
	query.Set(skipTokenParam, after)
	next.RawQuery = query.Encode()
	return to.Ptr(next.String())
}

// wantsInstanceView tells whether a list asked for $expand=instanceView.
func wantsInstanceView(opts *instanceListOptions) bool {
	if opts == nil || opts.Expand == nil {
		return false
	}
	for _, part := range strings.Split(*opts.Expand, ",") {
		if strings.EqualFold(strings.TrimSpace(part), "instanceView") {
			return true
		}
	}
	return false
}
