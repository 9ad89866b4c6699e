package main

import (
	"context"
	"os"
	"path/filepath"

	"spotdeck/azure"
	"spotdeck/bundle"
	"spotdeck/tui/bundles"
	"spotdeck/tui/rollouts"
)

// storageHelp tells an operator how to let the console upload bundles.
const storageHelp = "set storage.account (or storage.connectionString, or " +
	"SPOTDECK_STORAGE_CONNECTION_STRING) and storage.container in the config file"

// bundleDeps gives the bundle screen its defaults and, when storage is configured, its
// upload.
func (s settings) bundleDeps() bundles.Deps {
	b := s.cfg.Bundle
	deps := bundles.Deps{
		Defaults: bundle.Options{HostPath: b.HostPath, AppPath: b.AppPath, EnvPath: b.EnvPath,
			OS: b.OS, HealthPort: b.HealthPort, OutDir: b.OutDir,
			IdentityClientID: b.IdentityClientID},
		StorageHelp: storageHelp,
	}
	if deps.Defaults.OutDir == "" {
		deps.Defaults.OutDir = defaultBundleDir()
	}
	container := s.cfg.Storage.Container
	if !s.cfg.Storage.Configured() && os.Getenv("SPOTDECK_STORAGE_CONNECTION_STRING") == "" ||
		container == "" {
		return deps
	}
	storage, access := s.storageOptions(), b.Access
	deps.Upload = func(ctx context.Context, dir string,
		progress func(azure.UploadProgress)) (azure.UploadResult, error) {
		return azure.UploadBundle(ctx, storage, dir, container,
			azure.UploadOptions{Progress: progress, Access: access})
	}
	return deps
}

// defaultBundleDir is where built bundles go unless the config says otherwise.
func defaultBundleDir() string {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "spotdeck", "bundles")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "spotdeck", "bundles")
	}
	return "bundles"
}

// rolloutDeps gives the rollout screen its driver, when storage is configured.
func (s settings) rolloutDeps(client *azure.Client) rollouts.Deps {
	deps := rollouts.Deps{Help: storageHelp}
	store, err := s.rolloutStore("")
	if err != nil {
		deps.Help = err.Error()
		return deps
	}
	if store == nil {
		return deps
	}
	deps.Driver = azure.NewRolloutDriver(client, store, azure.RolloutDriverOptions{
		Container: s.cfg.Storage.Container, Access: s.cfg.Bundle.Access, Who: operatorName()})
	return deps
}
