package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stubDotnet answers --list-runtimes like an image with the ASP.NET Core runtime.
const stubDotnet = `#!/bin/sh
if [ "$1" = "--list-runtimes" ]; then
  echo "Microsoft.NETCore.App 8.0.11 [/usr/share/dotnet/shared/Microsoft.NETCore.App]"
  echo "Microsoft.AspNetCore.App 8.0.11 [/usr/share/dotnet/shared/Microsoft.AspNetCore.App]"
fi
`

// stubDotnetNoASP answers like an image with the base runtime only.
const stubDotnetNoASP = `#!/bin/sh
echo "Microsoft.NETCore.App 8.0.11 [/usr/share/dotnet/shared/Microsoft.NETCore.App]"
`

// stubSystemctl records its calls and, for stop, where current pointed at that moment.
const stubSystemctl = `#!/bin/sh
echo "$*" >> "$SPOTDECK_ROOT/systemctl.calls"
if [ "$1" = "stop" ]; then
  echo "stopped while current=$(readlink "$SPOTDECK_ROOT/opt/spotdeck/current")" \
    >> "$SPOTDECK_ROOT/systemctl.calls"
fi
exit 0
`

// installer runs built install.sh scripts against a temporary root.
type installer struct {
	t       *testing.T
	root    string
	bin     string
	service bool
}

// newInstaller prepares a root and a folder of stand-in commands.
func newInstaller(t *testing.T, dotnet string) *installer {
	t.Helper()
	for _, tool := range []string{"bash", "sha256sum", "unzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the Linux install script cannot run here", tool)
		}
	}
	in := &installer{t: t, root: t.TempDir(), bin: t.TempDir()}
	in.stub("dotnet", dotnet)
	return in
}

// stub writes an executable stand-in command.
func (in *installer) stub(name, body string) {
	in.t.Helper()
	if err := os.WriteFile(filepath.Join(in.bin, name), []byte(body), 0o755); err != nil {
		in.t.Fatal(err)
	}
}

// run runs the install script of the bundle in dir and returns its output and exit code.
func (in *installer) run(dir string, env ...string) (string, int) {
	in.t.Helper()
	cmd := exec.Command("bash", filepath.Join(dir, LinuxScriptName))
	cmd.Env = append([]string{
		"PATH=" + in.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"SPOTDECK_ROOT=" + in.root,
	}, env...)
	if !in.service {
		cmd.Env = append(cmd.Env, "SPOTDECK_NO_SERVICE=1")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return string(out), exit.ExitCode()
		}
		in.t.Fatalf("run install.sh: %v", err)
	}
	return string(out), 0
}

// mustRun runs the script and fails the test unless it succeeds.
func (in *installer) mustRun(dir string, env ...string) string {
	in.t.Helper()
	out, code := in.run(dir, env...)
	if code != 0 {
		in.t.Fatalf("install.sh exited %d:\n%s", code, out)
	}
	return out
}

// path returns a path under the root.
func (in *installer) path(rel string) string {
	return filepath.Join(in.root, filepath.FromSlash(rel))
}

// link returns the label a pointer (current, previous) names, "" when absent.
func (in *installer) link(name string) string {
	target, err := os.Readlink(in.path("opt/spotdeck/" + name))
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

// read returns a file under the root.
func (in *installer) read(rel string) string {
	in.t.Helper()
	data, err := os.ReadFile(in.path(rel))
	if err != nil {
		in.t.Fatal(err)
	}
	return string(data)
}

// linuxBundle builds a Linux bundle whose host has no workers folder and whose env file
// holds values that need quoting; appVersion makes the app, hence the label, differ.
func linuxBundle(t *testing.T, appVersion string, change func(*Options)) *Result {
	t.Helper()
	opts := fixture(t)
	files := hostFiles()
	delete(files, "workers/node/worker.config.json")
	opts.HostPath = withFiles(t, files)
	app := appFiles()
	app["bin/App.dll"] = "app build " + appVersion
	opts.AppPath = withFiles(t, app)
	opts.EnvPath = withEnv(t, testEnv+"QUOTED=it's \"$HOME\" `x` \\n\nASPNETCORE_URLS=ignored\n")
	if change != nil {
		change(&opts)
	}
	return mustBuild(t, opts)
}

func TestLinuxScriptInstallsAndRollsBack(t *testing.T) {
	in := newInstaller(t, stubDotnet)
	first := linuxBundle(t, "1", nil)
	l1 := first.Manifest.Label
	in.mustRun(first.Dir)

	t.Run("unpacks under the label", func(t *testing.T) {
		for _, p := range []string{"host/" + WebHostDLL, "app/host.json", "app/bin/App.dll",
			".complete"} {
			if _, err := os.Stat(in.path("opt/spotdeck/labels/" + l1 + "/" + p)); err != nil {
				t.Errorf("%s not unpacked: %v", p, err)
			}
		}
		if in.link("current") != l1 || in.link("previous") != "" {
			t.Errorf("current=%q previous=%q, want %q and none", in.link("current"),
				in.link("previous"), l1)
		}
	})
	t.Run("creates the workers folder", func(t *testing.T) {
		info, err := os.Stat(in.path("opt/spotdeck/labels/" + l1 + "/host/workers"))
		if err != nil || !info.IsDir() {
			t.Errorf("workers folder missing: %v", err)
		}
	})
	t.Run("writes the host env", func(t *testing.T) {
		checkHostEnv(t, in, l1)
	})
	t.Run("writes the systemd unit", func(t *testing.T) {
		unit := in.read("etc/systemd/system/spotdeck-host.service")
		base := in.path("opt/spotdeck/current")
		for _, want := range []string{
			"ExecStart=" + filepath.Join(in.bin, "dotnet") + " " + base + "/host/" + WebHostDLL,
			"EnvironmentFile=" + base + "/host.env",
			"WorkingDirectory=" + base + "/host",
			"Restart=always",
			"WantedBy=multi-user.target",
		} {
			if !strings.Contains(unit, want) {
				t.Errorf("unit lacks %q:\n%s", want, unit)
			}
		}
	})
	t.Run("logs to a file without secrets", func(t *testing.T) {
		log := in.read("var/log/spotdeck/install.log")
		if !strings.Contains(log, "installed bundle "+l1) || strings.Contains(log, "s3cr3t") {
			t.Errorf("install.log:\n%s", log)
		}
	})
	t.Run("rerun changes nothing", func(t *testing.T) {
		marker := in.path("opt/spotdeck/labels/" + l1 + "/host/marker")
		if err := os.WriteFile(marker, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		envBefore := in.read("opt/spotdeck/labels/" + l1 + "/host.env")
		out := in.mustRun(first.Dir)
		if !strings.Contains(out, "already installed") {
			t.Errorf("rerun output:\n%s", out)
		}
		if _, err := os.Stat(marker); err != nil || in.link("current") != l1 ||
			in.read("opt/spotdeck/labels/"+l1+"/host.env") != envBefore {
			t.Errorf("rerun touched the installed label (marker: %v)", err)
		}
	})
	checkLabelRotation(t, in, first)
}

// checkHostEnv checks the env file that systemd gives the host.
func checkHostEnv(t *testing.T, in *installer, label string) {
	t.Helper()
	rel := "opt/spotdeck/labels/" + label + "/host.env"
	env := in.read(rel)
	app := in.path("opt/spotdeck/labels/" + label + "/app")
	for _, want := range []string{
		"AzureWebJobsScriptRoot='" + app + "'\n",
		"ASPNETCORE_URLS='http://localhost:8080'\n",
		"WEBSITE_HOSTNAME='localhost:8080'\n",
		"FUNCTIONS_WORKER_RUNTIME='dotnet'\n",
		"AzureWebJobsStorage='DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" +
			secretValue + "'\n",
		`QUOTED="it's \"\$HOME\" \` + "`x\\` \\\\n\"\n",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("host.env lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "ignored") {
		t.Errorf("host.env keeps the env file's ASPNETCORE_URLS:\n%s", env)
	}
	if info, err := os.Stat(in.path(rel)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("host.env mode %v (%v), want 0600", info.Mode(), err)
	}
}

// checkLabelRotation installs two more labels, then rolls back by rerunning an older one.
func checkLabelRotation(t *testing.T, in *installer, first *Result) {
	l1 := first.Manifest.Label
	second := linuxBundle(t, "2", nil)
	l2 := second.Manifest.Label
	in.mustRun(second.Dir)
	t.Run("keeps the previous label", func(t *testing.T) {
		if in.link("current") != l2 || in.link("previous") != l1 {
			t.Errorf("current=%q previous=%q, want %q %q", in.link("current"),
				in.link("previous"), l2, l1)
		}
		if _, err := os.Stat(in.path("opt/spotdeck/labels/" + l1 + "/.complete")); err != nil {
			t.Errorf("previous label removed: %v", err)
		}
	})
	third := linuxBundle(t, "3", nil)
	in.mustRun(third.Dir)
	t.Run("removes older labels", func(t *testing.T) {
		if _, err := os.Stat(in.path("opt/spotdeck/labels/" + l1)); !os.IsNotExist(err) {
			t.Errorf("label %s still there (stat: %v)", l1, err)
		}
	})
	t.Run("rolls back without unpacking", func(t *testing.T) {
		out := in.mustRun(second.Dir)
		if !strings.Contains(out, "already unpacked") || in.link("current") != l2 ||
			in.link("previous") != third.Manifest.Label {
			t.Errorf("rollback: current=%q previous=%q output:\n%s", in.link("current"),
				in.link("previous"), out)
		}
	})
}

func TestLinuxScriptRefuses(t *testing.T) {
	tests := []struct {
		name   string
		dotnet string
		spoil  func(t *testing.T, dir string)
		env    []string
		want   string
	}{
		{"placeholder value", stubDotnet, func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, EnvFileName), "LATE=PLACEHOLDER\n")
		}, nil, "line 6: LATE is still PLACEHOLDER"},
		{"placeholder identity", stubDotnet, nil,
			[]string{"SPOTDECK_CLIENT_ID=PLACEHOLDER"}, "client ID is still PLACEHOLDER"},
		{"changed host.zip", stubDotnet, func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, HostZipName), "x")
		}, nil, "host.zip does not match bundle"},
		{"missing app.zip", stubDotnet, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, AppZipName))
		}, nil, "app.zip is missing"},
		{"no ASP.NET Core runtime", stubDotnetNoASP, nil, nil,
			"ASP.NET Core runtime is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInstaller(t, stubDotnet)
			good := linuxBundle(t, "good", nil)
			in.mustRun(good.Dir)
			in.stub("dotnet", tt.dotnet)
			bad := linuxBundle(t, "bad", nil)
			if tt.spoil != nil {
				tt.spoil(t, bad.Dir)
			}
			out, code := in.run(bad.Dir, tt.env...)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, output:\n%s\nwant a failure saying %q", code, out, tt.want)
			}
			if in.link("current") != good.Manifest.Label {
				t.Errorf("current = %q, want the good label kept", in.link("current"))
			}
		})
	}
}

// appendFile appends text to a file.
func appendFile(t *testing.T, p, text string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestLinuxScriptManagesService(t *testing.T) {
	in := newInstaller(t, stubDotnet)
	in.service = true
	in.stub("systemctl", stubSystemctl)
	first := linuxBundle(t, "1", nil)
	in.mustRun(first.Dir)
	second := linuxBundle(t, "2", nil)
	in.mustRun(second.Dir)
	calls := in.read("systemctl.calls")
	want := "is-active --quiet spotdeck-host\nstop spotdeck-host\n" +
		"stopped while current=labels/" + first.Manifest.Label + "\n" +
		"daemon-reload\nenable spotdeck-host\nrestart spotdeck-host\n"
	if !strings.HasSuffix(calls, want) {
		t.Errorf("systemctl calls:\n%s\nwant them to end with:\n%s", calls, want)
	}
}

func TestLinuxScriptPassesIdentity(t *testing.T) {
	const builtIn = "11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"built in", nil, builtIn},
		{"from the environment", []string{"SPOTDECK_CLIENT_ID=override-id"}, "override-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInstaller(t, stubDotnet)
			res := linuxBundle(t, "id", func(o *Options) { o.IdentityClientID = builtIn })
			in.mustRun(res.Dir, tt.env...)
			env := in.read("opt/spotdeck/labels/" + res.Manifest.Label + "/host.env")
			for _, line := range []string{"AzureWebJobsStorage__clientId='" + tt.want + "'",
				"AzureWebJobsStorage__credential='managedidentity'"} {
				if !strings.Contains(env, line) {
					t.Errorf("host.env lacks %q:\n%s", line, env)
				}
			}
		})
	}
}

func TestLinuxScriptPassesShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck is not installed (apt-get install shellcheck)")
	}
	res := linuxBundle(t, "lint", func(o *Options) {
		o.IdentityClientID = "11111111-2222-3333-4444-555555555555"
	})
	out, err := exec.Command("shellcheck", filepath.Join(res.Dir, LinuxScriptName)).
		CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

func TestWindowsScriptContent(t *testing.T) {
	opts := fixture(t)
	opts.OS = OSWindows
	opts.HealthPort = 7071
	opts.IdentityClientID = "11111111-2222-3333-4444-555555555555"
	res := mustBuild(t, opts)
	data, err := os.ReadFile(filepath.Join(res.Dir, WindowsScriptName))
	if err != nil {
		t.Fatal(err)
	}
	script := string(data)
	host, _ := res.Manifest.File(HostZipName)
	app, _ := res.Manifest.File(AppZipName)
	checks := map[string]string{
		"label":               "$Label = '" + res.Manifest.Label + "'",
		"health port":         "$HealthPort = 7071",
		"host hash":           "$HostSha256 = '" + host.SHA256 + "'",
		"app hash":            "$AppSha256 = '" + app.SHA256 + "'",
		"identity":            "$ClientId = '" + opts.IdentityClientID + "'",
		"identity setting":    "AzureWebJobsStorage__clientId=$ClientId",
		"script root":         "AzureWebJobsScriptRoot=$Dest\\app",
		"urls":                "ASPNETCORE_URLS=http://localhost:$HealthPort",
		"hostname":            "WEBSITE_HOSTNAME=localhost:$HealthPort",
		"placeholder refusal": "is still PLACEHOLDER",
		"workers folder":      "\"$partial\\host\\workers\"",
		"per-label folder":    "$Dest = Join-Path $Labels $Label",
		"previous kept":       "Set-Pointer 'previous.txt' $old",
		"stop before switch":  "Stop-HostProcess\r\nSwitch-Current",
		"boot start":          "New-ScheduledTaskTrigger -AtStartup",
		"task registered":     "Register-ScheduledTask -TaskName $TaskName",
		"runs dotnet":         "& '__DOTNET__' (Join-Path $dir 'host\\__HOSTDLL__')",
		"log file":            "Add-Content -Path $LogFile",
		"log not in results":  "Write-Host $line",
		"idempotent":          "is already installed",
		"service switch":      "$env:SPOTDECK_NO_SERVICE -ne '1'",
		"env file locked":     "icacls.exe $Path /inheritance:r",
		"crlf":                "$ErrorActionPreference = 'Stop'\r\n",
	}
	for name, want := range checks {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(script, want) {
				t.Errorf("install.ps1 lacks %q", want)
			}
		})
	}
	if strings.Contains(script, "{{") || strings.Contains(script, "<no value>") {
		t.Error("install.ps1 holds unrendered template text")
	}
}
