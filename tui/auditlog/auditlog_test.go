package auditlog

import "testing"

func TestTargetsCellGroupsInstances(t *testing.T) {
	tests := []struct {
		targets []string
		want    string
	}{
		{[]string{"rg/vmss-a/0", "rg/vmss-a/3", "rg/vmss-b"}, "vmss-a/0,3 vmss-b"},
		{[]string{"/home/op/config.yaml"}, "/home/op/config.yaml"},
		{[]string{"plain"}, "plain"},
	}
	for _, tt := range tests {
		if got := targetsCell(tt.targets); got != tt.want {
			t.Errorf("targetsCell(%q) = %q, want %q", tt.targets, got, tt.want)
		}
	}
}
