package bot_test

import (
	"strings"
	"testing"
)

// TestBidiControlsNotPosted checks issue 16: a right-to-left override in a
// tip or a display name reaches neither the stored tip nor the bot's posts.
func TestBidiControlsNotPosted(t *testing.T) {
	h := newHarness(t, nil)
	evil := user("mallory")
	evil.Name = "Mal\u202Elory"
	h.command(evil, "tip", "abc\u202Efdp.exe #sec\u2066x\u2069")
	h.bot.Wait()
	posts, _, _ := h.chat.snapshot()
	if len(posts) != 1 {
		t.Fatalf("want the /tip post, got %d posts", len(posts))
	}
	got := posts[0].Message.Text()
	if strings.ContainsAny(got, "\u202E\u2066\u2069") || !strings.Contains(got, "Tip from Mallory: abcfdp.exe #secx (t1)") {
		t.Errorf("post = %q, want it without bidi controls", got)
	}
	if out := h.command(user("bob"), "tips", "search abcfdp.exe"); strings.ContainsAny(out, "\u202E\u2066\u2069") || !strings.Contains(out, "abcfdp.exe") {
		t.Errorf("search = %q, want the tip without bidi controls", out)
	}
}
