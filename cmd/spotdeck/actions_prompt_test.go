package main

import (
	"errors"
	"strings"
	"testing"

	"spotdeck/azure"
)

func TestAskToConfirm(t *testing.T) {
	restart := azure.ActionPlan{Action: azure.Action{Kind: azure.ActionRestart,
		ScaleSet: "vmss-a", ResourceGroup: "rg", InstanceIDs: []string{"1"}},
		Description: "restart instance 1 of scale set vmss-a (resource group rg): it reboots",
		Warnings:    []string{"instance 1 is busy"}}
	remove := restart
	remove.Action.Kind = azure.ActionDelete
	remove.Destructive = true
	remove.Description = "delete instance 1 of scale set vmss-a"
	tests := []struct {
		name       string
		plan       azure.ActionPlan
		answer     string
		wantOK     bool
		wantPrompt []string
	}{
		{"yes", restart, "y\n", true, []string{"About to restart instance 1 of scale set " +
			"vmss-a", "Note: instance 1 is busy.", "[y/N]"}},
		{"YES in capitals", restart, "YES\n", true, nil},
		{"no", restart, "n\n", false, nil},
		{"empty answer", restart, "\n", false, nil},
		{"end of input", restart, "", false, nil},
		{"typed name", remove, "vmss-a\n", true, []string{"Type the scale set's name " +
			"(vmss-a)", "cannot be undone"}},
		{"typed name without newline", remove, "vmss-a", true, nil},
		{"yes is not the name", remove, "y\n", false, nil},
		{"other name", remove, "vmss-b\n", false, nil},
		{"name in other case", remove, "VMSS-A\n", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prompt strings.Builder
			err := askToConfirm(strings.NewReader(tt.answer), &prompt, tt.plan)
			if tt.wantOK != (err == nil) {
				t.Fatalf("askToConfirm(%q) = %v, want ok %t", tt.answer, err, tt.wantOK)
			}
			var coded codedError
			if err != nil && (!errors.As(err, &coded) || coded.code != exitNotConfirmed ||
				!strings.Contains(err.Error(), "nothing was changed")) {
				t.Errorf("refusal %v, want exit %d saying nothing changed", err,
					exitNotConfirmed)
			}
			for _, part := range tt.wantPrompt {
				if !strings.Contains(prompt.String(), part) {
					t.Errorf("prompt %q lacks %q", prompt.String(), part)
				}
			}
		})
	}
}

func TestIsTerminalReader(t *testing.T) {
	if isTerminalReader(strings.NewReader("y")) {
		t.Error("a strings.Reader counts as a terminal")
	}
}
