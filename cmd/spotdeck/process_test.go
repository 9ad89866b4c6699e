package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// binary is the spotdeck command built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spotdeck-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "spotdeck")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build spotdeck:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var simLine = regexp.MustCompile(`--arm-endpoint (\S+) --subscription (\S+)`)

// startSim runs `spotdeck sim` as a process, with any extra flags, and returns the flags
// its first line gives.
func startSim(t *testing.T, speed string, extra ...string) (endpoint, subscription string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"sim", "--listen", "127.0.0.1:0", "--speed", speed}, extra...)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = isolatedEnv(t)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		m := simLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("sim's first line %q does not give the endpoint and subscription", line)
		}
		return m[1], m[2]
	case <-time.After(20 * time.Second):
		t.Fatal("sim printed no first line within 20s")
	}
	return "", ""
}

// isolatedEnv keeps the tests away from the developer's own config, state and Azure login.
func isolatedEnv(t *testing.T) []string {
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"PATH=" + os.Getenv("PATH"),
		"TERM=xterm-256color",
	}
	return env
}

// runSpotdeck runs the command to completion and returns stdout, stderr and the exit code.
func runSpotdeck(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = isolatedEnv(t)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("spotdeck %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}
