package discord

import "testing"

// TestSpecConfigSyntax checks how the configuration writes Discord's
// emoji (Unicode, kept as written) and channels (ids: digits).
func TestSpecConfigSyntax(t *testing.T) {
	t.Parallel()
	s := Spec()
	if s.ConfigEmoji != nil {
		t.Error("ConfigEmoji is set; Discord's Unicode emoji are kept as written")
	}
	if got, msg := s.ConfigChannel("1122334455"); got != "1122334455" || msg != "" {
		t.Errorf("ConfigChannel(id) = %q, %q", got, msg)
	}
	if _, msg := s.ConfigChannel("general"); msg != CheckID("channel", "general") || msg == "" {
		t.Errorf("ConfigChannel(\"general\") problem = %q, want %q", msg, CheckID("channel", "general"))
	}
}
