package main

import (
	"fmt"
	"os"
	"path/filepath"

	"spotdeck/bundle"
)

// sampleFiles are the smallest host build, function app and app settings a bundle
// accepts: enough for the demo's bundle form to build something real.
var sampleFiles = map[string]string{
	"host/Microsoft.Azure.WebJobs.Script.WebHost.dll": "sample host build\n",
	"host/workers/dotnet-isolated/worker.config.json": "{}\n",
	"app/host.json":                  "{\"version\": \"2.0\"}\n",
	"app/ProcessOrder/function.json": "{\"bindings\": []}\n",
	"app/functions.metadata":         "[]\n",
	"app.env": "FUNCTIONS_WORKER_RUNTIME=dotnet-isolated\n" +
		"AzureWebJobsStorage__accountName=demostorage\n",
}

// writeDemoSample lays the sample out under dir and returns bundle options for it. The
// sample is built for Windows, so that it rolls out to vmss-func-win, the Manual-mode scale
// set whose batches the rollout screen shows one by one.
func writeDemoSample(dir string) (bundle.Options, error) {
	for name, body := range sampleFiles {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return bundle.Options{}, fmt.Errorf("write demo sample: %w", err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return bundle.Options{}, fmt.Errorf("write demo sample: %w", err)
		}
	}
	return bundle.Options{HostPath: filepath.Join(dir, "host"),
		AppPath: filepath.Join(dir, "app"), EnvPath: filepath.Join(dir, "app.env"),
		OS: bundle.OSWindows, OutDir: filepath.Join(dir, "bundles")}, nil
}
