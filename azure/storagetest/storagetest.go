// Package storagetest gives tests the storage emulator to run against.
package storagetest

import (
	"os"
	"testing"
)

// EnvVar names the variable that scripts/test.sh sets to the running Azurite's full
// connection string.
const EnvVar = "SPOTDECK_TEST_STORAGE"

// ConnectionString returns the connection string of the test storage emulator. Without one
// the test is skipped, except in CI (CI=true), where a missing emulator must fail the run
// rather than pass it silently.
func ConnectionString(t testing.TB) string {
	t.Helper()
	conn := os.Getenv(EnvVar)
	if conn != "" {
		return conn
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set in CI: run the tests through scripts/test.sh", EnvVar)
	}
	t.Skipf("%s is not set: start Azurite: run scripts/test.sh", EnvVar)
	return ""
}
