package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
)

// These tests are issue 10's "Done when", on the real binary in Slack HTTP
// mode: what tipbot owes once it has acknowledged something (a /tip's
// post and 💡, a captured tip's 💡, a session's prompt and recap) reaches
// Slack, though tipbot is killed with SIGKILL at random moments, or Slack's
// Web API fails for a while. "Acknowledged" is what the person saw: the
// answer to their command said so, or Slack got a 200 for their event.

const (
	// obCycles kill -9 cycles, each after a random uptime in
	// [obMinUptime, obMaxUptime) from the moment tipbot listens.
	obCycles    = 20
	obMinUptime = 200 * time.Millisecond
	obMaxUptime = 1500 * time.Millisecond
	// obSenders people act at once.
	obSenders = 4
	// obOwedWithin bounds the wait for what is owed, once tipbot runs for
	// good (after the last kill, or after the outage).
	obOwedWithin = 60 * time.Second
	// obOutage is how long Slack's Web API fails (issue 10's figure).
	obOutage = 30 * time.Second
	// obTipsPerMinute keeps each person well under capture.max_per_minute
	// (10), even when Slack's retries bunch their tips together.
	obTipsPerMinute = 5
	// obSeedEnv names the variable that replays a run of the kill test
	// with the seed it logged.
	obSeedEnv = "OUTBOX_E2E_SEED"
)

// The workspace: enough people to stay under the per-person tip limit and
// enough channels to post at Slack's pace (one post per second per
// channel) without a long queue. The first two people are trainers.
var (
	obUsers    = obIDs("U0OB%04d", 48)
	obChannels = obIDs("C0OB%04d", 12)
)

func obIDs(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// TestKillNineKeepsWhatIsOwed sends /tip commands, tip: messages, votes,
// prompts and closes from a few people at once while tipbot is killed
// with SIGKILL 20 times, restarted each time on the same database; then
// it lets tipbot run until Slack has seen everything owed, and checks the
// export and Slack: every acknowledged /tip is one tip, posted, its post
// linked and acknowledged; every acknowledged tip: message is one tip with
// its 💡; every acknowledged prompt and close is posted; votes are neither
// lost nor doubled; nothing is posted more than twice.
func TestKillNineKeepsWhatIsOwed(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	began := time.Now()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(obSeedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", obSeedEnv, v, err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with %s=%d)", seed, obSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	dir := t.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	s := obSlack(t)
	config := obConfig(db, s)
	l := newObLedger(s)

	start := func() *tipbotProc {
		p := startTipbot(t, bin, dir, config, "SLACK_BOT_TOKEN="+psBotToken, "SLACK_SIGNING_SECRET="+psSigning)
		s.DeliverHTTP("http://"+p.addr(t)+"/slack/events", psSigning)
		return p
	}

	// The people act until the last kill, whether tipbot is up or not
	// (and stop before the fake Slack does, should the test end early).
	stop := make(chan struct{})
	var senders sync.WaitGroup
	stopSenders := sync.OnceFunc(func() {
		close(stop)
		senders.Wait()
	})
	t.Cleanup(stopSenders)
	for i := range obSenders {
		r := rand.New(rand.NewPCG(seed, uint64(i+1)))
		senders.Go(func() { l.act(i, r, stop) })
	}
	var uptimes []time.Duration
	for cycle := range obCycles {
		p := start()
		up := obMinUptime + time.Duration(rng.Int64N(int64(obMaxUptime-obMinUptime)))
		uptimes = append(uptimes, up)
		time.Sleep(up)
		obKill(t, p, cycle)
	}
	stopSenders()
	cycled := time.Since(began)

	// The last start: tipbot runs until Slack has seen everything owed.
	p := start()
	p.waitHealthy(t)
	restarted := time.Now()
	missing := l.waitOwed(obOwedWithin)
	t.Logf("%d kill -9 cycles in %v (uptimes %v); then %d owed things still missing %v after the last start",
		obCycles, cycled.Round(time.Millisecond), uptimes, missing, time.Since(restarted).Round(time.Millisecond))
	l.quiet()
	p.stop(t)
	l.check(t, platExport(t, bin, dir, db))
	t.Logf("kill test: %v", time.Since(began).Round(time.Millisecond))
}

// TestSlackOutageDeliversEverythingOwed: Slack's Web API answers 500 to
// every call, then closes every connection unanswered, for obOutage in
// all, while people run /tip, post tip: messages and a trainer opens and
// closes a session. Then Slack recovers: every post, 💡, prompt and recap
// owed arrives within obOwedWithin, none more than twice.
func TestSlackOutageDeliversEverythingOwed(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	began := time.Now()
	dir := t.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	s := obSlack(t)
	l := newObLedger(s)
	p := startTipbot(t, bin, dir, obConfig(db, s), "SLACK_BOT_TOKEN="+psBotToken, "SLACK_SIGNING_SECRET="+psSigning)
	e2eContains(t, "/healthz", p.waitHealthy(t), "slack: connected")
	s.DeliverHTTP("http://"+p.addr(t)+"/slack/events", psSigning)

	// Before the outage: tipbot knows everyone (a command each), and a
	// tip goes through.
	for _, u := range obUsers[:8] {
		if _, ok := obAnswer(s.Command(obChannels[0], u, "/tips", "help")); !ok {
			t.Fatalf("/tips help by %s was not answered", u)
		}
	}
	if !l.tip(obChannels[0], obUsers[1], "o0 before the outage commit early and often") {
		t.Fatal("/tip before the outage was not acknowledged as recorded")
	}
	if l.waitOwed(20*time.Second) > 0 {
		t.Fatal("the tip before the outage was not posted")
	}

	// The outage: first 500s, then connections closed unanswered.
	outageStart := time.Now()
	s.SetOutage(slacktest.OutageError)
	callsBefore := len(s.Calls(""))
	for i := range 6 {
		if i == 3 {
			time.Sleep(time.Until(outageStart.Add(obOutage / 2)))
			s.SetOutage(slacktest.OutageHangUp)
		}
		ch, u := obChannels[i%3], obUsers[2+i]
		if !l.tip(ch, u, fmt.Sprintf("o%d during the outage name things by what they do", i+1)) {
			t.Errorf("/tip by %s during the outage was not acknowledged as recorded", u)
		}
		if i < 3 {
			_, ev := l.say(ch, obUsers[i], fmt.Sprintf("tip: m%d during the outage read the error message first", i+1))
			if !s.WaitFor(10*time.Second, func() bool { return s.Acked(ev) }) {
				t.Errorf("the tip: message by %s during the outage was not acknowledged", obUsers[i])
			}
		}
		if i == 1 {
			if _, ok := l.prompt(obChannels[1], obUsers[0], "Outage drill one"); !ok {
				t.Errorf("/tips prompt during the outage was not acknowledged")
			}
		}
		if i == 4 {
			if !l.closeAny(obUsers[1]) {
				t.Errorf("/tips close during the outage was not acknowledged")
			}
		}
		time.Sleep(time.Second)
	}
	time.Sleep(time.Until(outageStart.Add(obOutage)))
	s.SetOutage(slacktest.OutageNone)
	recovered := time.Now()
	failedCalls := len(s.Calls("")) - callsBefore
	t.Logf("outage of %v: %d Web API calls failed", obOutage, failedCalls)

	missing := l.waitOwed(obOwedWithin)
	t.Logf("%d owed things still missing %v after the recovery", missing, time.Since(recovered).Round(time.Millisecond))
	l.quiet()
	p.stop(t)
	l.check(t, platExport(t, bin, dir, db))
	t.Logf("outage test: %v", time.Since(began).Round(time.Millisecond))
}

// obSlack is a fake Slack with obUsers, all members of obChannels.
func obSlack(t *testing.T) *slacktest.Server {
	t.Helper()
	s := platSlack(t)
	for i, u := range obUsers {
		s.AddUser(slacktest.User{ID: u, Name: fmt.Sprintf("person%d", i), DisplayName: fmt.Sprintf("Person %d", i)})
	}
	for i, ch := range obChannels {
		s.AddChannel(ch, fmt.Sprintf("drill-%d", i))
		s.Join(ch, obUsers...)
	}
	return s
}

// obConfig is tipbot in Slack HTTP mode on db, obUsers[:2] trainers.
func obConfig(db string, s *slacktest.Server) string {
	return fmt.Sprintf(`store: {path: %s}
slack:
  enabled: true
  mode: http
  bot_token: ${SLACK_BOT_TOKEN}
  signing_secret: ${SLACK_SIGNING_SECRET}
  api_url: %s
roles: {trainers: [%s, %s]}
http: {addr: "127.0.0.1:0"}
`, db, s.URL(), obUsers[0], obUsers[1])
}

// obKill kills tipbot with SIGKILL and checks its log shows no data race
// or panic.
func obKill(t *testing.T, p *tipbotProc, cycle int) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("cycle %d: tipbot exited by itself (%v):\n%s", cycle, p.err, p.log())
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("cycle %d: SIGKILL: %v", cycle, err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("cycle %d: tipbot still runs 10 s after SIGKILL", cycle)
	}
	for _, bad := range []string{"DATA RACE", "panic:"} {
		if strings.Contains(p.log(), bad) {
			t.Errorf("cycle %d: tipbot's log has %q:\n%s", cycle, bad, p.log())
		}
	}
}

// obAnswer waits for the acknowledgement of a command and returns what the
// person saw: the acknowledgement's text and, when tipbot took longer,
// the response_url answer. ok is false when the request failed (tipbot
// down or killed).
func obAnswer(in *slacktest.Interaction) (string, bool) {
	ack, _, ok := in.Ack(10 * time.Second)
	if !ok {
		return "", false
	}
	text := ack.Text
	if strings.TrimSpace(text) == "" || strings.Contains(text, "Working on it") {
		deadline := time.Now().Add(10 * time.Second)
		for len(in.Responses()) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		for _, r := range in.Responses() {
			text += "\n" + r.Text
		}
	}
	return text, true
}

// --- what tipbot owes, and the check that Slack got it ---

// obTip is a /tip tipbot acknowledged as recorded.
type obTip struct{ channel, user, text string }

// obMessage is a tip: message whose event Slack delivered.
type obMessage struct{ channel, user, ts, event, text string }

// obTarget is a message people vote on; votes maps a voter to the ids of
// their reaction events.
type obTarget struct {
	channel, ts, author string
	votes               map[string][]string
}

// obSession is a session whose prompt was acknowledged.
type obSession struct {
	channel, title, id string
	closing            bool // a close is in flight
	closed             bool // a close was acknowledged
}

// obLedger is what the people did and tipbot acknowledged.
type obLedger struct {
	s  *slacktest.Server
	mu sync.Mutex
	// Sent and acknowledged.
	tipsSent int
	tips     []obTip
	msgs     []obMessage
	targets  map[string]*obTarget // channel/ts → target
	authors  map[string]string    // unique token of a /tip's text → author
	sessions []*obSession
	prompts  int // prompts sent
	closes   int // closes sent
	recent   map[string][]time.Time
}

func newObLedger(s *slacktest.Server) *obLedger {
	return &obLedger{s: s, targets: map[string]*obTarget{}, authors: map[string]string{}, recent: map[string][]time.Time{}}
}

var obTokenRE = regexp.MustCompile(`\b([ko]\d+n\d+|o\d+)\b`)

// tip runs /tip and records it when acknowledged as recorded.
func (l *obLedger) tip(channel, user, text string) bool {
	l.mu.Lock()
	l.tipsSent++
	l.authors[obTokenRE.FindString(text)] = user
	l.mu.Unlock()
	answer, ok := obAnswer(l.s.Command(channel, user, "/tip", text))
	if !ok || !strings.Contains(answer, "is recorded") {
		return false
	}
	l.mu.Lock()
	l.tips = append(l.tips, obTip{channel, user, text})
	l.mu.Unlock()
	return true
}

// say posts a tip: message and returns its ts and the id of its event;
// the check counts it when Slack got a 200 for its event.
func (l *obLedger) say(channel, user, text string) (ts, event string) {
	ts, ev := l.s.SayEvent(channel, user, text)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, obMessage{channel, user, ts, ev, strings.TrimSpace(strings.TrimPrefix(text, "tip:"))})
	l.targets[channel+"/"+ts] = &obTarget{channel: channel, ts: ts, author: user, votes: map[string][]string{}}
	return ts, ev
}

var obSessionRE = regexp.MustCompile(`Session (s\d+) «`)

// prompt opens a session for an hour and records it when acknowledged.
func (l *obLedger) prompt(channel, user, title string) (string, bool) {
	l.mu.Lock()
	l.prompts++
	l.mu.Unlock()
	answer, ok := obAnswer(l.s.Command(channel, user, "/tips", "prompt in 1h "+title))
	m := obSessionRE.FindStringSubmatch(answer)
	if !ok || m == nil {
		return "", false
	}
	l.mu.Lock()
	l.sessions = append(l.sessions, &obSession{channel: channel, title: title, id: m[1]})
	l.mu.Unlock()
	return m[1], true
}

// closeAny closes an acknowledged session not closed yet, if any, and
// reports whether the close was acknowledged. A close that was not is
// tried again later: if it was committed, the next one says "already
// closed", which acknowledges it as well.
func (l *obLedger) closeAny(user string) bool {
	l.mu.Lock()
	var sess *obSession
	for _, x := range l.sessions {
		if !x.closed && !x.closing {
			sess = x
			break
		}
	}
	if sess == nil {
		l.mu.Unlock()
		return false
	}
	sess.closing = true
	l.closes++
	l.mu.Unlock()
	answer, ok := obAnswer(l.s.Command(sess.channel, user, "/tips", "close "+sess.id))
	done := ok && (strings.Contains(answer, "closed with") || strings.Contains(answer, "already closed"))
	l.mu.Lock()
	sess.closing, sess.closed = false, done
	l.mu.Unlock()
	return done
}

// vote adds a useful reaction by someone other than the author on a tip
// people posted or on tipbot's post of a /tip.
func (l *obLedger) vote(r *rand.Rand) {
	l.mu.Lock()
	var keys []string
	for k := range l.targets {
		keys = append(keys, k)
	}
	l.mu.Unlock()
	// tipbot's posts of /tip commands become targets once seen.
	ch := obChannels[r.IntN(len(obChannels))]
	for _, m := range l.s.BotMessages(ch) {
		if !strings.Contains(m.Text, "Tip from") {
			continue
		}
		l.mu.Lock()
		if _, ok := l.targets[ch+"/"+m.TS]; !ok {
			if author, ok := l.authors[obTokenRE.FindString(m.Text)]; ok {
				l.targets[ch+"/"+m.TS] = &obTarget{channel: ch, ts: m.TS, author: author, votes: map[string][]string{}}
				keys = append(keys, ch+"/"+m.TS)
			}
		}
		l.mu.Unlock()
	}
	if len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	l.mu.Lock()
	tg := l.targets[keys[r.IntN(len(keys))]]
	voter := obUsers[r.IntN(len(obUsers))]
	if voter == tg.author || len(tg.votes[voter]) > 0 {
		l.mu.Unlock()
		return
	}
	tg.votes[voter] = []string{}
	l.mu.Unlock()
	emoji := []string{"+1", "star", "bulb"}[r.IntN(3)]
	if ev := l.s.ReactEvent(tg.channel, tg.ts, voter, emoji); ev != "" {
		l.mu.Lock()
		tg.votes[voter] = append(tg.votes[voter], ev)
		l.mu.Unlock()
	}
}

// author picks someone who may still share a tip this minute, "" when
// nobody may.
func (l *obLedger) author(r *rand.Rand) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for _, i := range r.Perm(len(obUsers)) {
		u := obUsers[i]
		recent := slices.DeleteFunc(l.recent[u], func(at time.Time) bool { return now.Sub(at) > time.Minute })
		l.recent[u] = recent
		if len(recent) < obTipsPerMinute {
			l.recent[u] = append(recent, now)
			return u
		}
	}
	return ""
}

// act is one person's activity until stop: /tip (unique texts), tip:
// messages, votes, and (by trainers) prompts and closes.
func (l *obLedger) act(sender int, r *rand.Rand, stop <-chan struct{}) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		ch := obChannels[r.IntN(len(obChannels))]
		trainer := obUsers[r.IntN(2)]
		x := r.IntN(100)
		author := ""
		if x < 60 {
			if author = l.author(r); author == "" {
				x = 60 // everyone shared enough tips this minute: a vote instead
			}
		}
		switch {
		case x < 35:
			l.tip(ch, author, fmt.Sprintf("k%dn%d measure twice and cut once", sender, n))
		case x < 60:
			l.say(ch, author, fmt.Sprintf("tip: k%dn%d keep each commit about one thing", sender, n))
		case x < 88:
			l.vote(r)
		case x < 95:
			l.prompt(ch, trainer, fmt.Sprintf("Kill drill k%dn%d", sender, n))
		default:
			l.closeAny(trainer)
		}
		time.Sleep(time.Duration(50+r.IntN(150)) * time.Millisecond)
	}
}

// obOwed is one thing tipbot owes and whether Slack has it.
type obOwed struct {
	kind string // "/tip post", "/tip 💡", "tip: 💡", "prompt", "recap", "recap in thread"
	what string
	seen bool
}

var obKinds = []string{"/tip post", "/tip 💡", "tip: 💡", "prompt", "recap", "recap in thread"}

// owed lists what tipbot owes and whether Slack has it now: each
// acknowledged /tip's post with tipbot's 💡 on it, the 💡 on each
// acknowledged tip: message, each acknowledged prompt, and the recap (in
// the prompt's thread and in the channel) of each acknowledged close.
func (l *obLedger) owed() []obOwed {
	l.mu.Lock()
	tips, msgs := slices.Clone(l.tips), slices.Clone(l.msgs)
	var sessions []obSession
	for _, x := range l.sessions {
		sessions = append(sessions, *x)
	}
	l.mu.Unlock()
	bot := map[string][]slacktest.Message{}
	for _, ch := range obChannels {
		bot[ch] = l.s.BotMessages(ch)
	}
	var out []obOwed
	for _, tp := range tips {
		// A crash may repeat a post: the 💡 goes on the one the tip is
		// linked to (the check looks at the export for which).
		posts := obFindAll(bot[tp.channel], "", tp.text)
		out = append(out, obOwed{"/tip post", fmt.Sprintf("the post of /tip %q in %s", tp.text, tp.channel), len(posts) > 0})
		out = append(out, obOwed{"/tip 💡", fmt.Sprintf("the 💡 on the post of /tip %q", tp.text),
			slices.ContainsFunc(posts, func(m slacktest.Message) bool { return slices.Contains(m.Reactions["bulb"], psBotUser) })})
	}
	for _, m := range msgs {
		if !l.s.Acked(m.event) {
			continue
		}
		has := slices.Contains(l.s.Reactions(m.channel, m.ts)["bulb"], psBotUser)
		out = append(out, obOwed{"tip: 💡", fmt.Sprintf("the 💡 on %q (%s %s)", m.text, m.channel, m.ts), has})
	}
	for _, x := range sessions {
		prompts := obFindAll(bot[x.channel], "", "What did you retain from «"+x.title+"»")
		out = append(out, obOwed{"prompt", fmt.Sprintf("the prompt of %s «%s» in %s", x.id, x.title, x.channel), len(prompts) > 0})
		if !x.closed {
			continue
		}
		recap := "Recap of «" + x.title + "» (" + x.id + ")"
		out = append(out, obOwed{"recap", fmt.Sprintf("the recap of %s «%s» in %s", x.id, x.title, x.channel), len(obFindAll(bot[x.channel], "", recap)) > 0})
		inThread := slices.ContainsFunc(prompts, func(p slacktest.Message) bool { return len(obFindAll(bot[x.channel], p.TS, recap)) > 0 })
		out = append(out, obOwed{"recap in thread", fmt.Sprintf("the recap of %s «%s» in its prompt's thread", x.id, x.title), inThread})
	}
	return out
}

// obFindAll returns the messages in thread ("" for the channel itself)
// whose text holds part.
func obFindAll(ms []slacktest.Message, thread, part string) []slacktest.Message {
	return slices.DeleteFunc(slices.Clone(ms), func(m slacktest.Message) bool {
		return m.ThreadTS != thread || !strings.Contains(m.Text, part)
	})
}

func obMissing(owed []obOwed) []string {
	var out []string
	for _, o := range owed {
		if !o.seen {
			out = append(out, o.what)
		}
	}
	return out
}

// waitOwed polls until Slack has everything owed or within passes, and
// returns how many owed things are missing.
func (l *obLedger) waitOwed(within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		n := len(obMissing(l.owed()))
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// quiet waits until no Web API call came for a second (at most 10 s), so
// that a duplicate on its way shows up before the check.
func (l *obLedger) quiet() {
	deadline := time.Now().Add(10 * time.Second)
	for n := len(l.s.Calls("")); time.Now().Before(deadline); {
		time.Sleep(time.Second)
		m := len(l.s.Calls(""))
		if m == n {
			return
		}
		n = m
	}
}

// check compares what tipbot owed with Slack and the export, and logs the
// figures.
func (l *obLedger) check(t *testing.T, export []map[string]any) {
	t.Helper()
	owed := l.owed()
	missing := obMissing(owed)
	l.mu.Lock()
	defer l.mu.Unlock()

	byText := map[string][]map[string]any{}
	byMessage := map[string][]map[string]any{}
	for _, r := range export {
		text, _ := r["text"].(string)
		byText[text] = append(byText[text], r)
		ch, _ := r["channel"].(string)
		id, _ := r["message_id"].(string)
		byMessage[ch+"/"+id] = append(byMessage[ch+"/"+id], r)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Each acknowledged /tip: one tip, linked to the post Slack has.
	unposted, unlinked := 0, 0
	for _, tp := range l.tips {
		posts := obFindAll(l.s.BotMessages(tp.channel), "", tp.text)
		if len(posts) == 0 {
			unposted++ // among the missing
		}
		recs := byText[tp.text]
		if len(recs) != 1 {
			bad("/tip %q (acknowledged): %d tips in the export, want 1", tp.text, len(recs))
			if len(recs) == 0 {
				continue
			}
		}
		id, _ := recs[0]["message_id"].(string)
		if id == "" {
			unlinked++
			bad("/tip %q: the tip has no message_id", tp.text)
			continue
		}
		i := slices.IndexFunc(posts, func(m slacktest.Message) bool { return m.TS == id })
		if i < 0 {
			bad("/tip %q: its message_id %s is not a post of it in %s", tp.text, id, tp.channel)
			continue
		}
		if !slices.Contains(posts[i].Reactions["bulb"], psBotUser) {
			bad("/tip %q: no 💡 by tipbot on its post %s", tp.text, id)
		}
	}
	// Each acknowledged tip: message: one tip.
	acked := 0
	for _, m := range l.msgs {
		if !l.s.Acked(m.event) {
			continue
		}
		acked++
		if n := len(byMessage[m.channel+"/"+m.ts]); n != 1 {
			bad("tip: message %q (%s %s, event acknowledged): %d tips in the export, want 1", m.text, m.channel, m.ts, n)
		}
	}
	// Votes: every acknowledged one counted, none counted twice.
	votes, ackedVotes := 0, 0
	for _, tg := range l.targets {
		recs := byMessage[tg.channel+"/"+tg.ts]
		if len(recs) != 1 {
			continue
		}
		low, high := 0, 0
		for _, evs := range tg.votes {
			if len(evs) == 0 {
				continue
			}
			high++
			if slices.ContainsFunc(evs, l.s.Acked) {
				low++
			}
		}
		votes += high
		ackedVotes += low
		got, _ := recs[0]["useful_votes"].(float64)
		if int(got) < low || int(got) > high {
			bad("the tip of %s %s has %v useful votes; %d voters were acknowledged, %d voted", tg.channel, tg.ts, got, low, high)
		}
	}
	// Nothing posted more than twice (a crash may repeat what was being
	// sent); duplicates are counted.
	dups, posts := 0, 0
	for _, ch := range obChannels {
		seen := map[string]int{}
		for _, m := range l.s.BotMessages(ch) {
			posts++
			seen[m.ThreadTS+"\x00"+m.Text]++
		}
		for k, n := range seen {
			dups += n - 1
			if n > 2 {
				thread, text, _ := strings.Cut(k, "\x00")
				bad("posted %d times in %s (thread %q): %q", n, ch, thread, text)
			}
		}
	}
	closed := 0
	for _, x := range l.sessions {
		if x.closed {
			closed++
		}
	}
	reacts := len(l.s.Calls("reactions.add"))
	t.Logf("acknowledged: %d of %d /tip sent, %d of %d tip: messages, %d of %d prompts, %d closes (%d sent), %d of %d voters",
		len(l.tips), l.tipsSent, acked, len(l.msgs), len(l.sessions), l.prompts, closed, l.closes, ackedVotes, votes)
	t.Logf("owed: %d things, %d missing (%d /tip never posted, %d tips without message_id); Slack got %d posts (%d duplicates) and %d reactions.add calls",
		len(owed), len(missing), unposted, unlinked, posts, dups, reacts)
	var kinds []string
	for _, k := range obKinds {
		all, lost := 0, 0
		for _, o := range owed {
			if o.kind == k {
				all++
				if !o.seen {
					lost++
				}
			}
		}
		kinds = append(kinds, fmt.Sprintf("%s %d/%d", k, lost, all))
	}
	t.Logf("missing/owed by kind: %s", strings.Join(kinds, ", "))
	if len(missing) > 0 {
		t.Errorf("%d of %d things owed never reached Slack, e.g.:\n  %s", len(missing), len(owed), strings.Join(missing[:min(30, len(missing))], "\n  "))
	}
	if len(problems) > 0 {
		t.Errorf("%d problems in the export and Slack, e.g.:\n  %s", len(problems), strings.Join(problems[:min(30, len(problems))], "\n  "))
	}
	if len(l.tips) == 0 || len(l.sessions) == 0 {
		t.Errorf("the test acknowledged %d /tip and %d prompts: too few to prove anything", len(l.tips), len(l.sessions))
	}
}
