package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// hold blocks the writer inside an Update until the returned release is
// called, so that later Updates pile up into one batch.
func hold(t *testing.T, db *DB) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- db.Update(context.Background(), wsA, func(tx bot.Tx) error {
			select {
			case <-started:
			default:
				close(started)
			}
			<-gate
			return tx.AddCounter("held", 1)
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-errc; err != nil {
			t.Errorf("held update: %v", err)
		}
	}
}

// waitQueued waits until n Updates are queued behind the writer.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.mu.Lock()
		got := len(db.queue)
		db.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d updates queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "tipbot.db"), Options{}) // fsync on
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const writers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- db.Update(context.Background(), wsA, func(tx bot.Tx) error {
					if err := tx.AddCounter("n", 1); err != nil {
						return err
					}
					return tx.PutRecord("r", fmt.Sprintf("w%02d-%02d", w, i), []byte("x"))
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if n, _ := tx.Counter("n"); n != writers*each {
			t.Errorf("counter = %d, want %d", n, writers*each)
		}
		records := 0
		_ = tx.ForEachRecord("r", func(string, []byte) error { records++; return nil })
		if records != writers*each {
			t.Errorf("%d records, want %d", records, writers*each)
		}
		return nil
	})
	if err := db.Check(); err != nil {
		t.Error(err)
	}
}

func TestGroupCommitFailingFunction(t *testing.T) {
	db := mustOpen(t)
	release := hold(t, db)
	errBad := errors.New("bad input")
	const n = 20
	var wg sync.WaitGroup
	results := make([]error, n)
	runs := make([]atomic.Int32, n)
	for i := range n {
		wg.Go(func() {
			results[i] = db.Update(context.Background(), wsA, func(tx bot.Tx) error {
				runs[i].Add(1)
				if err := tx.AddCounter("n", 1); err != nil {
					return err
				}
				if err := tx.PutRecord("r", fmt.Sprint(i), []byte("x")); err != nil {
					return err
				}
				if i%7 == 3 { // i = 3, 10, 17 fail after writing
					return fmt.Errorf("update %d: %w", i, errBad)
				}
				return nil
			})
		})
	}
	waitQueued(t, db, n)
	release()
	wg.Wait()
	for i, err := range results {
		if i%7 == 3 {
			if !errors.Is(err, errBad) {
				t.Errorf("update %d: err %v, want its own error", i, err)
			}
		} else if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
		if runs[i].Load() == 0 {
			t.Errorf("update %d never ran", i)
		}
	}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if got, want := mustCounter(t, tx, "n"), int64(n-3); got != want {
			t.Errorf("counter = %d, want %d (failed updates must leave nothing)", got, want)
		}
		for i := range n {
			_, err := tx.Record("r", fmt.Sprint(i))
			if i%7 == 3 && !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("record of failed update %d kept: %v", i, err)
			}
			if i%7 != 3 && err != nil {
				t.Errorf("record of update %d: %v", i, err)
			}
		}
		return nil
	})
}

func mustCounter(t *testing.T, tx bot.ReadTx, name string) int64 {
	t.Helper()
	n, err := tx.Counter(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGroupCommitPanic(t *testing.T) {
	db := mustOpen(t)
	release := hold(t, db)
	var wg sync.WaitGroup
	var panicErr, okErr error
	wg.Go(func() {
		panicErr = db.Update(context.Background(), wsA, func(tx bot.Tx) error {
			if err := tx.AddCounter("panicky", 1); err != nil {
				return err
			}
			panic("boom")
		})
	})
	wg.Go(func() {
		okErr = db.Update(context.Background(), wsA, func(tx bot.Tx) error { return tx.AddCounter("ok", 1) })
	})
	waitQueued(t, db, 2)
	release()
	wg.Wait()
	if panicErr == nil || !strings.Contains(panicErr.Error(), "panicked") {
		t.Errorf("panicking update returned %v", panicErr)
	}
	if okErr != nil {
		t.Errorf("batch-mate of a panic: %v", okErr)
	}
	// The writer survived.
	update(t, db, wsA, func(tx bot.Tx) error { return tx.AddCounter("ok", 1) })
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if got := mustCounter(t, tx, "panicky"); got != 0 {
			t.Errorf("panicking update's write kept: %d", got)
		}
		if got := mustCounter(t, tx, "ok"); got != 2 {
			t.Errorf("ok counter = %d, want 2", got)
		}
		return nil
	})
}

func TestUpdateCancelledWhileQueued(t *testing.T) {
	db := mustOpen(t)
	release := hold(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	errc := make(chan error, 1)
	go func() {
		errc <- db.Update(ctx, wsA, func(tx bot.Tx) error {
			ran.Store(true)
			return tx.AddCounter("cancelled", 1)
		})
	}()
	waitQueued(t, db, 1)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Update returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled Update did not return while the writer was busy")
	}
	release()
	update(t, db, wsA, func(tx bot.Tx) error { return nil }) // the writer has moved past it
	if ran.Load() {
		t.Error("cancelled function ran")
	}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if got := mustCounter(t, tx, "cancelled"); got != 0 {
			t.Errorf("cancelled update's write kept")
		}
		return nil
	})
	// An already cancelled context never queues.
	if err := db.Update(ctx, wsA, func(bot.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: %v", err)
	}
	if err := db.View(ctx, wsA, func(bot.ReadTx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with a cancelled context: %v", err)
	}
}

func TestCloseWaitsForUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	release := hold(t, db)
	const n = 10
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := db.Update(context.Background(), wsA, func(tx bot.Tx) error { return tx.AddCounter("n", 1) }); err != nil {
				t.Errorf("queued update: %v", err)
			}
		})
	}
	waitQueued(t, db, n)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while an update was running")
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	db = mustOpenPath(t, path)
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if got := mustCounter(t, tx, "n"); got != n {
			t.Errorf("counter after close = %d, want %d: queued updates were lost", got, n)
		}
		return nil
	})
}

func TestOnCommitReportsBatches(t *testing.T) {
	db := mustOpen(t)
	var mu sync.Mutex
	var batches, updates int
	db.OnCommit(func(n int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		batches++
		updates += n
		if took <= 0 {
			t.Errorf("commit took %v", took)
		}
	})
	ws := bot.Workspace{Platform: bot.Shell, ID: "local"}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := db.Update(context.Background(), ws, func(tx bot.Tx) error {
				return tx.AddCounter(fmt.Sprintf("c%d", i), 1)
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if updates != 20 || batches < 1 || batches > 20 {
		t.Errorf("OnCommit saw %d updates in %d batches", updates, batches)
	}
}

// TestUpdateBehindTakesTurns: a step queued with UpdateBehind runs in a
// transaction of its own, and takes turns with the batches of Update: the
// events queued behind a step commit before the next step, and a step
// queued behind a batch runs before the batch queued after it.
func TestUpdateBehindTakesTurns(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	var mu sync.Mutex
	var order []string
	txs := map[string]*bbolt.Tx{}
	record := func(name string) func(bot.Tx) error {
		return func(btx bot.Tx) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, name)
			txs[name] = btx.(*tx).btx
			return btx.PutPerson(bot.Person{ID: name, Name: name})
		}
	}
	queued := func(normal, behind int) {
		t.Helper()
		for {
			db.mu.Lock()
			n, b := len(db.queue), len(db.behind)
			db.mu.Unlock()
			if n == normal && b == behind {
				return
			}
			runtime.Gosched()
		}
	}
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				t.Error(err)
			}
		}()
	}
	run(func() error {
		return db.Update(ctx, wsA, func(tx bot.Tx) error {
			if err := record("A")(tx); err != nil {
				return err
			}
			select {
			case <-started:
			default:
				close(started)
			}
			<-release
			return nil
		})
	})
	<-started
	run(func() error { return db.UpdateBehind(ctx, wsA, record("S1")) })
	queued(0, 1)
	run(func() error { return db.Update(ctx, wsA, record("V1")) })
	run(func() error { return db.Update(ctx, wsA, record("V2")) })
	queued(2, 1)
	run(func() error { return db.UpdateBehind(ctx, wsA, record("S2")) })
	queued(2, 2)
	close(release)
	wg.Wait()
	want := []string{"A", "S1", "V1", "V2", "S2"}
	if !slices.Equal(order, want) && !slices.Equal(order, []string{"A", "S1", "V2", "V1", "S2"}) {
		t.Fatalf("order of the transactions: %v, want %v (V1 and V2 in either order)", order, want)
	}
	if txs["S1"] == txs["V1"] || txs["S2"] == txs["V1"] || txs["V1"] != txs["V2"] {
		t.Errorf("a step shared a transaction, or the queued events did not share theirs")
	}
}
