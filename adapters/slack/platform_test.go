package slack

import "testing"

// TestSpecConfigSyntax checks how the configuration writes Slack's emoji
// (by name, with or without colons) and channels (ids, kept as written).
func TestSpecConfigSyntax(t *testing.T) {
	t.Parallel()
	s := Spec()
	for in, want := range map[string]string{":bulb:": "bulb", "bulb": "bulb", "+1": "+1"} {
		if got := s.ConfigEmoji(in); got != want {
			t.Errorf("ConfigEmoji(%q) = %q, want %q", in, got, want)
		}
	}
	if s.ConfigChannel != nil {
		t.Error("ConfigChannel is set; Slack channel ids are kept as written")
	}
}
