package shell

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tipbot/tipbot/bot"
)

// threadMark starts the lines of thread replies.
const threadMark = "  ↳ "

// pad indents the continuation lines of a multi-line message.
const pad = "    "

// printMessage prints a user's message, e.g. "[3] #general alice: text";
// marker goes after the author (" (edited)"). Call with mu held.
func (a *Adapter) printMessage(m message, marker string) {
	a.writeLines(a.header(m)+marker+": ", []string{m.Text})
}

// printBot prints a message the bot posted. Call with mu held.
func (a *Adapter) printBot(msg message, m bot.Message) {
	a.writeLines(a.header(msg)+": ", a.bodyLines(m))
}

// header returns "[id] #channel author", with the thread it belongs to.
func (a *Adapter) header(m message) string {
	if m.Thread == "" {
		return fmt.Sprintf("[%d] %s %s", m.ID, m.Channel, m.Author)
	}
	return fmt.Sprintf("%s[%d] %s %s%s", threadMark, m.ID, m.Channel, m.Author, fmt.Sprintf(a.t.replyTo, m.Thread))
}

// printPrivate prints a message only user may read.
func (a *Adapter) printPrivate(user string, m bot.Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.writeLines(fmt.Sprintf(a.t.private, user)+" ", a.bodyLines(m))
}

// bodyLines returns a bot message as lines: the title, each line with its
// reference as " [ID]", then the attached file.
func (a *Adapter) bodyLines(m bot.Message) []string {
	m = m.Render(refMarkup)
	var out []string
	if m.Title != "" {
		out = append(out, strings.Split(m.Title, "\n")...)
	}
	for _, l := range m.Lines {
		s := l.Text
		if l.Ref != nil && l.Ref.MessageID != "" {
			s += " [" + l.Ref.MessageID + "]"
		}
		out = append(out, strings.Split(s, "\n")...)
	}
	if f := m.File; f != nil {
		out = append(out, fmt.Sprintf(a.t.file, f.Name, len(f.Data)))
		if isText(f.Data) {
			for l := range strings.SplitSeq(strings.TrimRight(string(f.Data), "\n"), "\n") {
				out = append(out, "  "+strings.TrimRight(l, "\r"))
			}
		} else {
			out = append(out, "  "+a.t.binary)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// isText reports whether data is printable text.
func isText(data []byte) bool {
	return utf8.Valid(data) && !bytes.ContainsRune(data, 0)
}

// writeLines writes first+lines[0], then the other lines indented under it.
// Call with mu held.
func (a *Adapter) writeLines(first string, lines []string) {
	var b strings.Builder
	indent := pad
	if strings.HasPrefix(first, threadMark) {
		indent = threadMark[:2] + pad
	}
	for i, l := range lines {
		if i == 0 {
			b.WriteString(clean(first + l))
		} else {
			b.WriteString(indent + clean(l))
		}
		b.WriteByte('\n')
	}
	a.writeLocked(b.String())
}

// clean replaces control characters and bidirectional formatting
// characters (U+202E and the like), so text cannot drive the terminal or
// reorder what is printed after it. Callers split lines first: a newline
// left in s is replaced too.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r))
}

// say prints the shell's own text, one line per line of s.
func (a *Adapter) say(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sayLocked(s)
}

// sayLocked prints s line by line, each cleaned; call with mu held.
func (a *Adapter) sayLocked(s string) {
	var b strings.Builder
	for l := range strings.SplitSeq(s, "\n") {
		b.WriteString(clean(strings.TrimRight(l, "\r")))
		b.WriteByte('\n')
	}
	a.writeLocked(b.String())
}

// sayf prints a formatted line; call with mu held.
func (a *Adapter) sayf(format string, args ...any) {
	a.sayLocked(fmt.Sprintf(format, args...))
}

// write prints s (a prompt) as is.
func (a *Adapter) write(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.writeLocked(s)
}

func (a *Adapter) writeLocked(s string) {
	if a.writeErr != nil {
		return
	}
	if _, err := io.WriteString(a.out, s); err != nil {
		a.writeErr = fmt.Errorf("shell: write output: %w", err)
	}
}

// outErr returns the first write error.
func (a *Adapter) outErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.writeErr
}

// emojiNames maps common emoji to the Slack-style names the shell uses.
var emojiNames = map[string]string{
	"💡": "bulb", "👍": "+1", "👎": "-1", "⭐": "star", "🔖": "bookmark", "❤": "heart", "🎉": "tada",
	"🙏": "pray", "✅": "white_check_mark", "🔥": "fire", "👏": "clap", "🚀": "rocket", "👀": "eyes", "😀": "grinning",
}

// emojiName returns the Slack-style name of an emoji typed as "bulb",
// ":bulb:", ":+1::skin-tone-3:" or "💡"; false when it is not one.
func emojiName(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\uFE0F", "")
	tone := ""
	for i, r := range []rune{'🏻', '🏼', '🏽', '🏾', '🏿'} {
		if strings.HasSuffix(s, string(r)) {
			s = strings.TrimSuffix(s, string(r))
			tone = fmt.Sprintf("::skin-tone-%d", i+2)
		}
	}
	if n, ok := emojiNames[s]; ok {
		return n + tone, true
	}
	if tone != "" {
		return "", false
	}
	s = strings.ToLower(strings.Trim(s, ":"))
	if s == "" || len(s) > 100 {
		return "", false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z') && !(r >= '0' && r <= '9') && !strings.ContainsRune("+-_:'", r) {
			return "", false
		}
	}
	return s, true
}
