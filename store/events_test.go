package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// seenIn reports EventSeen(id) in a write transaction of its own, where
// the in-memory index answers (a read transaction reads the logs).
func seenIn(t *testing.T, db *DB, ws bot.Workspace, id string) bool {
	t.Helper()
	var ok bool
	update(t, db, ws, func(tx bot.Tx) error {
		var err error
		ok, err = tx.EventSeen(id)
		return err
	})
	return ok
}

// TestEventLog covers the event ids kept as a log with an index in memory
// (events.go): write transactions answer through the index, read ones from
// the logs, both the same; the index is loaded again after a restart; a
// rolled-back batch leaves nothing in it; ids marked in one commit share
// one record at the end of their generation.
func TestEventLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, wsB, func(tx bot.Tx) error {
		for _, id := range []string{"Ev1", "Ev2", "Ev3"} {
			if err := tx.MarkEvent(id, t0); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, db, wsB, func(tx bot.Tx) error { return tx.MarkEvent("Ev4", t0.Add(time.Minute)) })
	for _, id := range []string{"Ev1", "Ev2", "Ev3", "Ev4"} {
		if !seenIn(t, db, wsB, id) {
			t.Errorf("%s not seen by a write transaction", id)
		}
	}
	if seenIn(t, db, wsB, "Ev5") || seenIn(t, db, wsA, "Ev1") {
		t.Error("an id never marked (or marked in another workspace) seen")
	}
	records := 0
	view(t, db, wsB, func(rtx bot.ReadTx) error {
		log := rtx.(*tx).bucket(bEvents).Bucket(logGenName(slotOf(t0)))
		if log == nil {
			t.Fatal("no log generation")
		}
		return log.ForEach(func(k, v []byte) error { records++; return nil })
	})
	if records != 2 {
		t.Errorf("two commits wrote %d log records, want 2", records)
	}

	// A batch rolled back leaves its marks nowhere.
	failed := errors.New("refused")
	if err := db.Update(context.Background(), wsB, func(tx bot.Tx) error {
		if err := tx.MarkEvent("EvLost", t0); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if seenIn(t, db, wsB, "EvLost") {
		t.Error("an id marked in a rolled-back transaction is seen")
	}

	// After a restart the index is loaded from the logs.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenPath(t, path)
	for _, id := range []string{"Ev1", "Ev4"} {
		if !seenIn(t, db, wsB, id) {
			t.Errorf("%s not seen after a restart", id)
		}
	}
	if seenIn(t, db, wsB, "EvLost") {
		t.Error("EvLost seen after a restart")
	}
	// The index follows new commits once loaded.
	update(t, db, wsB, func(tx bot.Tx) error { return tx.MarkEvent("Ev6", t0.Add(2*time.Minute)) })
	if !seenIn(t, db, wsB, "Ev6") {
		t.Error("Ev6 not seen after its commit")
	}
}

// TestEventLogHashCollision makes the index name the wrong record for an
// id, as a collision of two ids' hashes would: EventSeen reads the whole
// log and still answers right.
func TestEventLogHashCollision(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsB, func(tx bot.Tx) error { return tx.MarkEvent("EvA", t0) })
	update(t, db, wsB, func(tx bot.Tx) error { return tx.MarkEvent("EvB", t0) })
	if !seenIn(t, db, wsB, "EvA") {
		t.Fatal("EvA not seen")
	}
	w := db.events.ws[wsB.Key()]
	slot := slotOf(t0)
	w.slots[slot][w.hash("EvA")] = 2 // EvB's record
	if !seenIn(t, db, wsB, "EvA") {
		t.Error("EvA not seen once its hash names another record")
	}
	w.slots[slot][w.hash("EvC")] = 1 // a hash found for an id never marked
	if seenIn(t, db, wsB, "EvC") {
		t.Error("EvC seen: a hash alone must not say seen")
	}
}

// TestEventsFromBeforeTheLog reads a generation written by an earlier
// version (one key per id): its ids are seen, by write and read
// transactions, and it is dropped once it falls behind.
func TestEventsFromBeforeTheLog(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsB, func(tx bot.Tx) error { return tx.MarkEvent("EvNew", t0) })
	if err := db.bolt.Update(func(btx *bbolt.Tx) error {
		events := btx.Bucket(bucketWS).Bucket([]byte(wsB.Key())).Bucket(sub[bEvents].name)
		gen, err := events.CreateBucket(u64(slotOf(t0)))
		if err != nil {
			return err
		}
		return gen.Put([]byte("EvOld"), empty)
	}); err != nil {
		t.Fatal(err)
	}
	if !seenIn(t, db, wsB, "EvOld") || !seenIn(t, db, wsB, "EvNew") {
		t.Error("ids of both kinds of generation not seen by a write transaction")
	}
	view(t, db, wsB, func(tx bot.ReadTx) error {
		for _, id := range []string{"EvOld", "EvNew"} {
			if ok, err := tx.EventSeen(id); err != nil || !ok {
				t.Errorf("EventSeen(%s) in a read transaction = %v, %v", id, ok, err)
			}
		}
		return nil
	})
	update(t, db, wsB, func(tx bot.Tx) error { return tx.MarkEvent("EvLater", t0.Add(4*eventSlot)) })
	if seenIn(t, db, wsB, "EvOld") || seenIn(t, db, wsB, "EvNew") {
		t.Error("ids of generations fallen behind still seen")
	}
	view(t, db, wsB, func(rtx bot.ReadTx) error {
		n := 0
		err := rtx.(*tx).bucket(bEvents).ForEachBucket(func([]byte) error { n++; return nil })
		if n != 1 {
			t.Errorf("%d generations left, want 1", n)
		}
		return err
	})
}

// TestEraseForgetsEvents erases a workspace whose index is loaded: its
// ids are no longer seen.
func TestEraseForgetsEvents(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsB, func(tx bot.Tx) error { return tx.MarkEvent("Ev1", t0) })
	if !seenIn(t, db, wsB, "Ev1") {
		t.Fatal("Ev1 not seen")
	}
	if _, err := db.EraseWorkspace(context.Background(), wsB); err != nil {
		t.Fatal(err)
	}
	if db.events.ws[wsB.Key()] != nil {
		t.Error("the erased workspace's index is still in memory")
	}
	if seenIn(t, db, wsB, "Ev1") {
		t.Error("Ev1 seen after its workspace was erased")
	}
}

// BenchmarkEventIndexMemory marks 360,000 event ids (the end-to-end
// benchmark's minute), 30 a commit, reopens the file and reports what the
// in-memory index the first write loads costs: heap bytes an id, and the
// load's time.
func BenchmarkEventIndexMemory(b *testing.B) {
	const ids, perCommit = 360_000, 30
	path := filepath.Join(b.TempDir(), "tipbot.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	for c := 0; c < ids/perCommit; c++ {
		update(b, db, wsB, func(tx bot.Tx) error {
			for i := range perCommit {
				if err := tx.MarkEvent(fmt.Sprintf("Ev%011d", c*perCommit+i), t0); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		db, err := Open(path, Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		var seen bool
		update(b, db, wsB, func(tx bot.Tx) error {
			seen, err = tx.EventSeen("Ev00000000007")
			return err
		})
		took := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if !seen {
			b.Fatal("a marked id not seen")
		}
		perID := float64(after.HeapAlloc-before.HeapAlloc) / ids
		b.ReportMetric(perID, "heap-B/id")
		b.ReportMetric(float64(took.Milliseconds()), "load-ms")
		b.Logf("index of %d ids: %.1f heap bytes an id (%.1f MiB), loaded in %v", ids, perID, perID*ids/(1<<20), took.Round(time.Millisecond))
		runtime.KeepAlive(db)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
