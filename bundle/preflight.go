package bundle

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Settings the install script writes itself; a value for them in the env file is ignored.
var scriptOwnedKeys = []string{"AzureWebJobsScriptRoot", "ASPNETCORE_URLS", "WEBSITE_HOSTNAME"}

// maxHostIDLen is the longest host ID the Functions host accepts without truncating, and
// truncated IDs collide between apps that share a storage account.
const maxHostIDLen = 32

// inspection is what preflight learned about the inputs; Build reuses it.
type inspection struct {
	opts        Options
	host, app   *source
	env         []EnvVar
	hostVersion string
	functions   []string
	findings    []Finding
}

// close releases the zips behind the sources.
func (in *inspection) close() error {
	return errors.Join(in.host.Close(), in.app.Close())
}

// Preflight checks the inputs named by opts and returns what it found, errors first. It
// writes nothing. The error is for options or inputs that cannot be read at all.
func Preflight(opts Options) ([]Finding, error) {
	in, err := inspect(opts)
	if err != nil {
		return nil, err
	}
	defer in.close()
	return in.findings, nil
}

// inspect opens and checks every input.
func inspect(opts Options) (*inspection, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	in := &inspection{opts: opts}
	var err error
	if in.host, err = in.openInput("host", opts.HostPath); err != nil {
		return nil, err
	}
	if in.app, err = in.openInput("app", opts.AppPath); err != nil {
		in.host.Close()
		return nil, err
	}
	if err := in.readEnv(); err != nil {
		in.close()
		return nil, err
	}
	in.checkHost()
	in.checkApp()
	in.checkSettings()
	in.sortFindings()
	return in, nil
}

// openInput lists one input and keeps its findings.
func (in *inspection) openInput(role, p string) (*source, error) {
	src, findings, err := openSource(role, p)
	if err != nil {
		return nil, err
	}
	in.findings = append(in.findings, findings...)
	if in.opts.OS == OSWindows {
		in.findings = append(in.findings, caseClashes(src)...)
	}
	return src, nil
}

// readEnv parses the env file.
func (in *inspection) readEnv() error {
	f, err := os.Open(in.opts.EnvPath)
	if err != nil {
		return fmt.Errorf("open env file: %w (fix: pass --env an existing KEY=VALUE file)",
			err)
	}
	defer f.Close()
	vars, findings, err := ParseEnv(f, in.opts.EnvPath)
	if err != nil {
		return err
	}
	in.env = vars
	in.findings = append(in.findings, findings...)
	return nil
}

// checkHost looks for the WebHost dll, reads the host version and checks the workers folder.
func (in *inspection) checkHost() {
	if !in.host.rootAt(WebHostDLL) {
		fix := "pass the publish output of azure-functions-host, the folder holding " +
			WebHostDLL
		if deeper := in.host.find(WebHostDLL); deeper != "" {
			fix = "pass the folder that holds it: it is at " + deeper + " in " + in.host.input
		}
		in.findings = append(in.findings, errorf(in.host.input, fix,
			"no %s at the top of the host", WebHostDLL))
		return
	}
	in.hostVersion = hostVersion(in.host)
	runtime, _ := envKeyVar(in.env, "FUNCTIONS_WORKER_RUNTIME")
	isolated := strings.EqualFold(runtime.Value, "dotnet-isolated")
	if !hasEntriesUnder(in.host, "workers/") && !isolated {
		in.findings = append(in.findings, warnf(in.host.where("workers/"),
			"publish the host with its language workers unless the app is .NET isolated",
			"no workers in the host: the install script will create an empty workers folder"))
	}
}

// hasEntriesUnder tells whether any entry lies below the folder prefix.
func hasEntriesUnder(src *source, prefix string) bool {
	for _, e := range src.entries {
		if strings.HasPrefix(e.name, prefix) && e.name != prefix {
			return true
		}
	}
	return false
}

// checkApp checks host.json and collects the function names.
func (in *inspection) checkApp() {
	if !in.app.rootAt("host.json") {
		fix := "pass the publish output of the function app, the folder holding host.json"
		if deeper := in.app.find("host.json"); deeper != "" {
			fix = "pass the folder that holds it: it is at " + deeper + " in " + in.app.input
		}
		in.findings = append(in.findings, errorf(in.app.input, fix,
			"no host.json at the top of the app"))
		return
	}
	in.findings = append(in.findings, checkHostJSON(in.app)...)
	names, findings := functionNames(in.app)
	in.functions = names
	in.findings = append(in.findings, findings...)
	if len(names) == 0 {
		in.findings = append(in.findings, warnf(in.app.input,
			"check that --app is the publish output: function folders with function.json, "+
				"or functions.metadata", "no functions found in the app"))
	}
}

// checkSettings checks the env file against the app.
func (in *inspection) checkSettings() {
	in.checkWorkerRuntime()
	in.checkHostID()
	for _, key := range scriptOwnedKeys {
		if v, ok := envKeyVar(in.env, key); ok {
			in.findings = append(in.findings, warnf(lineRef(in.opts.EnvPath, v.Line),
				"remove it from the env file", "%s is set by the install script; "+
					"this value is ignored", key))
		}
	}
	if in.opts.IdentityClientID == "" {
		return
	}
	if v, ok := envKeyVar(in.env, "AzureWebJobsStorage__clientId"); ok {
		in.findings = append(in.findings, warnf(lineRef(in.opts.EnvPath, v.Line),
			"remove it from the env file or drop the identity option",
			"AzureWebJobsStorage__clientId is also given as the identity client ID; "+
				"the identity option wins"))
	}
}

// checkWorkerRuntime compares FUNCTIONS_WORKER_RUNTIME with what the app looks like.
func (in *inspection) checkWorkerRuntime() {
	want := detectRuntime(in.app)
	v, ok := envKeyVar(in.env, "FUNCTIONS_WORKER_RUNTIME")
	if !ok {
		fix := "add FUNCTIONS_WORKER_RUNTIME=<dotnet-isolated|node|python|java|powershell>"
		if want != "" {
			fix = "add FUNCTIONS_WORKER_RUNTIME=" + want
		}
		in.findings = append(in.findings, warnf(in.opts.EnvPath, fix,
			"FUNCTIONS_WORKER_RUNTIME is not set"))
		return
	}
	if want != "" && !strings.EqualFold(strings.TrimSpace(v.Value), want) {
		in.findings = append(in.findings, warnf(lineRef(in.opts.EnvPath, v.Line),
			"set FUNCTIONS_WORKER_RUNTIME="+want,
			"FUNCTIONS_WORKER_RUNTIME does not match the app, which looks like %s", want))
	}
}

// checkHostID warns about host IDs that the host would truncate.
func (in *inspection) checkHostID() {
	for _, key := range []string{"AzureFunctionsWebHost__hostid", "WEBSITE_SITE_NAME"} {
		v, ok := envKeyVar(in.env, key)
		if ok && len(v.Value) > maxHostIDLen {
			in.findings = append(in.findings, warnf(lineRef(in.opts.EnvPath, v.Line),
				"use at most 32 lower-case letters, digits and dashes, unique per storage "+
					"account", "%s is longer than %d characters: the host ID gets truncated "+
					"and may collide with another app's", key, maxHostIDLen))
		}
	}
}

// caseClashes finds paths that differ only in case: extracting them on Windows keeps one.
func caseClashes(src *source) []Finding {
	seen := make(map[string]string, len(src.entries))
	var out []Finding
	for _, e := range src.entries {
		lower := strings.ToLower(e.name)
		if first, dup := seen[lower]; dup {
			out = append(out, errorf(src.where(e.name), "rename one of them",
				"differs from %s only in letter case: Windows keeps one of them", first))
			continue
		}
		seen[lower] = e.name
	}
	return out
}

// sortFindings puts errors first and keeps the order of discovery otherwise.
func (in *inspection) sortFindings() {
	errs := make([]Finding, 0, len(in.findings))
	var warns []Finding
	for _, f := range in.findings {
		if f.Severity == Error {
			errs = append(errs, f)
		} else {
			warns = append(warns, f)
		}
	}
	in.findings = append(errs, warns...)
}
