package sim

import (
	"context"
	"net/http"
	"strings"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
)

// Extensions of a scale-set model: read one, and change one's settings and
// forceUpdateTag, which is how a rollout sends a new bundle without sending the model back.
// A change makes a new model generation (upgrades.go); instances apply it as their
// scale set's upgrade mode says.

// OpUpdateExtension is the PATCH of one extension of a scale-set model.
const OpUpdateExtension = extensionsClient + "BeginUpdate"

// extensionUpdateTakes is how long Azure takes to accept an extension change in the model.
const extensionUpdateTakes = 10 * time.Second

func (s *Sim) extensionsServer() fake.VirtualMachineScaleSetExtensionsServer {
	return fake.VirtualMachineScaleSetExtensionsServer{
		Get:         s.getExtension,
		BeginUpdate: s.beginUpdateExtension,
	}
}

func (s *Sim) getExtension(_ context.Context, resourceGroup, name, extName string,
	_ *armcompute.VirtualMachineScaleSetExtensionsClientGetOptions) (
	resp azfake.Responder[armcompute.VirtualMachineScaleSetExtensionsClientGetResponse],
	errResp azfake.ErrorResponder) {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, i, err := s.findExtension(resourceGroup, name, extName)
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	answer := armcompute.VirtualMachineScaleSetExtensionsClientGetResponse{
		VirtualMachineScaleSetExtension: *armModelExtensions(ss)[i],
	}
	resp.SetResponse(http.StatusOK, answer, nil)
	return resp, errResp
}

// beginUpdateExtension changes the public settings and the forceUpdateTag of one
// extension. Fields the request leaves out stay as they were, as with Azure's PATCH.
func (s *Sim) beginUpdateExtension(ctx context.Context, resourceGroup, name, extName string,
	update armcompute.VirtualMachineScaleSetExtensionUpdate,
	_ *armcompute.VirtualMachineScaleSetExtensionsClientBeginUpdateOptions) (
	resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetExtensionsClientUpdateResponse],
	errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, i, err := s.findExtension(resourceGroup, name, extName)
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	if s.updateExtension(ss, i, update.Properties) {
		s.changeModel(ss, now)
	}
	index := i
	s.beginOperation(ctx, OpUpdateExtension, now.Add(extensionUpdateTakes),
		func(time.Time) (any, *armError) { return armModelExtensions(ss)[index], nil })
	resp.AddNonTerminalResponse(http.StatusCreated, nil)
	return resp, errResp
}

// updateExtension applies the sent fields to the extension and tells whether anything
// changed. The extensions slice is replaced, so earlier model generations keep theirs.
// The caller holds s.mu.
func (s *Sim) updateExtension(ss *scaleSet, i int,
	props *armcompute.VirtualMachineScaleSetExtensionProperties) bool {
	if props == nil {
		return false
	}
	exts := append([]extension(nil), ss.extensions...)
	ext, changed := exts[i], false
	if props.Settings != nil {
		if settings, ok := props.Settings.(map[string]any); ok {
			ext.settings, changed = settings, true
		}
	}
	if tag := props.ForceUpdateTag; tag != nil && ext.isCustomScript() && *tag != ss.label {
		ss.label, changed = *tag, true
	}
	exts[i] = ext
	ss.extensions = exts
	return changed
}

// findExtension returns a scale set and the index of its named extension.
func (s *Sim) findExtension(resourceGroup, name, extName string) (*scaleSet, int, error) {
	ss, err := s.findScaleSet(resourceGroup, name)
	if err != nil {
		return nil, 0, err
	}
	for i, ext := range ss.extensions {
		if strings.EqualFold(ext.name, extName) {
			return ss, i, nil
		}
	}
	return nil, 0, notFound("Microsoft.Compute/virtualMachineScaleSets/"+ss.name+
		"/extensions/"+extName, resourceGroup)
}
