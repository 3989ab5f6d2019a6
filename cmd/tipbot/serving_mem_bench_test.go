package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// The large database store's benchmarks build (BenchmarkTopMonth and the
// others, TIPBOT_BENCH_DIR) holds the workspace slack/TBENCH: tips in 50
// channels over the twelve months from December 2025, words of a made-up
// language of syllables ("baba", "babe"...).
const (
	memTeam    = "TBENCH"
	memChannel = "C10000000" // the first of its channels
	memNow     = "2026-11-15T12:00:00Z"
)

// BenchmarkServingMemory is issue 11's second target: the real tipbot
// binary serving a large database (1,000,000 tips, 10M votes) in Slack
// http mode, its memory measured from outside. It copies the file named by
// TIPBOT_BENCH_DB (the store benchmark's, e.g.
// /var/tmp/tipbot-bench/tipbot-bench-1000000.db; it is never changed) into
// a temporary folder, runs the binary on the copy with its clock in the
// file's last month, and sends TIPBOT_BENCH_REQUESTS (default 400) signed
// slash commands one after the other, in turn /tips top month, /tips top
// year, /tips search of two words and /tips show of a tip. It prints the
// peak RssAnon (/proc/PID/status) and Go heap in use (/metrics) while it
// serves, against the targets (≤ 100 MB, heap ≤ 64 MB), and each
// command's p50/p99. Without TIPBOT_BENCH_DB it makes a small database of
// the same shape (TIPBOT_BENCH_TIPS tips, default 2,000) and measures
// that: the harness is tested, not the target.
func BenchmarkServingMemory(b *testing.B) {
	// TIPBOT_BENCH_TIPS is the number of tips in TIPBOT_BENCH_DB when
	// it is not 1,000,000 (for /tips show), else the small database's.
	requests := 400
	if v := os.Getenv("TIPBOT_BENCH_REQUESTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			b.Fatalf("TIPBOT_BENCH_REQUESTS=%q: want a number ≥ 4", v)
		}
		requests = n
	}
	dir := b.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	src := os.Getenv("TIPBOT_BENCH_DB")
	tips := 2000 // the small database's; the large one's is named by TIPBOT_BENCH_TIPS
	if src != "" {
		tips = 1_000_000
	}
	if v := os.Getenv("TIPBOT_BENCH_TIPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			b.Fatalf("TIPBOT_BENCH_TIPS=%q: want a number ≥ 100", v)
		}
		tips = n
	}
	if src == "" {
		smallServingDB(b, db, tips)
	} else if err := copyFile(src, db); err != nil {
		b.Fatalf("copying TIPBOT_BENCH_DB: %v", err)
	}
	bin := platBuild(b)
	s := slacktest.NewServer(slacktest.Options{BotToken: psBotToken, TeamID: memTeam})
	b.Cleanup(s.Close)
	s.AddChannel(memChannel, "general")
	started := time.Now()
	p := startTipbot(b, bin, dir, fmt.Sprintf(`store:
  path: %s
timezone: UTC
slack:
  enabled: true
  mode: http
  bot_token: ${SLACK_BOT_TOKEN}
  signing_secret: ${SLACK_SIGNING_SECRET}
  api_url: %s
http:
  addr: 127.0.0.1:0
`, db, s.URL()), "SLACK_BOT_TOKEN="+psBotToken, "SLACK_SIGNING_SECRET="+psSigning, fakeNowEnv+"="+memNow)
	p.waitHealthy(b)
	healthy := time.Since(started)
	base := "http://" + p.addr(b)
	pid := p.cmd.Process.Pid
	defer func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(shutdownTimeout + 10*time.Second):
		}
	}()
	startRSS := rssAnon(pid)

	kinds := []string{"top month", "top year", "search", "show"}
	lats := make(map[string][]time.Duration, len(kinds))
	client := &http.Client{Timeout: time.Minute}
	sampler := sampleMemory(b, pid, base+"/metrics")
	for i := range requests {
		kind := kinds[i%len(kinds)]
		text := kind
		switch kind {
		case "search":
			text = "search " + memWord(i) + " " + memWord(i*3)
		case "show":
			text = fmt.Sprintf("show t%d", 1+(i*7919)%tips)
		}
		form := url.Values{"command": {"/tips"}, "text": {text}, "team_id": {memTeam}, "channel_id": {memChannel},
			"user_id": {fmt.Sprintf("U%08X", 0x20000000+i%500)}, "user_name": {"reader"},
			"trigger_id": {fmt.Sprintf("trig%d", i)}, "response_url": {s.URL() + "nowhere"}}
		t := time.Now()
		out, err := memPost(client, base, []byte(form.Encode()))
		if err != nil {
			b.Fatal(err)
		}
		lats[kind] = append(lats[kind], time.Since(t))
		if i == 0 && !strings.Contains(out, "Leaderboard") {
			b.Fatalf("/tips top month answered %s", out)
		}
	}
	rss, heap := sampler.stop()
	b.ReportMetric(mib(rss), "peak-RssAnon-MiB")
	b.ReportMetric(mib(heap), "peak-heap-MiB")
	what := fmt.Sprintf("TIPBOT_BENCH_DB %s", src)
	if src == "" {
		what = fmt.Sprintf("a small database made here (%d tips; set TIPBOT_BENCH_DB for the target)", tips)
	}
	if fi, err := os.Stat(db); err == nil {
		what += fmt.Sprintf(", %.0f MiB", mib(uint64(fi.Size())))
	}
	b.Logf("serving %s: healthy %v after start, RssAnon %.1f MiB then", what, healthy.Round(time.Millisecond), mib(startRSS))
	b.Logf("%d commands one after the other: peak RssAnon %.1f MiB (target ≤ 100 MB: %s), peak Go heap in use %.1f MiB (target ≤ 64 MB: %s)",
		requests, mib(rss), verdict(rss <= 100e6), mib(heap), verdict(heap <= 64e6))
	for _, k := range kinds {
		l := lats[k]
		slices.Sort(l)
		b.Logf("  /tips %-9s %4d: p50 %.2f ms, p99 %.2f ms", k, len(l), ms(l[len(l)/2]), ms(l[len(l)*99/100]))
	}
}

// memWord is a word of the store benchmark's made-up language, the most
// frequent first: two syllables of a consonant and a vowel.
func memWord(i int) string {
	const cons, vows = "bdfgklmnprstvz", "aeiou"
	syl := func(j int) string { return string(cons[j/len(vows)%len(cons)]) + string(vows[j%len(vows)]) }
	i %= 40
	return syl(i/10) + syl(i%10)
}

// memPost sends one signed slash command and returns the answer.
func memPost(client *http.Client, base string, body []byte) (string, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, base+"/slack/events", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slacktest.Sign(psSigning, ts, body))
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", res.Status, out)
	}
	return string(out), nil
}

// copyFile copies src to dst (a new file).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// smallServingDB writes a database of the large one's shape at path: tips
// tips by 50 authors in memChannel over the twelve months to memNow, with
// words memWord draws and 0 to 40 useful votes each.
func smallServingDB(b *testing.B, path string, tips int) {
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ws := bot.Workspace{Platform: "slack", ID: memTeam}
	start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	span := 12 * 30 * 24 * time.Hour
	err = db.Update(context.Background(), ws, func(tx bot.Tx) error {
		for id := 1; id <= tips; id++ {
			if _, err := tx.NextTipID(); err != nil {
				return err
			}
			created := start.Add(span / time.Duration(tips) * time.Duration(id-1))
			author := fmt.Sprintf("U%08X", 0x10000000+id%50)
			if id <= 50 {
				if err := tx.PutPerson(bot.Person{ID: author, Name: "Author " + author[5:], FirstTipAt: created}); err != nil {
					return err
				}
			}
			text := fmt.Sprintf("%s %s %s %s #tg%s", memWord(id), memWord(id*3), memWord(id*5), memWord(id*11), memWord(id%7))
			t := bot.Tip{ID: bot.TipID(id), Channel: memChannel, MessageID: fmt.Sprintf("%d.%06d", created.Unix(), id),
				AuthorID: author, AuthorName: "Author " + author[5:], Text: text, Source: bot.SourcePrefix,
				Status: bot.StatusPublished, CreatedAt: created, UpdatedAt: created, Periods: bot.PeriodKeys(created, time.UTC)}
			t.Topics = bot.Topics(t.Text, nil)
			if err := tx.PutTip(t); err != nil {
				return err
			}
			voters := id % 41
			for v := range voters {
				if err := tx.PutVote(t.ID, fmt.Sprintf("U%08X", 0x20000000+v), bot.Vote{Emojis: []string{"bulb"}}); err != nil {
					return err
				}
			}
			t.UsefulVotes = voters
			if err := tx.PutTip(t); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
}
