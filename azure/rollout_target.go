package azure

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

var _ RolloutTarget = (*Client)(nil)

// ReadScriptModel reads the scale set's model and its Custom Script Extension.
func (c *Client) ReadScriptModel(ctx context.Context, resourceGroup, scaleSet string) (
	ScriptModel, error) {
	operation := fmt.Sprintf("read scale set %s in resource group %s", scaleSet, resourceGroup)
	if err := checkScaleSetRef(resourceGroup, scaleSet); err != nil {
		return ScriptModel{}, fmt.Errorf("%s: %w: %w", operation, ErrInvalidAction, err)
	}
	resp, err := c.scaleSets.Get(ctx, resourceGroup, scaleSet, nil)
	if err != nil {
		return ScriptModel{}, markNotFound(describeFailure(operation,
			"resource group "+resourceGroup, err))
	}
	model := ScriptModel{ScaleSet: ScaleSetFromSDK(&resp.VirtualMachineScaleSet)}
	model.Script = scriptFromModel(&resp.VirtualMachineScaleSet)
	return model, nil
}

// scriptFromModel finds the Custom Script Extension of a scale-set model; nil when none.
func scriptFromModel(vmss *armcompute.VirtualMachineScaleSet) *ScriptExtension {
	if vmss.Properties == nil || vmss.Properties.VirtualMachineProfile == nil ||
		vmss.Properties.VirtualMachineProfile.ExtensionProfile == nil {
		return nil
	}
	for _, ext := range vmss.Properties.VirtualMachineProfile.ExtensionProfile.Extensions {
		if ext == nil || ext.Properties == nil {
			continue
		}
		props := ext.Properties
		if classifyExtension(stringOf(props.Publisher), stringOf(props.Type)) !=
			customScriptExtension {
			continue
		}
		return &ScriptExtension{Name: stringOf(ext.Name), Tag: stringOf(props.ForceUpdateTag),
			Settings:             settingsFrom(props.Settings),
			HasProtectedSettings: props.ProtectedSettings != nil}
	}
	return nil
}

// settingsFrom reads the extension's public settings, whatever shape they came in.
func settingsFrom(raw any) ScriptSettings {
	var s ScriptSettings
	fields, ok := raw.(map[string]any)
	if !ok {
		return s
	}
	for key, value := range fields {
		switch strings.ToLower(key) {
		case "fileuris":
			s.FileURIs = stringList(value)
		case "commandtoexecute":
			s.CommandToExecute, _ = value.(string)
		default:
			if s.Other == nil {
				s.Other = map[string]any{}
			}
			s.Other[key] = value
		}
	}
	return s
}

func stringList(value any) []string {
	items, _ := value.([]any)
	var out []string
	for _, item := range items {
		if text, ok := item.(string); ok {
			out = append(out, text)
		}
	}
	return out
}

// settingsMap is the settings object sent to Azure.
func (s ScriptSettings) settingsMap() map[string]any {
	out := map[string]any{}
	for k, v := range s.Other {
		out[k] = v
	}
	out["fileUris"] = s.FileURIs
	out["commandToExecute"] = s.CommandToExecute
	return out
}

// ApplyScript sends a PATCH of the extension holding only its public settings and its
// forceUpdateTag: the rest of the model, protected settings included, stays as it is.
func (c *Client) ApplyScript(ctx context.Context, resourceGroup, scaleSet string,
	ext ScriptExtension) error {
	update := armcompute.VirtualMachineScaleSetExtensionUpdate{
		Properties: &armcompute.VirtualMachineScaleSetExtensionProperties{
			ForceUpdateTag: to.Ptr(ext.Tag),
			Settings:       ext.Settings.settingsMap(),
		},
	}
	clients, err := c.rolloutClients()
	if err != nil {
		return err
	}
	poller, err := clients.extensions.BeginUpdate(ctx, resourceGroup, scaleSet, ext.Name,
		update, nil)
	if err = await(ctx, poller, err); err != nil {
		operation := fmt.Sprintf("update extension %s of scale set %s to %s", ext.Name,
			scaleSet, ext.Tag)
		return maskedError{err: describeFailure(operation, "resource group "+resourceGroup,
			err)}
	}
	return nil
}

// UpgradeInstances brings the named instances to the latest model in one request.
func (c *Client) UpgradeInstances(ctx context.Context, resourceGroup, scaleSet string,
	ids []string) error {
	required := armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs{
		InstanceIDs: to.SliceOfPtrs(ids...)}
	poller, err := c.scaleSets.BeginUpdateInstances(ctx, resourceGroup, scaleSet, required, nil)
	if err = await(ctx, poller, err); err != nil {
		operation := fmt.Sprintf("upgrade instances %s of scale set %s",
			strings.Join(ids, ", "), scaleSet)
		return describeFailure(operation, "resource group "+resourceGroup, err)
	}
	return nil
}

// StartExtensionUpgrade starts a rolling upgrade of the scale set's extensions. It returns
// once Azure accepted it; LatestRollingUpgrade follows it.
func (c *Client) StartExtensionUpgrade(ctx context.Context, resourceGroup,
	scaleSet string) error {
	clients, err := c.rolloutClients()
	if err != nil {
		return err
	}
	_, err = clients.rolling.BeginStartExtensionUpgrade(ctx, resourceGroup, scaleSet, nil)
	if err != nil {
		return describeFailure("start the extension rolling upgrade of scale set "+scaleSet,
			"resource group "+resourceGroup, err)
	}
	return nil
}

// LatestRollingUpgrade reads the progress of the scale set's latest rolling upgrade.
func (c *Client) LatestRollingUpgrade(ctx context.Context, resourceGroup, scaleSet string) (
	RollingProgress, error) {
	clients, err := c.rolloutClients()
	if err != nil {
		return RollingProgress{}, err
	}
	resp, err := clients.rolling.GetLatest(ctx, resourceGroup, scaleSet, nil)
	if err != nil {
		return RollingProgress{}, describeFailure("read the rolling upgrade of scale set "+
			scaleSet, "resource group "+resourceGroup, err)
	}
	return rollingFromSDK(resp.Properties), nil
}

// rollingFromSDK maps a rolling upgrade's status, nil-safe at every level.
func rollingFromSDK(props *armcompute.RollingUpgradeStatusInfoProperties) RollingProgress {
	var p RollingProgress
	if props == nil {
		return p
	}
	if props.RunningStatus != nil {
		p.Status = lowerOf(props.RunningStatus.Code)
	}
	if props.Progress != nil {
		p.Successful = int(valueOf(props.Progress.SuccessfulInstanceCount))
		p.Failed = int(valueOf(props.Progress.FailedInstanceCount))
		p.InProgress = int(valueOf(props.Progress.InProgressInstanceCount))
		p.Pending = int(valueOf(props.Progress.PendingInstanceCount))
	}
	if props.Error != nil {
		p.Error = clipLine(stringOf(props.Error.Message), maxMessageRunes)
	}
	return p
}

// rolloutSDK holds the clients only rollouts use.
type rolloutSDK struct {
	extensions *armcompute.VirtualMachineScaleSetExtensionsClient
	rolling    *armcompute.VirtualMachineScaleSetRollingUpgradesClient
}

// rolloutClients prepares the extension and rolling-upgrade clients with the same
// endpoint, credential and options as the reader.
func (c *Client) rolloutClients() (rolloutSDK, error) {
	factory, err := armcompute.NewClientFactory(c.subscriptionID, c.credential, c.armOptions)
	if err != nil {
		return rolloutSDK{}, fmt.Errorf("prepare the Azure compute client: %w", err)
	}
	return rolloutSDK{extensions: factory.NewVirtualMachineScaleSetExtensionsClient(),
		rolling: factory.NewVirtualMachineScaleSetRollingUpgradesClient()}, nil
}
