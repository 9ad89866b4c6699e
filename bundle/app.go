package bundle

import (
	"encoding/json"
	"path"
	"sort"
	"strings"
)

// maxConfigFile bounds the JSON files preflight reads whole (host.json, function.json,
// functions.metadata, worker.config.json): they are small, and a huge one is a mistake.
const maxConfigFile = 8 << 20

// checkHostJSON checks that the app's host.json is a JSON object and that a host ID set in
// it is not too long.
func checkHostJSON(app *source) []Finding {
	e, _ := app.lookup("host.json")
	where := app.where("host.json")
	data, err := readSmall(e.open, maxConfigFile)
	if err != nil {
		return []Finding{errorf(where, "make host.json a small JSON file",
			"host.json cannot be read: %v", err)}
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []Finding{errorf(where, "fix the JSON syntax of host.json",
			"host.json is not a JSON object: %v", err)}
	}
	if id, ok := doc["id"].(string); ok && len(id) > maxHostIDLen {
		return []Finding{warnf(where, "use at most 32 lower-case letters, digits and dashes",
			"host ID %q is longer than %d characters", id, maxHostIDLen)}
	}
	return nil
}

// functionNames returns the app's functions: the folders holding a function.json, and the
// names listed in functions.metadata (isolated worker apps).
func functionNames(app *source) ([]string, []Finding) {
	set := map[string]bool{}
	var findings []Finding
	for _, e := range app.entries {
		dir, file := path.Split(e.name)
		if file != "function.json" || strings.Count(dir, "/") != 1 {
			continue
		}
		if err := checkJSON(e); err != nil {
			// The host does not load a function whose function.json does not parse.
			findings = append(findings, errorf(app.where(e.name),
				"fix the JSON, or publish the app again", "%s is not valid JSON: %v", e.name,
				err))
			continue
		}
		set[strings.TrimSuffix(dir, "/")] = true
	}
	if e, ok := app.lookup("functions.metadata"); ok {
		names, err := metadataNames(e)
		if err != nil {
			findings = append(findings, warnf(app.where("functions.metadata"),
				"rebuild the app; the file should be a JSON array of functions",
				"functions.metadata cannot be read: %v", err))
		}
		for _, n := range names {
			set[n] = true
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, findings
}

// checkJSON reads a small JSON file of the app and tells whether it parses.
func checkJSON(e entry) error {
	data, err := readSmall(e.open, maxConfigFile)
	if err != nil {
		return err
	}
	var v any
	return json.Unmarshal(data, &v)
}

// metadataNames reads the function names of a functions.metadata file.
func metadataNames(e entry) ([]string, error) {
	data, err := readSmall(e.open, maxConfigFile)
	if err != nil {
		return nil, err
	}
	var fns []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &fns); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(fns))
	for _, f := range fns {
		if f.Name != "" {
			names = append(names, f.Name)
		}
	}
	return names, nil
}

// runtimeByExt maps a function's script file extension to its worker runtime.
var runtimeByExt = map[string]string{
	".dll": "dotnet", ".js": "node", ".mjs": "node", ".cjs": "node", ".py": "python",
	".ps1": "powershell", ".psm1": "powershell", ".jar": "java",
}

// runtimeByRootFile maps files at the top of an app to the runtime they betray, in order.
var runtimeByRootFile = []struct{ file, runtime string }{
	{"functions.metadata", "dotnet-isolated"},
	{"package.json", "node"},
	{"function_app.py", "python"},
	{"requirements.txt", "python"},
	{"requirements.psd1", "powershell"},
	{"profile.ps1", "powershell"},
}

// detectRuntime guesses the FUNCTIONS_WORKER_RUNTIME the app needs; "" when unsure.
func detectRuntime(app *source) string {
	if rt := workerConfigLanguage(app); rt != "" {
		return rt
	}
	if rt := scriptFileRuntime(app); rt != "" {
		return rt
	}
	for _, r := range runtimeByRootFile {
		if _, ok := app.lookup(r.file); ok {
			return r.runtime
		}
	}
	return ""
}

// workerConfigLanguage reads description.language from worker.config.json, which isolated
// .NET apps ship at their top.
func workerConfigLanguage(app *source) string {
	e, ok := app.lookup("worker.config.json")
	if !ok {
		return ""
	}
	data, err := readSmall(e.open, maxConfigFile)
	if err != nil {
		return ""
	}
	var cfg struct {
		Description struct {
			Language string `json:"language"`
		} `json:"description"`
	}
	if json.Unmarshal(data, &cfg) != nil {
		return ""
	}
	return strings.ToLower(cfg.Description.Language)
}

// scriptFileRuntime reads the scriptFile of the first function.json that names one.
func scriptFileRuntime(app *source) string {
	for _, e := range app.entries {
		dir, file := path.Split(e.name)
		if file != "function.json" || strings.Count(dir, "/") != 1 {
			continue
		}
		data, err := readSmall(e.open, maxConfigFile)
		if err != nil {
			continue
		}
		var fn struct {
			ScriptFile string `json:"scriptFile"`
		}
		if json.Unmarshal(data, &fn) != nil || fn.ScriptFile == "" {
			continue
		}
		if rt := runtimeByExt[strings.ToLower(path.Ext(fn.ScriptFile))]; rt != "" {
			return rt
		}
	}
	return ""
}
