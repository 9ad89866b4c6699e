package bundle

import "errors"

// Sentinel errors; callers test for them with errors.Is.
var (
	// ErrOptions marks options that cannot work, before any file is read.
	ErrOptions = errors.New("bundle: bad options")
	// ErrPreflight marks a build refused because preflight found errors.
	ErrPreflight = errors.New("bundle: preflight found errors")
	// ErrLabelTaken marks an output folder that already holds a different bundle.
	ErrLabelTaken = errors.New("bundle: label already used by a different bundle")
	// ErrManifest marks a manifest that cannot be read or does not match its files.
	ErrManifest = errors.New("bundle: bad manifest")
)
