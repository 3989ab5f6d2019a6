package shell

import "testing"

// TestSpecConfigSyntax checks how the configuration writes the shell's
// emoji (by name, with or without colons) and channels ("#name", the "#"
// optional).
func TestSpecConfigSyntax(t *testing.T) {
	t.Parallel()
	s := Spec()
	for in, want := range map[string]string{":bulb:": "bulb", "star": "star"} {
		if got := s.ConfigEmoji(in); got != want {
			t.Errorf("ConfigEmoji(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"hall": "#hall", "#hall": "#hall"} {
		if got, msg := s.ConfigChannel(in); got != want || msg != "" {
			t.Errorf("ConfigChannel(%q) = %q, %q; want %q, \"\"", in, got, msg, want)
		}
	}
}
