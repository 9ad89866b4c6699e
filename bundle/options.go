package bundle

import (
	"fmt"
	"regexp"
)

// Target operating systems of a bundle.
const (
	OSLinux   = "linux"
	OSWindows = "windows"
)

// DefaultHealthPort is the local port the host listens on when Options.HealthPort is zero.
const DefaultHealthPort = 8080

// Names of the files of a built bundle.
const (
	HostZipName       = "host.zip"
	AppZipName        = "app.zip"
	EnvFileName       = "app.env"
	ManifestName      = "manifest.json"
	LinuxScriptName   = "install.sh"
	WindowsScriptName = "install.ps1"
)

// WebHostDLL is the file that marks the folder of a published azure-functions-host.
const WebHostDLL = "Microsoft.Azure.WebJobs.Script.WebHost.dll"

// maxLabelLen keeps a label usable as a blob folder, a Windows path part and a
// forceUpdateTag.
const maxLabelLen = 63

// labelPattern is deliberately narrow: labels are pasted into shell and PowerShell scripts
// and into blob names, so they must need no quoting anywhere.
var labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// clientIDPattern is a GUID, the form of a managed identity's client ID.
var clientIDPattern = regexp.MustCompile(
	`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Options says what to put in a bundle and where to write it.
type Options struct {
	// HostPath is a folder or a zip of the published azure-functions-host.
	HostPath string
	// AppPath is a folder or a zip of a published function app.
	AppPath string
	// EnvPath is a file of KEY=VALUE app settings.
	EnvPath string
	// OS is OSLinux or OSWindows: which install script the bundle carries.
	OS string
	// Label names the bundle; empty means one derived from the content.
	Label string
	// HealthPort is the local port of the host; zero means DefaultHealthPort.
	HealthPort int
	// OutDir is the folder that receives <label>/. Build needs it; Preflight does not.
	OutDir string
	// IdentityClientID is the client ID of a user-assigned managed identity that the host
	// uses for AzureWebJobsStorage; empty means none (system-assigned or keys).
	IdentityClientID string
	// Progress, when set, is called from Build's own goroutine, never concurrently.
	Progress func(Progress)
}

// Progress reports how far Build has come.
type Progress struct {
	// Stage is what Build is doing: one of the Stage constants.
	Stage string
	// Done and Total count input bytes over the whole build.
	Done, Total int64
}

// Stages reported through Progress.
const (
	StageCheck   = "check"
	StageHost    = HostZipName
	StageApp     = AppZipName
	StageFinish  = "finish"
	StageWritten = "written"
)

// port returns the health port to use.
func (o Options) port() int {
	if o.HealthPort == 0 {
		return DefaultHealthPort
	}
	return o.HealthPort
}

// report calls the progress callback when there is one.
func (o Options) report(p Progress) {
	if o.Progress != nil {
		o.Progress(p)
	}
}

// validate checks the options that need no file system access.
func (o Options) validate() error {
	if o.HostPath == "" {
		return fmt.Errorf("%w: no host given: pass --host with the folder or zip "+
			"holding %s", ErrOptions, WebHostDLL)
	}
	if o.AppPath == "" {
		return fmt.Errorf("%w: no app given: pass --app with the published function "+
			"app folder or zip", ErrOptions)
	}
	if o.EnvPath == "" {
		return fmt.Errorf("%w: no env file given: pass --env with a KEY=VALUE file",
			ErrOptions)
	}
	if o.OS == "" {
		return fmt.Errorf("%w: no target OS given: pass --os %s or --os %s (the OS of "+
			"the scale set's instances)", ErrOptions, OSLinux, OSWindows)
	}
	if o.OS != OSLinux && o.OS != OSWindows {
		return fmt.Errorf("%w: OS %q is not supported: use %q or %q",
			ErrOptions, o.OS, OSLinux, OSWindows)
	}
	if o.HealthPort < 0 || o.HealthPort > 65535 {
		return fmt.Errorf("%w: health port %d is out of range: use 1 to 65535",
			ErrOptions, o.HealthPort)
	}
	if o.IdentityClientID != "" && !clientIDPattern.MatchString(o.IdentityClientID) {
		return fmt.Errorf("%w: identity client ID is not a GUID: pass the clientId of "+
			"the user-assigned identity (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", ErrOptions)
	}
	if o.Label != "" {
		return ValidateLabel(o.Label)
	}
	return nil
}

// ValidateLabel tells whether label can name a bundle: letters, digits, '.', '_' and '-',
// starting with a letter or digit, at most 63 characters.
func ValidateLabel(label string) error {
	if len(label) > maxLabelLen || !labelPattern.MatchString(label) {
		return fmt.Errorf("%w: label %q is not usable: use up to %d letters, digits, "+
			"'.', '_' or '-', starting with a letter or digit", ErrOptions, label, maxLabelLen)
	}
	return nil
}

// scriptName returns the install script's file name for the target OS.
func (o Options) scriptName() string {
	if o.OS == OSWindows {
		return WindowsScriptName
	}
	return LinuxScriptName
}
