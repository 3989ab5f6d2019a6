package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
)

// BenchmarkSlackIngestEndToEnd is issue 11's end-to-end target. The real
// tipbot binary serves Slack in http mode against a fake Slack; 64
// senders post signed Events API requests to its /slack/events, each
// waiting for the acknowledgement (sent once the event is committed, fsync
// on) before the next: first the messages of 200 tips, then, for
// TIPBOT_BENCH_INGEST (default 60s), useful votes from 10,000 people the
// directory has not listed yet, every one a new (voter, tip) pair. A raw
// bbolt group-commit writer (64 producers, fsync, records keyed by event
// id, as in store's BenchmarkIngestVotes) is measured in the same run,
// before and after the ingest; the ratio is against their mean. It prints
// acked events/s, the anchor, the ratio, the ack p50/p99, the peak RssAnon
// (from /proc/PID/status) and Go heap in use (from /metrics) of the tipbot
// process during the ingest, and the same while it serves /tips top
// afterwards. Run it with -benchtime 1x; three runs: -count 3.
func BenchmarkSlackIngestEndToEnd(b *testing.B) {
	const senders, people, tipCount, authors = 64, 10_000, 200, 50
	ingestFor := 60 * time.Second
	if v := os.Getenv("TIPBOT_BENCH_INGEST"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("TIPBOT_BENCH_INGEST: %v", err)
		}
		ingestFor = d
	}
	bin := platBuild(b)
	s := slacktest.NewServer(slacktest.Options{BotToken: psBotToken, PostRate: 1000, PostBurst: 100})
	b.Cleanup(s.Close)
	s.AddChannel(psGeneral, "general")
	author := func(i int) string { return fmt.Sprintf("UA%07d", i%authors) }
	voter := func(i int) string { return fmt.Sprintf("UV%07d", i%people) }
	for i := range authors {
		s.AddUser(slacktest.User{ID: author(i), Name: "author" + strconv.Itoa(i), DisplayName: "Author " + strconv.Itoa(i)})
	}
	for i := range people {
		s.AddUser(slacktest.User{ID: voter(i), Name: "voter" + strconv.Itoa(i), DisplayName: "Voter " + strconv.Itoa(i)})
	}
	dir := b.TempDir()
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
`, filepath.Join(dir, "tipbot.db"), s.URL()), "SLACK_BOT_TOKEN="+psBotToken, "SLACK_SIGNING_SECRET="+psSigning)
	p.waitHealthy(b)
	base := "http://" + p.addr(b)
	pid := p.cmd.Process.Pid
	defer func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(shutdownTimeout + 10*time.Second):
		}
	}()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	post := func(body []byte, ctype string) ([]byte, error) {
		req, err := http.NewRequest(http.MethodPost, base+"/slack/events", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", slacktest.Sign(psSigning, ts, body))
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", res.Status, out)
		}
		return out, nil
	}
	event := func(id string, inner map[string]any) []byte {
		body, _ := json.Marshal(map[string]any{"token": "x", "team_id": "T0TEAM001", "api_app_id": "A0APP0001",
			"type": "event_callback", "event_id": id, "event_time": time.Now().Unix(), "event": inner})
		return body
	}

	rawBefore := rawEventStore(b, senders)

	// The tips: messages in the fake (the bot reacts to them), then their events.
	tips := make([]string, tipCount)
	for i := range tips {
		tips[i] = s.AddMessage(psGeneral, author(i), "", fmt.Sprintf("tip: number %d, bisect before you guess #git #ci", i))
	}
	send(b, senders, tipCount, func(i int64) error {
		_, err := post(event(fmt.Sprintf("EvTIP%06d", i), map[string]any{"type": "message", "channel": psGeneral,
			"user": author(int(i)), "text": fmt.Sprintf("tip: number %d, bisect before you guess #git #ci", i),
			"ts": tips[i], "event_ts": tips[i], "channel_type": "channel"}), "application/json")
		return err
	}, nil)

	// The ingest, with the process's memory sampled meanwhile.
	sampler := sampleMemory(b, pid, base+"/metrics")
	cpuBefore, selfBefore := processCPU(pid), processCPU(os.Getpid())
	deadline := time.Now().Add(ingestFor)
	start := time.Now()
	// The vote bodies are written by hand: the senders stand for Slack's
	// servers, and their CPU is taken from tipbot's on this machine.
	emojis := []string{"bulb", "+1", "star"}
	lats := send(b, senders, tipCount*people, func(n int64) error {
		body := make([]byte, 0, 512)
		body = append(body, `{"token":"x","team_id":"T0TEAM001","api_app_id":"A0APP0001","type":"event_callback","event_id":"`...)
		body = append(body, voteEventID(n)...)
		body = append(body, `","event_time":`...)
		body = strconv.AppendInt(body, time.Now().Unix(), 10)
		body = append(body, `,"event":{"type":"reaction_added","user":"`...)
		body = append(body, voter(int(n/tipCount))...)
		body = append(body, `","reaction":"`...)
		body = append(body, emojis[n%3]...)
		body = append(body, `","item_user":"`...)
		body = append(body, author(int(n%tipCount))...)
		body = append(body, `","item":{"type":"message","channel":"`+psGeneral+`","ts":"`...)
		body = append(body, tips[n%tipCount]...)
		body = append(body, `"},"event_ts":"1764237600.000100"}}`...)
		_, err := post(body, "application/json")
		return err
	}, func() bool { return time.Now().After(deadline) })
	took := time.Since(start)
	cpu, self := processCPU(pid)-cpuBefore, processCPU(os.Getpid())-selfBefore
	ingestRSS, ingestHeap := sampler.stop()
	batches := scrape(b, base+"/metrics", "tipbot_store_batch_size_count")
	batched := scrape(b, base+"/metrics", "tipbot_store_batch_size_sum")
	commitSecs := scrape(b, base+"/metrics", "tipbot_store_commit_seconds_sum")
	acked := len(lats)
	eps := float64(acked) / took.Seconds()

	// Serving after the ingest: /tips top month, one after the other.
	sampler = sampleMemory(b, pid, base+"/metrics")
	var cmdLats []time.Duration
	for i := range 300 {
		form := url.Values{"command": {"/tips"}, "text": {"top month"}, "team_id": {"T0TEAM001"}, "channel_id": {psGeneral},
			"user_id": {voter(i)}, "user_name": {"voter"}, "trigger_id": {fmt.Sprintf("trig%d", i)},
			"response_url": {s.URL() + "nowhere"}}
		t := time.Now()
		out, err := post([]byte(form.Encode()), "application/x-www-form-urlencoded")
		if err != nil {
			b.Fatal(err)
		}
		cmdLats = append(cmdLats, time.Since(t))
		if i == 0 && !strings.Contains(string(out), "Leaderboard") {
			b.Fatalf("/tips top month answered %s", out)
		}
	}
	servingRSS, servingHeap := sampler.stop()

	rawAfter := rawEventStore(b, senders)
	raw := (rawBefore + rawAfter) / 2
	votes := scrape(b, base+"/metrics", "tipbot_useful_votes")
	if int(votes) != acked {
		b.Errorf("useful votes counted = %.0f, want %d (every acked vote)", votes, acked)
	}
	slices.Sort(lats)
	slices.Sort(cmdLats)
	p50, p99 := lats[len(lats)/2], lats[len(lats)*99/100]
	ratio := eps / raw
	b.ReportMetric(eps, "acked-events/s")
	b.ReportMetric(raw, "raw-commits/s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(ms(p99), "ack-p99-ms")
	b.ReportMetric(float64(ingestRSS)/(1<<20), "peak-RssAnon-MiB")
	b.ReportMetric(float64(ingestHeap)/(1<<20), "peak-heap-MiB")
	b.Logf("%d votes acked in %v from %d senders: %.0f events/s; raw group commit (same run) %.0f/s (before %.0f, after %.0f) → %.2f× (target ≥ 0.5: %s)",
		acked, took.Round(time.Millisecond), senders, eps, raw, rawBefore, rawAfter, ratio, verdict(ratio >= 0.5))
	b.Logf("ack p50 %.1f ms, p99 %.1f ms (target ≤ 50 ms: %s)", ms(p50), ms(p99), verdict(ms(p99) <= 50))
	b.Logf("tipbot's store: %.0f commits, %.1f updates and %.1f ms each on average (tips included)",
		batches, batched/batches, 1000*commitSecs/batches)
	b.Logf("CPU during the ingest: tipbot %.1f s (%.0f µs an event), the senders and the fake %.1f s, of %.1f s × %d cores",
		cpu.Seconds(), float64(cpu.Microseconds())/float64(acked), self.Seconds(), took.Seconds(), runtime.NumCPU())
	b.Logf("tipbot process during the ingest: peak RssAnon %.1f MiB, peak Go heap in use %.1f MiB", mib(ingestRSS), mib(ingestHeap))
	b.Logf("serving /tips top month after the ingest: peak RssAnon %.1f MiB (target ≤ 100 MB: %s), peak Go heap in use %.1f MiB (target ≤ 64 MB: %s); p50 %.2f ms, p99 %.2f ms",
		mib(servingRSS), verdict(servingRSS <= 100e6), mib(servingHeap), verdict(servingHeap <= 64e6), ms(cmdLats[len(cmdLats)/2]), ms(cmdLats[len(cmdLats)*99/100]))
	if fi, err := os.Stat(filepath.Join(dir, "tipbot.db")); err == nil {
		b.Logf("database file: %.1f MiB", mib(uint64(fi.Size())))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(n uint64) float64       { return float64(n) / (1 << 20) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// voteEventID is the n-th vote's event id, shaped like Slack's and spread
// over the key space by a hash of n.
func voteEventID(n int64) string {
	h := uint64(n) + 0x9e3779b97f4a7c15 // splitmix64
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	h ^= h >> 31
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	id := []byte("Ev00000000000")
	for i := len(id) - 1; i >= 2; i-- {
		id[i] = digits[h%36]
		h /= 36
	}
	return string(id)
}

// send runs do(0..n-1) from senders goroutines, each waiting for its call
// before taking the next, until n calls or done() says stop, and returns
// the latency of every call.
func send(b *testing.B, senders, n int, do func(i int64) error, done func() bool) []time.Duration {
	b.Helper()
	var next atomic.Int64
	lats := make([][]time.Duration, senders)
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			for done == nil || !done() {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t := time.Now()
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
				lats[w] = append(lats[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	return slices.Concat(lats...)
}

// processCPU returns the user and system CPU time a process has used so
// far (0 when unreadable).
func processCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (in parentheses): utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	_, rest, _ := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// memSampler records the peaks of a process's RssAnon and Go heap in use.
type memSampler struct {
	stopped chan struct{}
	done    chan struct{}
	rss     uint64
	heap    uint64
}

// sampleMemory reads /proc/PID/status every 100 ms and heap figures from
// tipbot's /metrics every 500 ms until stop.
func sampleMemory(b *testing.B, pid int, metrics string) *memSampler {
	m := &memSampler{stopped: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			if rss := rssAnon(pid); rss > m.rss {
				m.rss = rss
			}
			if i%5 == 0 {
				if h := uint64(scrape(b, metrics, "go_memstats_heap_inuse_bytes")); h > m.heap {
					m.heap = h
				}
			}
			select {
			case <-m.stopped:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *memSampler) stop() (rss, heap uint64) {
	close(m.stopped)
	<-m.done
	return m.rss, m.heap
}

// rssAnon returns a process's resident anonymous memory in bytes (0 when
// unreadable).
func rssAnon(pid int) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// scrape reads one unlabelled metric from a Prometheus endpoint.
func scrape(b *testing.B, url, name string) float64 {
	res, err := http.Get(url)
	if err != nil {
		b.Error(err)
		return 0
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	b.Errorf("%s: no %s", url, name)
	return 0
}

// rawEventStore is the anchor: writers goroutines each put 40,000 ~330-byte
// records in all, one at a time, keyed by event id, through a queue that
// one goroutine drains into one bbolt transaction per drain (group
// commit), fsync on, into a fresh file; it returns records committed per
// second. It is store's rawGroupCommit (BenchmarkIngestVotes' anchor).
func rawEventStore(b *testing.B, writers int) float64 {
	const events = 40_000
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{Timeout: time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bucket := []byte("events")
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		b.Fatal(err)
	}
	type req struct {
		key, val []byte
		done     chan error
	}
	queue := make(chan *req, writers)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for r := range queue {
			batch := []*req{r}
		more:
			for {
				select {
				case r, ok := <-queue:
					if !ok {
						break more
					}
					batch = append(batch, r)
				default:
					break more
				}
			}
			err := db.Update(func(tx *bbolt.Tx) error {
				bk := tx.Bucket(bucket)
				for _, r := range batch {
					if err := bk.Put(r.key, r.val); err != nil {
						return err
					}
				}
				return nil
			})
			for _, r := range batch {
				r.done <- err
			}
		}
	}()
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			val := make([]byte, 330)
			done := make(chan error, 1)
			for {
				n := next.Add(1)
				if n > events {
					return
				}
				binary.BigEndian.PutUint64(val, uint64(n))
				queue <- &req{key: []byte(voteEventID(n)), val: val, done: done}
				if err := <-done; err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	eps := events / time.Since(start).Seconds()
	close(queue)
	<-drained
	return eps
}
