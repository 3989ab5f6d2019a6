package main

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// e2eUseful are the shell's default useful reactions.
var e2eUseful = map[string]bool{"bulb": true, "+1": true, "star": true}

// e2eMsg is a chat message as the test saw it, with the useful reactions
// on it (user → emojis).
type e2eMsg struct {
	id, channel, author, text string
	useful                    map[string]map[string]bool
}

// e2eTip is a tip the script captured, as the test expects tipbot to see it.
type e2eTip struct {
	msg     *e2eMsg
	author  string
	text    string // as tipbot shows it (without the capture prefix)
	source  string // export source: command, prefix, reaction, shortcut, session
	topics  []string
	session string
	status  string // published (""), featured or rejected
	id      string // tN, once known
}

// votes counts the people other than the author with a useful reaction on
// the tip's message: each once, whatever emojis, even from before capture.
func (tp *e2eTip) votes() int {
	n := 0
	for user, emojis := range tp.msg.useful {
		if user != tp.author && len(emojis) > 0 {
			n++
		}
	}
	return n
}

// e2eSession is a session the script opened.
type e2eSession struct {
	id, title, prompt string
	answers           []*e2eTip
}

// e2eChat drives a shell and keeps a hand count of what the script did.
type e2eChat struct {
	t             *testing.T
	sh            *e2eProc
	user, channel string
	tips          []*e2eTip
	sessions      []*e2eSession
	moderation    map[string]int // action → count
}

const e2eWait = 5 * time.Second

func (c *e2eChat) as(user string) {
	c.t.Helper()
	if c.user != user {
		c.sh.send("/as " + user)
		c.sh.expectText(e2eWait, "(you are "+user+" in "+c.channel+")\n")
		c.user = user
	}
}

func (c *e2eChat) in(channel string) {
	c.t.Helper()
	if c.channel != channel {
		c.sh.send("/in " + channel)
		c.sh.expectText(e2eWait, "(you are "+c.user+" in "+channel+")\n")
		c.channel = channel
	}
}

// post sends a plain message and returns it.
func (c *e2eChat) post(text string) *e2eMsg {
	c.t.Helper()
	c.sh.send(text)
	m := c.sh.expect(e2eWait, `(?m)^\[(\d+)\] `+c.channel+` `+c.user+`: `+regexp.QuoteMeta(text)+"\n")
	return &e2eMsg{id: m[1], channel: c.channel, author: c.user, text: text, useful: map[string]map[string]bool{}}
}

// acked waits for tipbot's acknowledgement of a capture on msg.
func (c *e2eChat) acked(msg *e2eMsg) {
	c.t.Helper()
	c.sh.expectText(e2eWait, "["+msg.id+"] tipbot reacted :bulb:\n")
}

func (c *e2eChat) add(tp *e2eTip) *e2eTip {
	c.tips = append(c.tips, tp)
	return tp
}

// prefixed posts a message that a prefix or hashtag captures; shown is
// the tip's text.
func (c *e2eChat) prefixed(text, shown string, topics ...string) *e2eTip {
	c.t.Helper()
	msg := c.post(text)
	c.acked(msg)
	return c.add(&e2eTip{msg: msg, author: c.user, text: shown, source: "prefix", topics: topics})
}

// edit changes the text of the caller's message that holds tp; shown is
// the tip's new text.
func (c *e2eChat) edit(tp *e2eTip, text, shown string, topics ...string) {
	c.t.Helper()
	c.sh.send("/edit " + tp.msg.id + " " + text)
	c.sh.expectText(e2eWait, "["+tp.msg.id+"] "+tp.msg.channel+" "+c.user+" (edited): "+text+"\n")
	tp.msg.text, tp.text, tp.topics = text, shown, topics
}

// remove deletes the caller's message that holds tp, and so the tip.
func (c *e2eChat) remove(tp *e2eTip) {
	c.t.Helper()
	c.sh.send("/delete " + tp.msg.id)
	c.sh.expectText(e2eWait, "["+tp.msg.id+"] deleted by "+c.user+"\n")
	c.tips = slices.DeleteFunc(c.tips, func(x *e2eTip) bool { return x == tp })
}

// command runs /tip: tipbot posts the tip, credited to the caller.
func (c *e2eChat) command(text string, topics ...string) *e2eTip {
	c.t.Helper()
	c.sh.send("/tip " + text)
	m := c.sh.expect(e2eWait, `(?m)^\[(\d+)\] `+c.channel+` tipbot: 💡 Tip from `+c.user+`: `+regexp.QuoteMeta(text)+` \((t\d+)\)\n`)
	msg := &e2eMsg{id: m[1], channel: c.channel, author: "tipbot", text: text, useful: map[string]map[string]bool{}}
	c.acked(msg)
	return c.add(&e2eTip{msg: msg, author: c.user, text: text, source: "command", topics: topics, id: m[2]})
}

// bookmark captures msg with the capture reaction.
func (c *e2eChat) bookmark(msg *e2eMsg, topics ...string) *e2eTip {
	c.t.Helper()
	c.sh.send("/react " + msg.id + " bookmark")
	c.sh.expectText(e2eWait, "["+msg.id+"] "+c.user+" reacted :bookmark:\n")
	c.acked(msg)
	return c.add(&e2eTip{msg: msg, author: msg.author, text: msg.text, source: "reaction", topics: topics})
}

// save captures msg with the Save as tip shortcut.
func (c *e2eChat) save(msg *e2eMsg, topics ...string) *e2eTip {
	c.t.Helper()
	c.sh.send("/save " + msg.id)
	c.acked(msg)
	c.sh.expect(e2eWait, `\(private to `+c.user+`\) Saved as tip t\d+, credited to `+msg.author+`\.\n`)
	return c.add(&e2eTip{msg: msg, author: msg.author, text: msg.text, source: "shortcut", topics: topics})
}

func (c *e2eChat) react(msg *e2eMsg, emoji string) {
	c.t.Helper()
	c.sh.send("/react " + msg.id + " " + emoji)
	c.sh.expectText(e2eWait, "["+msg.id+"] "+c.user+" reacted :"+emoji+":\n")
	if e2eUseful[emoji] {
		if msg.useful[c.user] == nil {
			msg.useful[c.user] = map[string]bool{}
		}
		msg.useful[c.user][emoji] = true
	}
}

func (c *e2eChat) unreact(msg *e2eMsg, emoji string) {
	c.t.Helper()
	c.sh.send("/unreact " + msg.id + " " + emoji)
	c.sh.expectText(e2eWait, "["+msg.id+"] "+c.user+" removed :"+emoji+":\n")
	delete(msg.useful[c.user], emoji)
}

// prompt opens a session in the current channel.
func (c *e2eChat) prompt(title, duration string) *e2eSession {
	c.t.Helper()
	c.sh.send("/tips prompt in " + duration + " " + title)
	m := c.sh.expect(e2eWait, `(?m)^\[(\d+)\] `+c.channel+` tipbot: 📝 What did you retain from «`+regexp.QuoteMeta(title)+`»\?.*\n\s+Session (s\d+) — `)
	s := &e2eSession{id: m[2], title: title, prompt: m[1]}
	c.sessions = append(c.sessions, s)
	return s
}

// answer replies to a session's prompt.
func (c *e2eChat) answer(s *e2eSession, text string, topics ...string) *e2eTip {
	c.t.Helper()
	c.sh.send("/reply " + s.prompt + " " + text)
	m := c.sh.expect(e2eWait, `(?m)^  ↳ \[(\d+)\] `+c.channel+` `+c.user+` \(reply to \[`+s.prompt+`\]\): `+regexp.QuoteMeta(text)+"\n")
	msg := &e2eMsg{id: m[1], channel: c.channel, author: c.user, text: text, useful: map[string]map[string]bool{}}
	c.acked(msg)
	tp := c.add(&e2eTip{msg: msg, author: c.user, text: text, source: "session", topics: topics, session: s.id})
	s.answers = append(s.answers, tp)
	return tp
}

func (c *e2eChat) close(s *e2eSession) {
	c.t.Helper()
	c.sh.send("/tips close " + s.id)
	c.sh.expectText(e2eWait, fmt.Sprintf("(private to %s) Session %s closed with %d answers; the recap is posted.\n", c.user, s.id, len(s.answers)))
}

// tipID finds a tip's id with /tips search.
func (c *e2eChat) tipID(tp *e2eTip, words string) string {
	c.t.Helper()
	c.sh.send("/tips search " + words)
	m := c.sh.expect(e2eWait, `(?m)^    • (t\d+) «`+regexp.QuoteMeta(tp.text)+`» — `+tp.author+` `)
	return m[1]
}

func (c *e2eChat) feature(tp *e2eTip) {
	c.t.Helper()
	c.sh.send("/tips feature " + tp.id)
	c.sh.expectText(e2eWait, "(private to "+c.user+") Tip "+tp.id+" featured")
	tp.status = "featured"
	c.moderation["feature"]++
}

// reject hides tp; its author is told privately.
func (c *e2eChat) reject(tp *e2eTip) {
	c.t.Helper()
	c.sh.send("/tips reject " + tp.id)
	c.sh.expectText(e2eWait, "(private to "+tp.author+") Thank you for sharing «"+tp.text+"».")
	c.sh.expectText(e2eWait, "(private to "+c.user+") Tip "+tp.id+" rejected")
	tp.status = "rejected"
	c.moderation["reject"]++
}

// ranked lists the tips that count in rankings: not rejected ones.
func (c *e2eChat) ranked() []*e2eTip {
	return slices.DeleteFunc(slices.Clone(c.tips), func(tp *e2eTip) bool { return tp.status == "rejected" })
}

// e2ePlural is "1 tip", "2 tips".
func e2ePlural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// e2eChange is the change against an empty previous period.
func e2eChange(n int) string {
	if n == 0 {
		return " (=)"
	}
	return fmt.Sprintf(" (▲ %d)", n)
}

// expectedReport is the hand count of the script as the report's lines
// (for a fresh database: the previous period is empty), in their order.
// links adds the tips' message ids, as the shell shows them.
func (c *e2eChat) expectedReport(links bool) []string {
	sources := []struct{ name, label string }{
		{"command", "/tip"}, {"prefix", "prefix or hashtag"}, {"reaction", "reaction"},
		{"shortcut", "shortcut"}, {"session", "session answers"},
	}
	bySource := map[string]int{}
	type standing struct {
		name        string
		tips, votes int
	}
	authors, topics := map[string]*standing{}, map[string]*standing{}
	votes := 0
	for _, tp := range c.tips {
		bySource[tp.source]++ // every tip captured, rejected ones too
	}
	for _, tp := range c.ranked() {
		v := tp.votes()
		votes += v
		if authors[tp.author] == nil {
			authors[tp.author] = &standing{name: tp.author}
		}
		authors[tp.author].tips++
		authors[tp.author].votes += v
		for _, topic := range tp.topics {
			if topics[topic] == nil {
				topics[topic] = &standing{name: topic}
			}
			topics[topic].tips++
			topics[topic].votes += v
		}
	}
	var parts []string
	for _, s := range sources {
		if n := bySource[s.name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s.label, n))
		}
	}
	lines := []string{
		fmt.Sprintf("Tips captured: %d%s — %s", len(c.tips), e2eChange(len(c.tips)), strings.Join(parts, ", ")),
		// Every contributor is new: the database starts empty.
		fmt.Sprintf("Contributors: %d%s · new contributors: %d%s", len(authors), e2eChange(len(authors)), len(authors), e2eChange(len(authors))),
		"Participation: unknown (the platform does not tell the channels' member count)",
		fmt.Sprintf("Useful votes: %d%s", votes, e2eChange(votes)),
		"Top contributors:",
	}
	// Contributors rank by votes, then tips, then name; topics by tips,
	// then votes, then name; tips by votes, then age.
	ranked := slices.SortedFunc(func(yield func(*standing) bool) {
		for _, s := range authors {
			if !yield(s) {
				return
			}
		}
	}, func(x, y *standing) int {
		return cmp.Or(cmp.Compare(y.votes, x.votes), cmp.Compare(y.tips, x.tips), cmp.Compare(x.name, y.name))
	})
	for i, s := range ranked[:min(5, len(ranked))] {
		lines = append(lines, fmt.Sprintf("%d. %s — %s, %s", i+1, s.name, e2ePlural(s.tips, "tip", "tips"), e2ePlural(s.votes, "useful vote", "useful votes")))
	}
	lines = append(lines, "Top tips:")
	tips := c.ranked() // in capture order, the order of their ids
	slices.SortStableFunc(tips, func(x, y *e2eTip) int { return cmp.Compare(y.votes(), x.votes()) })
	for i, tp := range tips[:min(5, len(tips))] {
		l := fmt.Sprintf("%d. %s «%s» — %s · %s", i+1, tp.id, tp.text, tp.author, e2ePlural(tp.votes(), "useful vote", "useful votes"))
		if tp.status == "featured" {
			l += " ⭐ featured"
		}
		if links {
			l += " [" + tp.msg.id + "]"
		}
		lines = append(lines, l)
	}
	var tl []*standing
	for _, s := range topics {
		tl = append(tl, s)
	}
	slices.SortFunc(tl, func(x, y *standing) int {
		return cmp.Or(cmp.Compare(y.tips, x.tips), cmp.Compare(y.votes, x.votes), cmp.Compare(x.name, y.name))
	})
	var tparts []string
	for _, s := range tl[:min(5, len(tl))] {
		tparts = append(tparts, fmt.Sprintf("#%s (%d)", s.name, s.tips))
	}
	lines = append(lines, "Top topics: "+strings.Join(tparts, ", "))
	answers := 0
	for _, s := range c.sessions {
		answers += len(s.answers)
	}
	line := fmt.Sprintf("Sessions: %d%s", len(c.sessions), e2eChange(len(c.sessions)))
	if len(c.sessions) > 0 {
		line += fmt.Sprintf(" — %s, %.1f per session", e2ePlural(answers, "answer", "answers"), float64(answers)/float64(len(c.sessions)))
	}
	lines = append(lines, line)
	for _, s := range c.sessions {
		people := map[string]bool{}
		for _, a := range s.answers {
			people[a.author] = true
		}
		lines = append(lines, fmt.Sprintf("  %s «%s»: %s from %s", s.id, s.title, e2ePlural(len(s.answers), "answer", "answers"),
			e2ePlural(len(people), "participant", "participants")))
	}
	return append(lines, "Tips pending moderation: 0",
		fmt.Sprintf("Moderation: %d approved, %d featured, %d rejected", c.moderation["approve"], c.moderation["feature"], c.moderation["reject"]))
}

// e2eReportLines cuts the report that starts at the title in out into its
// lines, without the shell's indentation.
func e2eReportLines(t *testing.T, out, title string) []string {
	t.Helper()
	i := strings.Index(out, title)
	if i < 0 {
		t.Fatalf("no report titled %q in:\n%s", title, out)
	}
	indent := "" // tipbot report
	if strings.HasPrefix(title, "(private to ") {
		indent = "    " // the shell indents the lines of a message
	}
	var lines []string
	for _, l := range strings.Split(out[i:], "\n")[1:] {
		if l == "" || !strings.HasPrefix(l, indent) {
			break
		}
		lines = append(lines, strings.TrimPrefix(l, indent))
	}
	return lines
}

// e2eMatchLines checks that got holds the wanted lines in that order, each
// whole; it names the first missing one.
func e2eMatchLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := slices.Index(got[at:], w)
		if i < 0 {
			t.Errorf("%s: no line %q (in this order); the report is:\n%s\nthe hand count is:\n%s",
				what, w, strings.Join(got, "\n"), strings.Join(want, "\n"))
			return
		}
		at += i + 1
	}
}

// e2eContributors returns a report's contributors line.
func e2eContributors(t *testing.T, what string, report []string) string {
	t.Helper()
	i := slices.IndexFunc(report, func(l string) bool { return strings.HasPrefix(l, "Contributors: ") })
	if i < 0 {
		t.Errorf("%s: no contributors line in:\n%s", what, strings.Join(report, "\n"))
		return ""
	}
	return report[i]
}

// e2eNewContributors checks that a report's "new contributors" are not
// more than its contributors (new ones are contributors whose first tip
// falls in the period), and, when channel is the report of the one
// channel that holds every tip, that both count the same.
func e2eNewContributors(t *testing.T, what string, report, channel []string) {
	t.Helper()
	line := e2eContributors(t, what, report)
	m := regexp.MustCompile(`^Contributors: (\d+).* · new contributors: (\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Errorf("%s: contributors line %q", what, line)
		return
	}
	all, _ := strconv.Atoi(m[1])
	fresh, _ := strconv.Atoi(m[2])
	if fresh > all {
		t.Errorf("%s: new contributors (%d) exceed contributors (%d): %q", what, fresh, all, line)
	}
	if channel != nil {
		if c := e2eContributors(t, what+" for #general", channel); c != line {
			t.Errorf("%s: the workspace report says %q, the report of #general, which holds every tip, says %q", what, line, c)
		}
	}
}

// e2eExport runs tipbot export and returns its records by message id.
func e2eExport(t *testing.T, bin, dir, db string) (rows []map[string]string, jsonl string) {
	t.Helper()
	out := e2eExec(t, bin, dir, "", "export", "-format", "csv", "-db", db)
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("tipbot export -format csv: not CSV with a header (%v):\n%s", err, out)
	}
	for _, r := range records[1:] {
		row := map[string]string{}
		for i, col := range records[0] {
			row[col] = r[i]
		}
		rows = append(rows, row)
	}
	return rows, e2eExec(t, bin, dir, "", "export", "-db", db)
}

// TestE2EMonthReport is issue 6's "Done when", first part: after a
// scripted month of activity (several people and channels, prefixes,
// hashtags, /tip, a bookmark, the shortcut, votes before and after capture,
// an author's own vote, a withdrawn vote, an edited tip, a deleted one, two
// sessions, a featured tip, a rejected one),
// /tips report month shows every item of SPEC's Reports section with the
// figures of a hand count of the script, tipbot report the same, and a
// member running /tips report is told who may.
func TestE2EMonthReport(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "tips.db")
	c := &e2eChat{t: t, sh: e2eStart(t, bin, dir, e2eEnv(), "shell", "-db", db), user: "you", channel: "#general",
		moderation: map[string]int{}}
	started := time.Now()

	c.as("alice")
	bisect := c.prefixed("tip: use git bisect to find regressions #git", "use git bisect to find regressions #git", "git")
	c.in("#dev")
	race := c.prefixed("astuce: go test -race finds data races #go #testing", "go test -race finds data races #go #testing", "go", "testing")
	c.as("bob")
	pin := c.prefixed("Pin your tool versions in go.mod #tip #go", "Pin your tool versions in go.mod #tip #go", "go")
	c.as("carol")
	c.in("#general")
	sw := c.command("git switch - returns to the previous branch #git", "git")
	c.as("dave")
	c.in("#dev")
	vetMsg := c.post("go vet catches printf mistakes #go")
	smallMsg := c.post("keep commits small and focused")
	c.as("frank")
	c.react(vetMsg, "bulb") // before it is a tip: counts once it is one
	lunch := c.post("lunch at noon?")
	c.as("erin")
	vet := c.bookmark(vetMsg, "go")
	c.in("#general")
	excel := c.prefixed("Ctrl+Shift+V colle sans mise en forme #astuce #Excel", "Ctrl+Shift+V colle sans mise en forme #astuce #Excel", "excel")
	// An edit changes the tip and its topics.
	c.edit(excel, "Ctrl+Shift+V colle sans mise en forme #astuce #Excel #LibreOffice",
		"Ctrl+Shift+V colle sans mise en forme #astuce #Excel #LibreOffice", "excel", "libreoffice")
	// A tip deleted with its message: grace is no contributor.
	c.as("grace")
	c.remove(c.prefixed("tip: wrong channel, sorry #oops", "wrong channel, sorry #oops", "oops"))
	c.as("hank")
	c.in("#dev")
	bad := c.prefixed("tip: skip the tests to ship faster #ci", "skip the tests to ship faster #ci", "ci")
	c.in("#general")
	c.as("bob")
	c.react(lunch, "bulb") // never a tip: counts nowhere
	c.save(smallMsg)

	c.as("you")
	c.in("#dev")
	s1 := c.prompt("Go testing", "2h")
	c.as("alice")
	table := c.answer(s1, "table-driven tests keep cases readable #testing", "testing")
	c.as("frank")
	c.answer(s1, "t.Cleanup closes what a test opens #testing", "testing")
	c.as("carol")
	c.answer(s1, "go test -run runs a single test #go", "go")
	c.as("you")
	c.close(s1)
	c.in("#general")
	s2 := c.prompt("Code review", "1h")
	c.close(s2)

	for _, v := range []struct {
		who  string
		tip  *e2eTip
		emoj []string
	}{
		{"alice", pin, []string{"bulb"}},
		{"carol", pin, []string{"bulb"}},
		{"erin", pin, []string{"bulb"}},
		{"frank", pin, []string{"star"}},
		{"you", pin, []string{"+1"}},
		{"bob", pin, []string{"bulb"}}, // the author's own: never counts
		{"bob", bisect, []string{"bulb"}},
		{"carol", bisect, []string{"+1", "bulb"}}, // one person counts once
		{"dave", bisect, []string{"star"}},
		{"erin", bisect, []string{"bulb"}},
		{"bob", table, []string{"bulb"}},
		{"dave", table, []string{"bulb"}},
		{"you", table, []string{"star"}},
		{"alice", vet, []string{"+1"}},
		{"bob", sw, []string{"bulb"}},
		{"alice", race, []string{"bulb"}}, // the author's own
	} {
		c.as(v.who)
		for _, e := range v.emoj {
			c.react(v.tip.msg, e)
		}
	}
	c.as("dave")
	c.in("#dev")
	c.react(pin.msg, "+1")
	c.unreact(pin.msg, "+1") // withdrawn: no longer counts
	c.as("carol")
	c.unreact(bisect.msg, "+1") // carol still has bulb on it: still counts

	c.as("you")
	bisect.id = c.tipID(bisect, "bisect")
	c.feature(bisect)
	// Rejected: still a captured tip, but hank is no contributor.
	bad.id = c.tipID(bad, "ship faster")
	c.reject(bad)
	c.sh.send("/tips report month")
	c.sh.expectText(e2eWait, "(private to you) 📊 Report — this month, all channels\n")
	c.sh.expect(e2eWait, `Moderation: .*\n(?:      .*\n)*`)
	c.as("bob")
	c.sh.send("/tips report")
	c.sh.expectText(e2eWait, "(private to bob) Only trainers and admins may run /tips report.")
	c.sh.send("/tips report all")
	c.sh.expectText(e2eWait, "(private to bob) Only trainers and admins may run /tips report.")
	out := c.sh.stop()
	t.Logf("the month's script ran in %v", time.Since(started).Round(time.Millisecond))

	// The export names each tip's id; it agrees with the hand count too.
	rows, _ := e2eExport(t, bin, dir, db)
	if len(rows) != len(c.tips) {
		t.Errorf("the export has %d tips, the script captured %d", len(rows), len(c.tips))
	}
	byMsg := map[string]map[string]string{}
	for _, r := range rows {
		byMsg[r["channel"]+" "+r["message_id"]] = r
	}
	for _, tp := range c.tips {
		r := byMsg[tp.msg.channel+" "+tp.msg.id]
		if r == nil {
			t.Errorf("the export lacks the tip of message [%s] «%s»", tp.msg.id, tp.text)
			continue
		}
		status := cmp.Or(tp.status, "published")
		for col, want := range map[string]string{
			"author_id": tp.author, "author_name": tp.author, "text": tp.text, "source": tp.source,
			"topics": strings.Join(tp.topics, " "), "session_id": tp.session, "status": status,
			"useful_votes": strconv.Itoa(tp.votes()),
		} {
			if r[col] != want {
				t.Errorf("export of [%s] «%s»: %s = %q, want %q", tp.msg.id, tp.text, col, r[col], want)
			}
		}
		if tp.id != "" && r["id"] != tp.id {
			t.Errorf("export of [%s]: id %s, tipbot said %s", tp.msg.id, r["id"], tp.id)
		}
		tp.id = r["id"]
	}

	want := c.expectedReport(true)
	t.Logf("hand count:\n%s", strings.Join(want, "\n"))
	got := e2eReportLines(t, out, "(private to you) 📊 Report — this month, all channels")
	e2eMatchLines(t, "/tips report month", got, want)
	if !slices.ContainsFunc(got, func(l string) bool {
		return regexp.MustCompile(`^  \d{4}-\d\d-\d\d \d\d:\d\d \S+ you featured ` + bisect.id + `$`).MatchString(l)
	}) {
		t.Errorf("/tips report month does not list who featured %s and when:\n%s", bisect.id, strings.Join(got, "\n"))
	}
	e2eNewContributors(t, "/tips report month", got, nil)
	if strings.Contains(out, "(private to bob) 📊") {
		t.Errorf("a member got a report:\n%s", out)
	}
	e2eContains(t, "the refusal of /tips report to a member", out, "(private to bob) Only trainers and admins may run /tips report.")

	// tipbot report prints the same figures (the shell's [N] links aside).
	cli := e2eExec(t, bin, dir, "", "report", "-db", db, "-period", "month")
	e2eMatchLines(t, "tipbot report -period month", e2eReportLines(t, cli, "📊 Report — this month, all channels"), c.expectedReport(false))
}

// TestE2EModerationPending is issue 6's "Done when", moderation part: with
// moderation.require_approval, a pending tip is in no leaderboard, search,
// expert list or report ranking, and the export lists it as pending, until
// a trainer approves it; then it is in all of them.
func TestE2EModerationPending(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "tips.db")
	cfg := filepath.Join(dir, "tipbot.yaml")
	if err := os.WriteFile(cfg, []byte("moderation: {require_approval: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const text = "squash fixup commits before merging #git"

	out := e2eExec(t, bin, dir, `/as alice
tip: `+text+`
/as bob
/react 1 bulb
/tips top
/tips top all
/tips search squash
/tips search #git
/tips experts git
/as you
/tips report month
/tips report all
/tips report month #general
/tips pending
`, "shell", "-config", cfg, "-db", db)
	e2eContains(t, "the capture", out, "[1] #general alice: tip: "+text+"\n", "[1] bob reacted :bulb:\n")
	pendingAt := strings.Index(out, "(private to you) Tips waiting for approval")
	if pendingAt < 0 {
		t.Fatalf("/tips pending did not answer:\n%s", out)
	}
	before := out[strings.Index(out, "[1] bob reacted :bulb:\n"):pendingAt]
	if strings.Contains(before, text) || strings.Contains(before, "alice") {
		t.Errorf("the pending tip shows in a leaderboard, search, expert list or report:\n%s", before)
	}
	e2eContains(t, "leaderboards, search and experts while pending", before,
		"(private to bob) 🏆 Leaderboard — this month\n    No tips yet", "(private to bob) 🏆 Leaderboard — all time\n    No tips yet",
		"(private to bob) 🔎 Tips matching “squash”\n    No tip matches", "(private to bob) 🔎 Tips matching “#git”\n    No tip matches",
		"(private to bob) Experts on #git\n    No useful tips")
	channel := e2eReportLines(t, out, "(private to you) 📊 Report — this month, #general")
	for _, title := range []string{"📊 Report — this month, all channels", "📊 Report — all time, all channels", "📊 Report — this month, #general"} {
		report := e2eReportLines(t, out, "(private to you) "+title)
		e2eMatchLines(t, title+" while pending", report, []string{
			"Top contributors:", "—", "Top tips:", "—", "Top topics: —", "Tips pending moderation: 1",
		})
		var same []string // the report of #general for the same period
		if title == "📊 Report — this month, all channels" {
			same = channel
		}
		e2eNewContributors(t, title+" while a tip is pending", report, same)
	}
	m := regexp.MustCompile(`(?m)^    • (t\d+) «` + regexp.QuoteMeta(text) + `» — alice · 1 useful vote \[1\]$`).FindStringSubmatch(out[pendingAt:])
	if m == nil {
		t.Fatalf("/tips pending does not list the tip:\n%s", out[pendingAt:])
	}
	id := m[1]

	rows, jsonl := e2eExport(t, bin, dir, db)
	if len(rows) != 1 || rows[0]["id"] != id || rows[0]["status"] != "pending" || rows[0]["text"] != text {
		t.Errorf("export -format csv while pending: %v, want %s with status pending", rows, id)
	}
	if !strings.Contains(jsonl, `"status":"pending"`) {
		t.Errorf("export (JSON Lines) while pending:\n%s", jsonl)
	}

	out = e2eExec(t, bin, dir, `/tips approve `+id+`
/tips top
/tips search squash
/tips search #git
/tips experts git
/tips report month
/tips pending
`, "shell", "-config", cfg, "-db", db)
	line := id + " «" + text + "» — alice · 1 useful vote [1]"
	e2eContains(t, "the approval", out, "(private to you) Tip "+id+" approved")
	e2eContains(t, "/tips top once approved", out, "🏆 Leaderboard — this month\n    Top contributors:\n    1. alice — 1 tip, 1 useful vote\n    Top tips:\n    1. "+line+"\n")
	e2eContains(t, "/tips search once approved", out, "🔎 Tips matching “squash”\n    • "+line+"\n", "🔎 Tips matching “#git”\n    • "+line+"\n")
	e2eContains(t, "/tips experts once approved", out, "Experts on #git\n    1. alice — 1 useful vote on 1 tip\n")
	report := e2eReportLines(t, out, "(private to you) 📊 Report — this month, all channels")
	e2eMatchLines(t, "/tips report month once approved", report, []string{
		"Top contributors:", "1. alice — 1 tip, 1 useful vote", "Top tips:", "1. " + line, "Top topics: #git (1)",
		"Tips pending moderation: 0", "Moderation: 1 approved, 0 featured, 0 rejected",
	})
	if !slices.ContainsFunc(report, func(l string) bool { return strings.HasSuffix(l, " you approved "+id) }) {
		t.Errorf("the report does not list who approved %s:\n%s", id, strings.Join(report, "\n"))
	}
	e2eContains(t, "/tips pending once approved", out, "No tip is waiting for approval.")
	rows, _ = e2eExport(t, bin, dir, db)
	if len(rows) != 1 || rows[0]["status"] != "published" {
		t.Errorf("export once approved: %v, want status published", rows)
	}
}

// TestE2EForgetMe is issue 6's "Done when", privacy part: after /tips
// forget-me confirm, alice is in no output: leaderboards, search, experts,
// sessions and their recap, reports, exports and tipbot report. The votes
// she gave still count.
func TestE2EForgetMe(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "tips.db")

	out := e2eExec(t, bin, dir, `/as alice
tip: use git bisect to find regressions #git
/as bob
tip: rebase -i tidies a branch before review #git
/react 1 bulb
/as carol
/react 2 +1
keep a changelog in the repository #docs
/as alice
/react 2 bulb
/react 3 bookmark
/as you
/tips prompt in 1h Git workshop
/as alice
/reply 4 commit early and often #git
/as dave
/react 5 star
/as you
/tips top all
/as alice
/tips forget-me
/tips forget-me confirm
/as you
/tips top
/tips top all
/tips search git
/tips search bisect
/tips search #git
/tips experts git
/tips sessions
/tips close s1
/tips report month
/tips report all
/tips report month #general
`, "shell", "-db", db)
	e2eContains(t, "the script", out,
		"[4] #general tipbot: 📝 What did you retain from «Git workshop»?",
		"  ↳ [5] #general alice (reply to [4]): commit early and often #git\n",
		"(private to alice) This erases your data: your 2 tips will be deleted",
		"(private to alice) Done. Deleted: 2 tips. Votes you gave, still counted but no longer linked to you: 1 useful vote.")
	confirm := strings.Index(out, "(private to alice) Done.")
	if confirm < 0 {
		t.Fatalf("forget-me was not confirmed:\n%s", out)
	}
	e2eContains(t, "/tips top all before forget-me", out[:confirm], "1. alice — 2 tips, 2 useful votes")
	after := out[confirm+len("(private to alice) Done."):]
	after = after[strings.Index(after, "\n")+1:]
	if strings.Contains(strings.ToLower(after), "alice") {
		t.Errorf("alice still appears after forget-me confirm:\n%s", after)
	}
	// What others did is still there, with the votes she gave.
	bob := "«rebase -i tidies a branch before review #git» — bob · 2 useful votes [2]"
	e2eContains(t, "the outputs after forget-me", after,
		"🏆 Leaderboard — all time\n    Top contributors:\n    1. bob — 1 tip, 2 useful votes\n    2. carol — 1 tip, 0 useful votes\n",
		"🔎 Tips matching “git”\n    • t2 "+bob+"\n",
		"🔎 Tips matching “bisect”\n    No tip matches",
		"Experts on #git\n    1. bob — 2 useful votes on 1 tip\n",
		"s1 «Git workshop» in #general — 0 answers",
		"Recap of «Git workshop» (s1)\n    No answers this time.",
	)
	channel := e2eReportLines(t, after, "(private to you) 📊 Report — this month, #general")
	for _, title := range []string{"📊 Report — this month, all channels", "📊 Report — all time, all channels", "📊 Report — this month, #general"} {
		report := e2eReportLines(t, after, "(private to you) "+title)
		e2eMatchLines(t, title+" after forget-me", report, []string{
			"Top contributors:", "1. bob — 1 tip, 2 useful votes", "2. carol — 1 tip, 0 useful votes", "Top tips:", "1. t2 " + bob,
		})
		var same []string // the report of #general for the same period
		if title == "📊 Report — this month, all channels" {
			same = channel
		}
		e2eNewContributors(t, title+" after forget-me", report, same)
	}

	csvRows, jsonl := e2eExport(t, bin, dir, db)
	csvOut := e2eExec(t, bin, dir, "", "export", "-format", "csv", "-db", db)
	cli := e2eExec(t, bin, dir, "", "report", "-db", db, "-period", "all")
	cliMonth := e2eExec(t, bin, dir, "", "report", "-db", db, "-period", "month")
	for what, text := range map[string]string{
		"tipbot export -format csv": csvOut, "tipbot export": jsonl,
		"tipbot report -period all": cli, "tipbot report -period month": cliMonth,
	} {
		if strings.Contains(strings.ToLower(text), "alice") {
			t.Errorf("%s still names alice:\n%s", what, text)
		}
	}
	if len(csvRows) != 2 {
		t.Errorf("the export holds %d tips, want bob's and carol's:\n%s", len(csvRows), csvOut)
	}
	for _, r := range csvRows {
		if r["author_id"] == "bob" && r["useful_votes"] != "2" {
			t.Errorf("bob's tip has %s useful votes in the export, want 2 (alice's vote stays counted)", r["useful_votes"])
		}
	}
	e2eContains(t, "tipbot report -period all", cli, "1. bob — 1 tip, 2 useful votes\n2. carol — 1 tip, 0 useful votes\n")
}

// e2eFreeAddr returns a 127.0.0.1 address with a port free at the time.
func e2eFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestE2EAdminBackup is issue 6's "Done when", last part: tipbot run with
// http.addr and the admin token from TIPBOT_ADMIN_TOKEN, no platform (so
// the shell, on standard input); GET /admin/backup is refused without the
// token and, with it, gives a file that tipbot report reads.
func TestE2EAdminBackup(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	addr := e2eFreeAddr(t)
	cfg := filepath.Join(dir, "tipbot.yaml")
	yaml := fmt.Sprintf("store: {path: %q}\nhttp: {addr: %q}\n", filepath.Join(dir, "live.db"), addr)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "e2e-admin-token-5f1c9a"
	sh := e2eStart(t, bin, dir, e2eEnv("TIPBOT_ADMIN_TOKEN="+token), "run", "-config", cfg)
	sh.send("/as alice", "tip: back up the database before upgrading #ops", "/as bob", "/react 1 bulb",
		"/tip tipbot backup copies the database offline #ops")
	sh.expectText(e2eWait, "[1] bob reacted :bulb:\n")
	sh.expect(e2eWait, `(?m)^\[2\] #general tipbot: 💡 Tip from bob: tipbot backup copies the database offline #ops \(t2\)\n`)

	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path, auth string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: read the body: %v", path, err)
		}
		return resp.StatusCode, body
	}
	// The server is up once /healthz answers.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get(base + "/healthz")
		last := fmt.Sprint(err)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			last = resp.Status
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz did not answer 200 within 10s; last: %s", last)
		}
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token} {
		if code, body := get("/admin/backup", auth); code != http.StatusUnauthorized {
			t.Errorf("GET /admin/backup with Authorization %q: %d, want 401 (%d bytes)", auth, code, len(body))
		}
	}
	started := time.Now()
	code, body := get("/admin/backup", "Bearer "+token)
	t.Logf("GET /admin/backup: %d bytes in %v", len(body), time.Since(started).Round(time.Millisecond))
	if code != http.StatusOK {
		t.Fatalf("GET /admin/backup with the token: %d %s", code, body)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(backup, body, 0o600); err != nil {
		t.Fatal(err)
	}

	// tipbot still runs on its database; the backup is a file of its own.
	report := e2eExec(t, bin, dir, "", "report", "-db", backup, "-period", "all")
	e2eMatchLines(t, "tipbot report of the backup", e2eReportLines(t, report, "📊 Report — all time, all channels"), []string{
		"Tips captured: 2 — /tip 1, prefix or hashtag 1",
		"Useful votes: 1",
		"Top tips:",
		"1. t1 «back up the database before upgrading #ops» — alice · 1 useful vote",
		"2. t2 «tipbot backup copies the database offline #ops» — bob · 0 useful votes",
		"Top topics: #ops (2)",
	})
	sh.send("still running")
	sh.expectText(e2eWait, "[3] #general bob: still running\n")
	out := sh.stop()
	errs, _ := sh.stderr.read()
	if strings.Contains(out+errs, token) {
		t.Errorf("tipbot printed the admin token")
	}
}
