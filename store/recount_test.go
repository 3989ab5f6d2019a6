package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

var (
	recountWords   = strings.Fields("bisect rebase stash commit docker compose kubectl logs grep regex vim macro shell alias cache")
	recountTopics  = []string{"git", "docker", "k8s", "vim", "shell"}
	recountAuthors = []string{"U1", "U2", "U3", "U4", "U5", "U6"}
	recountStatus  = []bot.Status{bot.StatusPublished, bot.StatusPublished, bot.StatusFeatured, bot.StatusPending, bot.StatusRejected}
)

func randomText(r *rand.Rand) string {
	var words []string
	for range 3 + r.IntN(5) {
		words = append(words, recountWords[r.IntN(len(recountWords))])
	}
	for range r.IntN(3) {
		words = append(words, "#"+recountTopics[r.IntN(len(recountTopics))])
	}
	if r.IntN(4) == 0 { // a rare word, so that terms also vanish from the index
		words = append(words, fmt.Sprintf("rare%d", r.IntN(30)))
	}
	return strings.Join(words, " ")
}

func randomCreated(r *rand.Rand) time.Time {
	return time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(100*24)) * time.Hour)
}

func setText(tip *bot.Tip, text string) {
	tip.Text = text
	tip.Topics = bot.Topics(text, nil)
}

// randomHistory applies a seeded random sequence of tip and vote changes
// in many transactions, some of which fail and must leave nothing.
func randomHistory(t *testing.T, db *DB, ws bot.Workspace, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	var live []bot.TipID
	errFail := errors.New("deliberate failure")
	for round := range 40 {
		fail := round%9 == 4
		err := db.Update(context.Background(), ws, func(tx bot.Tx) error {
			for range 1 + r.IntN(15) {
				op := r.IntN(10)
				if len(live) == 0 || op < 3 {
					id, err := tx.NextTipID()
					if err != nil {
						return err
					}
					created := randomCreated(r)
					tip := bot.Tip{ID: id, Channel: "C1", MessageID: "m" + itoa(int(id)),
						AuthorID: recountAuthors[r.IntN(len(recountAuthors))], Source: bot.SourcePrefix,
						Status: recountStatus[r.IntN(len(recountStatus))], UsefulVotes: r.IntN(4),
						CreatedAt: created, Periods: bot.PeriodKeys(created, time.UTC)}
					setText(&tip, randomText(r))
					if err := tx.PutTip(tip); err != nil {
						return err
					}
					if !fail {
						live = append(live, id)
					}
					continue
				}
				id := live[r.IntN(len(live))]
				tip, err := tx.Tip(id)
				if errors.Is(err, bot.ErrNotFound) {
					continue // created in a failed round
				}
				if err != nil {
					return err
				}
				switch op {
				case 3:
					setText(&tip, randomText(r))
				case 4:
					tip.Status = recountStatus[r.IntN(len(recountStatus))]
				case 5, 6:
					voter := recountAuthors[r.IntN(len(recountAuthors))]
					if r.IntN(2) == 0 {
						if err := tx.PutVote(id, voter, bot.Vote{Emojis: []string{"bulb"}}); err != nil {
							return err
						}
						tip.UsefulVotes++
					} else {
						if err := tx.DeleteVote(id, voter); err != nil {
							return err
						}
						tip.UsefulVotes = max(tip.UsefulVotes-1, 0)
					}
				case 7:
					tip.AuthorID = recountAuthors[r.IntN(len(recountAuthors))]
					tip.Periods = bot.PeriodKeys(randomCreated(r), time.UTC)
				case 8:
					// Duplicate put: the same tip again changes nothing.
				case 9:
					if err := tx.DeleteTip(id); err != nil {
						return err
					}
					continue
				}
				if err := tx.PutTip(tip); err != nil {
					return err
				}
			}
			if fail {
				return errFail
			}
			return nil
		})
		if fail != errors.Is(err, errFail) || (!fail && err != nil) {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

type tally struct{ votes, tips int64 }

// recount computes every board and search answer from the stored tips.
type recount struct {
	tips    map[string][]bot.Tip
	authors map[string]map[string]tally
	topics  map[string]map[string]tally
	experts map[string]map[string]tally
	ranked  []bot.Tip
}

func recountFrom(t *testing.T, tx bot.ReadTx) recount {
	rc := recount{tips: map[string][]bot.Tip{}, authors: map[string]map[string]tally{},
		topics: map[string]map[string]tally{}, experts: map[string]map[string]tally{}}
	add := func(m map[string]map[string]tally, board, member string, votes int) {
		if m[board] == nil {
			m[board] = map[string]tally{}
		}
		s := m[board][member]
		m[board][member] = tally{s.votes + int64(votes), s.tips + 1}
	}
	err := tx.ForEachTip(func(tip bot.Tip) error {
		if !tip.Ranked() {
			return nil
		}
		rc.ranked = append(rc.ranked, tip)
		for _, p := range tip.Periods {
			rc.tips[p] = append(rc.tips[p], tip)
			add(rc.authors, p, tip.AuthorID, tip.UsefulVotes)
			for _, topic := range tip.Topics {
				add(rc.topics, p, topic, tip.UsefulVotes)
			}
		}
		for _, topic := range tip.Topics {
			add(rc.experts, topic, tip.AuthorID, tip.UsefulVotes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func sortedStandings(m map[string]tally, topics bool) []bot.Standing {
	var out []bot.Standing
	for member, s := range m {
		out = append(out, bot.Standing{Member: member, Votes: s.votes, Tips: s.tips})
	}
	slices.SortFunc(out, func(a, b bot.Standing) int {
		if topics {
			return cmp.Or(-cmp.Compare(a.Tips, b.Tips), -cmp.Compare(a.Votes, b.Votes), strings.Compare(a.Member, b.Member))
		}
		return cmp.Or(-cmp.Compare(a.Votes, b.Votes), -cmp.Compare(a.Tips, b.Tips), strings.Compare(a.Member, b.Member))
	})
	return out
}

func checkAgainstRecount(t *testing.T, db *DB, ws bot.Workspace, periods map[string]bool) {
	t.Helper()
	view(t, db, ws, func(tx bot.ReadTx) error {
		rc := recountFrom(t, tx)
		if len(rc.ranked) < 20 {
			t.Fatalf("only %d ranked tips: the history is too thin to test much", len(rc.ranked))
		}
		for p := range periods {
			want := slices.Clone(rc.tips[p])
			slices.SortFunc(want, func(a, b bot.Tip) int {
				return cmp.Or(-cmp.Compare(a.UsefulVotes, b.UsefulVotes), cmp.Compare(a.ID, b.ID))
			})
			got, err := tx.TopTips(p, 1000)
			if err != nil || !reflect.DeepEqual(ids(got), ids(want)) {
				t.Errorf("TopTips(%s) = %v, %v\nwant %v", p, ids(got), err, ids(want))
			}
			if got, _ := tx.TopTips(p, 3); len(want) >= 3 && !reflect.DeepEqual(ids(got), ids(want[:3])) {
				t.Errorf("TopTips(%s, 3) = %v, want %v", p, ids(got), ids(want[:3]))
			}
			wantAuthors := sortedStandings(rc.authors[p], false)
			gotAuthors, err := tx.TopAuthors(p, 1000)
			if err != nil || !equalStandings(gotAuthors, wantAuthors) {
				t.Errorf("TopAuthors(%s) = %v, %v\nwant %v", p, gotAuthors, err, wantAuthors)
			}
			if n, err := tx.CountAuthors(p); err != nil || n != len(wantAuthors) {
				t.Errorf("CountAuthors(%s) = %d, %v; want %d", p, n, err, len(wantAuthors))
			}
			for _, a := range recountAuthors {
				i := slices.IndexFunc(wantAuthors, func(s bot.Standing) bool { return s.Member == a })
				s, rank, err := tx.AuthorRank(p, a)
				if i < 0 {
					if !errors.Is(err, bot.ErrNotFound) {
						t.Errorf("AuthorRank(%s, %s) = %v, %d, %v; want ErrNotFound", p, a, s, rank, err)
					}
					continue
				}
				if err != nil || s != wantAuthors[i] || rank != i+1 {
					t.Errorf("AuthorRank(%s, %s) = %v, %d, %v; want %v, %d", p, a, s, rank, err, wantAuthors[i], i+1)
				}
			}
			wantTopics := sortedStandings(rc.topics[p], true)
			if got, err := tx.TopTopics(p, 1000); err != nil || !equalStandings(got, wantTopics) {
				t.Errorf("TopTopics(%s) = %v, %v\nwant %v", p, got, err, wantTopics)
			}
		}
		for _, topic := range recountTopics {
			want := sortedStandings(rc.experts[topic], false)
			if got, err := tx.Experts(topic, 1000); err != nil || !equalStandings(got, want) {
				t.Errorf("Experts(%s) = %v, %v\nwant %v", topic, got, err, want)
			}
			if got, _ := tx.Experts(topic, 2); len(want) >= 2 && !equalStandings(got, want[:2]) {
				t.Errorf("Experts(%s, 2) = %v, want %v", topic, got, want[:2])
			}
		}
		var queries [][]string
		terms := append(slices.Clone(recountWords), "#git", "#vim", "git", "absent", "rare1", "rare2", "rare3")
		for i, a := range terms {
			queries = append(queries, []string{a})
			for _, b := range terms[i+1:] {
				queries = append(queries, []string{a, b})
			}
		}
		queries = append(queries, []string{"bisect", "rebase", "#git"}, []string{"stash", "stash"}, nil)
		for _, q := range queries {
			var want []bot.Tip
			for _, tip := range rc.ranked {
				have := bot.SearchTerms(tip)
				if len(q) > 0 && !slices.ContainsFunc(q, func(term string) bool { return !slices.Contains(have, term) }) {
					want = append(want, tip)
				}
			}
			slices.SortFunc(want, func(a, b bot.Tip) int {
				return cmp.Or(-cmp.Compare(a.UsefulVotes, b.UsefulVotes), -cmp.Compare(a.ID, b.ID))
			})
			got, err := tx.SearchTips(q, 1000)
			if err != nil || !reflect.DeepEqual(ids(got), ids(want)) {
				t.Errorf("SearchTips(%q) = %v, %v\nwant %v", q, ids(got), err, ids(want))
			}
			if got, _ := tx.SearchTips(q, 2); len(want) >= 2 && !reflect.DeepEqual(ids(got), ids(want[:2])) {
				t.Errorf("SearchTips(%q, 2) = %v, want %v", q, ids(got), ids(want[:2]))
			}
		}
		return nil
	})
}

func equalStandings(a, b []bot.Standing) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// dumpIndexes lists every key and value of a workspace's derived buckets
// (message and author indexes, boards, terms), nested buckets included.
func dumpIndexes(t *testing.T, db *DB, ws bot.Workspace) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, b *bbolt.Bucket)
	walk = func(prefix string, b *bbolt.Bucket) {
		_ = b.ForEach(func(k, v []byte) error {
			if v == nil {
				if nb := b.Bucket(k); nb != nil {
					walk(fmt.Sprintf("%s/%q", prefix, k), nb)
					return nil
				}
			}
			out[fmt.Sprintf("%s/%q", prefix, k)] = fmt.Sprintf("%q", v)
			return nil
		})
	}
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		w := btx.Bucket(bucketWS).Bucket([]byte(ws.Key()))
		for _, i := range []int{bMsgs, bAuthors, bBoards, bChannels} {
			walk(string(sub[i].name), w.Bucket(sub[i].name))
		}
		// Postings are compared by content: their blocks depend on history.
		for term, ids := range checkPostings(t, w.Bucket(sub[bTerms].name)) {
			out["terms/"+term] = fmt.Sprint(ids)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkPostings verifies the structure of a search index (counts, blocks
// ordered, disjoint, within size) and returns each term's ids, newest first.
func checkPostings(t *testing.T, terms *bbolt.Bucket) map[string][]uint64 {
	t.Helper()
	out := map[string][]uint64{}
	counts := map[string]uint64{}
	var prevTerm string
	var prevMin uint64
	_ = terms.ForEach(func(k, v []byte) error {
		term, rest, ok := cutStr(k)
		if !ok || (len(rest) != 0 && len(rest) != 8) {
			t.Errorf("bad terms key %q", k)
			return nil
		}
		if len(rest) == 0 {
			n, w := binary.Uvarint(v)
			if w <= 0 || n == 0 {
				t.Errorf("term %q: bad count %q", term, v)
			}
			counts[string(term)] = n
			return nil
		}
		ids, err := decodeBlock(blockMin(k), v, nil)
		if err != nil {
			t.Errorf("term %q: %v", term, err)
		}
		if len(ids) > blockMaxIDs+1 || len(v) > blockMaxBytes+16 {
			t.Errorf("term %q: block of %d ids, %d bytes", term, len(ids), len(v))
		}
		if string(term) == prevTerm && ids[len(ids)-1] >= prevMin {
			t.Errorf("term %q: block %v overlaps the newer block starting at %d", term, ids, prevMin)
		}
		prevTerm, prevMin = string(term), ids[0]
		for i := len(ids) - 1; i >= 0; i-- {
			out[string(term)] = append(out[string(term)], ids[i])
		}
		return nil
	})
	for term, ids := range out {
		if counts[term] != uint64(len(ids)) {
			t.Errorf("term %q: count %d, %d postings", term, counts[term], len(ids))
		}
	}
	for term := range counts {
		if _, ok := out[term]; !ok {
			t.Errorf("term %q: count without postings", term)
		}
	}
	return out
}

func allPeriods() map[string]bool {
	periods := map[string]bool{"all": true, "w1999-01": true}
	for h := range 100 * 24 {
		for _, p := range bot.PeriodKeys(randomCreated(rand.New(rand.NewPCG(0, 0))).Add(time.Duration(h)*time.Hour), time.UTC) {
			periods[p] = true
		}
	}
	return periods
}

// checkRebuild compares a workspace's indexes with those built from its
// stored tips in a fresh file.
func checkRebuild(t *testing.T, db *DB, ws bot.Workspace) {
	t.Helper()
	fresh := mustOpen(t)
	var tips []bot.Tip
	view(t, db, ws, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(tip bot.Tip) error { tips = append(tips, tip); return nil })
	})
	putTips(t, fresh, ws, tips)
	got, want := dumpIndexes(t, db, ws), dumpIndexes(t, fresh, ws)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("index %s = %s, rebuilt %s", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("stale index entry %s = %s", k, v)
		}
	}
}

func TestIndexesEqualRecount(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			db := mustOpen(t)
			randomHistory(t, db, wsA, seed)
			randomHistory(t, db, wsB, seed+100) // another workspace in the same file
			checkAgainstRecount(t, db, wsA, allPeriods())
			checkAgainstRecount(t, db, wsB, allPeriods())
			checkRebuild(t, db, wsA)
		})
	}
}

// TestBatchedIndexes queues many updates into one group commit: they
// change the same tips, some read the boards half-way (which applies the
// batch's pending changes early) and some fail after writing.
func TestBatchedIndexes(t *testing.T) {
	db := mustOpen(t)
	randomHistory(t, db, wsA, 5)
	var ids []bot.TipID
	view(t, db, wsA, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(tip bot.Tip) error { ids = append(ids, tip.ID); return nil })
	})
	errFail := errors.New("deliberate failure")
	release := hold(t, db)
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Update(context.Background(), wsA, func(tx bot.Tx) error {
				r := rand.New(rand.NewPCG(uint64(i), 9)) // the same choices each time fn runs
				for range 3 {
					tip, err := tx.Tip(ids[r.IntN(len(ids)/4)]) // a few tips, hit often
					if err != nil {
						return err
					}
					switch r.IntN(4) {
					case 0:
						tip.UsefulVotes = max(0, tip.UsefulVotes+r.IntN(5)-2)
					case 1:
						tip.Status = recountStatus[r.IntN(len(recountStatus))]
					case 2:
						setText(&tip, randomText(r))
					case 3:
						tip.UsefulVotes++
						if err := tx.AddCounter("votes", 1); err != nil {
							return err
						}
					}
					if err := tx.PutTip(tip); err != nil {
						return err
					}
					if r.IntN(3) == 0 {
						// Reads see this batch's changes so far.
						top, err := tx.TopTips("all", 1000)
						if err != nil {
							return err
						}
						if tip.Ranked() != slices.ContainsFunc(top, func(x bot.Tip) bool { return x.ID == tip.ID && x.UsefulVotes == tip.UsefulVotes }) {
							t.Errorf("update %d: TopTips(all) does not show %v as just written", i, tip.ID)
						}
						if c, _ := tx.Counter("votes"); c < 0 {
							t.Errorf("counter %d", c)
						}
					}
				}
				if i%6 == 5 {
					return errFail
				}
				return nil
			})
		})
	}
	waitQueued(t, db, n)
	var before int64
	view(t, db, wsA, func(tx bot.ReadTx) error { before = mustCounter(t, tx, "votes"); return nil })
	release()
	wg.Wait()
	for i, err := range errs {
		if (i%6 == 5) != errors.Is(err, errFail) || (i%6 != 5 && err != nil) {
			t.Errorf("update %d: %v", i, err)
		}
	}
	// Counters: each successful update added one per case-3 change.
	var want int64
	for i := range n {
		if i%6 == 5 {
			continue
		}
		r := rand.New(rand.NewPCG(uint64(i), 9))
		for range 3 {
			r.IntN(len(ids) / 4)
			switch r.IntN(4) {
			case 0:
				r.IntN(5)
			case 1:
				r.IntN(len(recountStatus))
			case 2:
				randomText(r)
			case 3:
				want++
			}
			r.IntN(3)
		}
	}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if got := mustCounter(t, tx, "votes") - before; got != want {
			t.Errorf("votes counter moved by %d, want %d", got, want)
		}
		return nil
	})
	checkAgainstRecount(t, db, wsA, allPeriods())
	checkRebuild(t, db, wsA)
}
