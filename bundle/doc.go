// Package bundle builds, checks and describes a deployment bundle: the Azure Functions host,
// the function app, an env file of app settings and the install script that the Custom Script
// Extension runs on every instance of a scale set. It knows nothing of Azure; uploading a built
// bundle is the azure package's job.
//
// Env values are secrets: nothing in this package prints them, logs them or puts them in the
// manifest. Only app.env, written with mode 0600, holds them.
//
// The flow is Preflight (optional, read-only), then Build, which runs the same checks and
// refuses to write anything when they find an error. ReadManifest and Manifest.Verify read a
// built bundle back, for the upload.
package bundle
