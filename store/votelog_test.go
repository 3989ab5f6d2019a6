package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// voteModel is what the votes of a workspace should be: "tip voter" →
// emojis joined by commas.
type voteModel map[string]string

func modelKey(tip bot.TipID, voter string) string { return fmt.Sprintf("%d %s", tip, voter) }

// checkVotes compares every way of reading votes with the model. It
// returns the first difference: it runs in the writer's goroutine too.
func checkVotes(label string, tx bot.ReadTx, model voteModel, tips []bot.TipID, voters []string) error {
	for _, tip := range tips {
		var got []string
		if err := tx.ForEachVote(tip, func(voter string, v bot.Vote) error {
			got = append(got, voter+"="+strings.Join(v.Emojis, ","))
			return nil
		}); err != nil {
			return fmt.Errorf("%s: ForEachVote(%d): %v", label, tip, err)
		}
		var want []string
		for _, voter := range voters {
			if e, ok := model[modelKey(tip, voter)]; ok {
				want = append(want, voter+"="+e)
			}
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s: ForEachVote(%d) = %v, want %v", label, tip, got, want)
		}
		for _, voter := range voters {
			v, err := tx.Vote(tip, voter)
			e, ok := model[modelKey(tip, voter)]
			switch {
			case ok && (err != nil || strings.Join(v.Emojis, ",") != e):
				return fmt.Errorf("%s: Vote(%d, %s) = %v, %v; want %s", label, tip, voter, v, err, e)
			case !ok && !errors.Is(err, bot.ErrNotFound):
				return fmt.Errorf("%s: Vote(%d, %s) = %v, %v; want not found", label, tip, voter, v, err)
			}
		}
	}
	for _, voter := range voters {
		refs, err := tx.VotesBy(voter)
		if err != nil {
			return fmt.Errorf("%s: VotesBy(%s): %v", label, voter, err)
		}
		var want []bot.TipID
		for _, tip := range tips {
			if _, ok := model[modelKey(tip, voter)]; ok {
				want = append(want, tip)
			}
		}
		if !slices.Equal(refs.Tips, want) {
			return fmt.Errorf("%s: VotesBy(%s) = %v, want %v", label, voter, refs.Tips, want)
		}
	}
	return nil
}

// TestVoteLog changes votes at random, commit after commit, merging the
// logs now and then, reopening the file and opening copies of it taken
// while it was open (as after a crash, with votes still in the log): every
// read, in write and read-only transactions, matches a model.
func TestVoteLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tipbot.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	rng := rand.New(rand.NewPCG(11, 7))
	tips := []bot.TipID{1, 2, 3, 4, 5}
	voters := []string{"U1", "U2", "U3", "U4", "U5", "U6"}
	emojis := []string{"bulb", "+1", "star"}
	model := voteModel{}
	for tip := range slices.Values(tips) {
		update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(logTip(tip)) })
	}
	ctx := context.Background()
	for round := range 300 {
		next := maps.Clone(model)
		err := db.Update(ctx, wsA, func(tx bot.Tx) error {
			next = maps.Clone(model)
			for range 1 + rng.IntN(4) {
				tip, voter := tips[rng.IntN(len(tips))], voters[rng.IntN(len(voters))]
				k := modelKey(tip, voter)
				switch op := rng.IntN(10); {
				case op < 5:
					set := slices.Clone(emojis[:1+rng.IntN(len(emojis))])
					if err := tx.PutVote(tip, voter, bot.Vote{Emojis: set}); err != nil {
						return err
					}
					next[k] = strings.Join(set, ",")
				case op < 8:
					if err := tx.DeleteVote(tip, voter); err != nil {
						return err
					}
					delete(next, k)
				case op < 9:
					to := voters[rng.IntN(len(voters))]
					refs, err := tx.VotesBy(voter)
					if err != nil {
						return err
					}
					if _, err := tx.ReassignVotes(refs, voter, to); err != nil {
						return err
					}
					if to != voter {
						for _, id := range refs.Tips {
							from, dest := modelKey(id, voter), modelKey(id, to)
							set := strings.Split(next[from], ",")
							if next[dest] != "" { // merged, sorted
								set = append(set, strings.Split(next[dest], ",")...)
								slices.Sort(set)
								set = slices.Compact(set)
							}
							next[dest] = strings.Join(set, ",")
							delete(next, from)
						}
					}
				default:
					if err := tx.DeleteTip(tip); err != nil {
						return err
					}
					if err := tx.PutTip(logTip(tip)); err != nil {
						return err
					}
					for _, voter := range voters {
						delete(next, modelKey(tip, voter))
					}
				}
			}
			// The transaction reads its own changes.
			return checkVotes(fmt.Sprintf("round %d, in its transaction", round), tx, next, tips, voters)
		})
		if err != nil {
			t.Fatal(err)
		}
		model = next
		label := fmt.Sprintf("round %d", round)
		view(t, db, wsA, func(tx bot.ReadTx) error { return checkVotes(label+", view", tx, model, tips, voters) })
		update(t, db, wsA, func(tx bot.Tx) error { return checkVotes(label+", update", tx, model, tips, voters) })
		switch rng.IntN(20) {
		case 0: // merge now (the writer is idle between Updates)
			db.mergeVotes()
		case 1: // a copy taken while open: its log is read from the file
			copyPath := filepath.Join(dir, fmt.Sprintf("copy%d.db", round))
			f, err := os.Create(copyPath)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Backup(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			c, err := Open(copyPath, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			view(t, c, wsA, func(tx bot.ReadTx) error { return checkVotes(label+", copy view", tx, model, tips, voters) })
			update(t, c, wsA, func(tx bot.Tx) error { return checkVotes(label+", copy update", tx, model, tips, voters) })
			if err := c.Check(); err != nil {
				t.Fatal(err)
			}
			c.Close()
		case 2: // reopen: Close merges
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if n := rawCount(t, path, "votelog"); n != 0 {
				t.Fatalf("%s: %d records left in the vote log after Close", label, n)
			}
			if db, err = Open(path, Options{NoSync: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

// rawCount counts the keys of a bucket of wsA, reading the file with bbolt.
func rawCount(t *testing.T, path, bucket string) int {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	if err := b.View(func(tx *bbolt.Tx) error {
		ws := tx.Bucket(bucketWS).Bucket([]byte(wsA.Key()))
		if ws == nil {
			return nil
		}
		n = countKeys(ws.Bucket([]byte(bucket)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestVoteLogMerges: votes stay in the log, a record a commit, until it
// holds mergeVotesAt of them; then the writer moves them to the votes
// bucket and empties the log.
func TestVoteLogMerges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db := mustOpenPath(t, path)
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(logTip(1)) })
	const perCommit = 64
	commits := mergeVotesAt/perCommit - 1
	for c := range commits {
		update(t, db, wsA, func(tx bot.Tx) error {
			for i := range perCommit {
				if err := tx.PutVote(1, fmt.Sprintf("U%05d", c*perCommit+i), bot.Vote{Emojis: []string{"bulb"}}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	logged, stored := logState(t, db)
	if logged != commits || stored != 0 {
		t.Fatalf("before the merge: %d log records and %d votes in the bucket, want %d and 0", logged, stored, commits)
	}
	update(t, db, wsA, func(tx bot.Tx) error {
		for i := range perCommit {
			if err := tx.PutVote(1, fmt.Sprintf("V%05d", i), bot.Vote{Emojis: []string{"bulb"}}); err != nil {
				return err
			}
		}
		return nil
	})
	// The merge runs on the writer right after that commit: the next
	// Update comes after it.
	update(t, db, wsA, func(tx bot.Tx) error { return nil })
	logged, stored = logState(t, db)
	if logged != 0 || stored != mergeVotesAt {
		t.Fatalf("after the merge: %d log records and %d votes in the bucket, want 0 and %d", logged, stored, mergeVotesAt)
	}
	n := 0
	view(t, db, wsA, func(tx bot.ReadTx) error {
		return tx.ForEachVote(1, func(string, bot.Vote) error { n++; return nil })
	})
	if n != mergeVotesAt {
		t.Errorf("ForEachVote counts %d votes, want %d", n, mergeVotesAt)
	}
}

// logState returns the number of records in wsA's vote log and of votes
// in its votes bucket.
func logState(t testing.TB, db *DB) (logged, stored int) {
	t.Helper()
	if err := db.view(func(btx *bbolt.Tx) error {
		ws := btx.Bucket(bucketWS).Bucket([]byte(wsA.Key()))
		logged, stored = countKeys(ws.Bucket(sub[bVoteLog].name)), countKeys(ws.Bucket(sub[bVotes].name))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return logged, stored
}

// TestEraseCountsLoggedVotes: erasing a workspace counts the votes still
// in its log, and a workspace written again afterwards starts with none.
func TestEraseCountsLoggedVotes(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.PutTip(logTip(1)); err != nil {
			return err
		}
		return tx.PutVote(1, "U1", bot.Vote{Emojis: []string{"bulb"}})
	})
	db.mergeVotes()
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.PutVote(1, "U2", bot.Vote{Emojis: []string{"bulb"}}); err != nil {
			return err
		}
		if err := tx.PutVote(1, "U3", bot.Vote{Emojis: []string{"bulb"}}); err != nil {
			return err
		}
		return tx.DeleteVote(1, "U1")
	})
	tally, err := db.EraseWorkspace(context.Background(), wsA)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(tally, func(x Tally) bool { return x.What == "votes" }); i < 0 || tally[i].N != 2 {
		t.Errorf("erase tally = %v, want 2 votes", tally)
	}
	update(t, db, wsA, func(tx bot.Tx) error {
		if _, err := tx.Vote(1, "U2"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Vote(1, U2) after erase: %v, want not found", err)
		}
		return nil
	})
}

// logTip is a ranked tip of its own message.
func logTip(id bot.TipID) bot.Tip {
	tip := sampleTip2(id)
	tip.MessageID = fmt.Sprintf("m%d", id)
	return tip
}

// TestVoteLogMergeBackoff: after a failed merge the next is put off until
// mergeVotesAt more votes are logged, and a merge that succeeds brings the
// threshold back.
func TestVoteLogMergeBackoff(t *testing.T) {
	l := newVoteLogs()
	o, err := l.workspace("w", nil)
	if err != nil || len(o) != 0 {
		t.Fatalf("workspace = %v, %v", o, err)
	}
	logVotes := func(from, n int) bool {
		p := &pending{votes: voteOverlay{}}
		for i := from; i < from+n; i++ {
			p.votes[fmt.Sprintf("k%06d", i)] = []byte{1}
		}
		return l.committed(&batch{ws: map[string]*pending{"w": p}})
	}
	if logVotes(0, mergeVotesAt-1) {
		t.Fatal("merge asked for below mergeVotesAt")
	}
	if !logVotes(mergeVotesAt-1, 1) {
		t.Fatal("no merge asked for at mergeVotesAt")
	}
	l.failed()
	if logVotes(mergeVotesAt, mergeVotesAt-1) {
		t.Fatal("merge asked for again right after a failure")
	}
	if !logVotes(2*mergeVotesAt-1, 1) {
		t.Fatal("no merge asked for mergeVotesAt votes after a failure")
	}
	l.merged(l.loaded())
	if l.n != 0 || l.mergeAt != mergeVotesAt {
		t.Fatalf("after a merge: n %d, mergeAt %d", l.n, l.mergeAt)
	}
	if logVotes(0, 1) {
		t.Fatal("merge asked for one vote after a merge")
	}
}

// TestCheckReadsTheVoteLog: the full check decodes the vote log's records
// and names one that does not decode.
func TestCheckReadsTheVoteLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db := openWithVote(t, path)
	if err := db.view(func(btx *bbolt.Tx) error {
		if n := countKeys(btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bVoteLog].name)); n != 1 {
			t.Errorf("vote log records before Close: %d, want 1", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A sound log: the check finds nothing.
	if rep, err := checkFile(path, nil); err != nil || !rep.Sound() {
		t.Fatalf("check of a sound file: %v, %v", rep.Problems, err)
	}
	db.votes.forget(wsA.Key()) // keep Close from merging the log away
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(func(btx *bbolt.Tx) error {
		log := btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bVoteLog].name)
		return log.Put(u64(2), []byte{5, 'x'}) // a length past the record's end
	}); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	rep, err := checkFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "vote log record") }) {
		t.Errorf("check of a bad vote log record: %q", rep.Problems)
	}
}

// TestSalvageKeepsTheVoteLog: a file left with votes in its log (tipbot
// stopped without merging them) gives them back through salvage.
func TestSalvageKeepsTheVoteLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tipbot.db")
	db := openWithVote(t, path)
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutVote(1, "U2", bot.Vote{Emojis: []string{"star"}}) })
	db.mergeVotes()
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.DeleteVote(1, "U1"); err != nil {
			return err
		}
		return tx.PutVote(1, "U3", bot.Vote{Emojis: []string{"+1"}})
	})
	db.votes.forget(wsA.Key()) // as after a crash: the log is not merged
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "saved.db")
	if _, err := Salvage(path, saved); err != nil {
		t.Fatal(err)
	}
	s := mustOpenPath(t, saved)
	view(t, s, wsA, func(tx bot.ReadTx) error {
		return checkVotes("salvaged", tx, voteModel{"1 U2": "star", "1 U3": "+1"}, []bot.TipID{1}, []string{"U1", "U2", "U3"})
	})
}

// BenchmarkViewReadsFullVoteLog measures a read-only transaction's first
// vote read when the log is about to be merged (mergeVotesAt-1 votes, in
// records of 64): it decodes the whole log of its snapshot.
func BenchmarkViewReadsFullVoteLog(b *testing.B) {
	db := mustOpen(b)
	update(b, db, wsA, func(tx bot.Tx) error { return tx.PutTip(logTip(1)) })
	for c := 0; c < mergeVotesAt-1; c += 64 {
		update(b, db, wsA, func(tx bot.Tx) error {
			for i := c; i < min(c+64, mergeVotesAt-1); i++ {
				if err := tx.PutVote(1, fmt.Sprintf("U%07d", i), bot.Vote{Emojis: []string{"bulb"}}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if logged, stored := logState(b, db); logged == 0 || stored != 0 {
		b.Fatalf("%d log records, %d votes merged: want all in the log", logged, stored)
	}
	for b.Loop() {
		view(b, db, wsA, func(tx bot.ReadTx) error {
			_, err := tx.Vote(1, "U0000007")
			return err
		})
	}
}

// TestVoteLogConcurrentReaders: while 8 writers add votes through several
// merges, readers in read-only transactions never see a tip's count of
// votes go down (a merge changes where the votes are, not what a snapshot
// holds), and in the end every vote is there once.
func TestVoteLogConcurrentReaders(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(logTip(1)) })
	const writers, each = 8, 3 * mergeVotesAt / 8
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, writers+2)
	for w := range writers {
		go func() {
			for i := range each {
				voter := fmt.Sprintf("W%d-%05d", w, i)
				if err := db.Update(ctx, wsA, func(tx bot.Tx) error {
					return tx.PutVote(1, voter, bot.Vote{Emojis: []string{"bulb"}})
				}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		go func() {
			last := 0
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				n := 0
				if err := db.View(ctx, wsA, func(tx bot.ReadTx) error {
					return tx.ForEachVote(1, func(string, bot.Vote) error { n++; return nil })
				}); err != nil {
					errs <- err
					return
				}
				if n < last {
					errs <- fmt.Errorf("a reader saw %d votes after %d", n, last)
					return
				}
				last = n
			}
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	view(t, db, wsA, func(tx bot.ReadTx) error {
		return tx.ForEachVote(1, func(string, bot.Vote) error { n++; return nil })
	})
	if n != writers*each {
		t.Errorf("%d votes, want %d", n, writers*each)
	}
	if _, stored := logState(t, db); stored < 2*mergeVotesAt {
		t.Errorf("%d votes merged into the bucket, want at least %d (two merges)", stored, 2*mergeVotesAt)
	}
}

// openWithVote opens a database at path (the caller closes it) holding
// tip 1 and U1's vote on it, still in the vote log.
func openWithVote(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.PutTip(logTip(1)); err != nil {
			return err
		}
		return tx.PutVote(1, "U1", bot.Vote{Emojis: []string{"bulb"}})
	})
	return db
}
