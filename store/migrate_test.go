package store

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// TestDerived checks which rankings merge month boards, on the core's
// period keys of every day of several years.
func TestDerived(t *testing.T) {
	for day := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC); day.Year() < 2028; day = day.AddDate(0, 0, 1) {
		for _, p := range []bot.Period{bot.Quarter, bot.Year} {
			if key := bot.PeriodKey(p, day, time.UTC); !derived(key) {
				t.Fatalf("derived(%q) = false", key)
			}
		}
		for _, p := range []bot.Period{bot.Week, bot.Month} {
			if key := bot.PeriodKey(p, day, time.UTC); derived(key) {
				t.Fatalf("derived(%q) = true", key)
			}
		}
	}
	if !derived("all") {
		t.Error(`derived("all") = false`)
	}
	for _, p := range []string{"", "custom", "q2026-5", "m2026-11"} {
		if derived(p) {
			t.Errorf("derived(%q) = true", p)
		}
	}
}

// TestMigrateV2 opens a schema 2 file, whose quarter, year and all-time
// tips boards rank every tip of the period, and finds in schema 3 the same
// rankings with only the tips no month implies left in those boards.
func TestMigrateV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	db := mustOpenPath(t, path)
	var tips []bot.Tip
	for id := 1; id <= 400; id++ {
		created := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, id*3%540)
		periods := bot.PeriodKeys(created, time.UTC)
		switch id % 50 {
		case 1: // no month: ranked through its own quarter, year and all-time boards
			periods = []string{bot.PeriodKey(bot.Quarter, created, time.UTC), bot.PeriodKey(bot.Year, created, time.UTC), "all"}
		case 2:
			periods = []string{"all"}
		}
		tip := bot.Tip{ID: bot.TipID(id), Channel: "C1", MessageID: fmt.Sprint("m", id),
			AuthorID: fmt.Sprintf("A%03d", id%70), Source: bot.SourcePrefix, Status: bot.StatusPublished,
			UsefulVotes: id % 9, CreatedAt: created, Periods: periods}
		setText(&tip, fmt.Sprintf("tip %d #t%d", id, id%4))
		tips = append(tips, tip)
	}
	putTips(t, db, wsA, tips)
	// Schema 3 keeps in derived boards only the tips without a month.
	kept := derivedEntries(t, db)
	if want := 8*3 + 8; kept != want { // 8 tips in their quarter, year and all time, 8 in all time
		t.Errorf("schema 3: %d entries in quarter, year and all-time boards, want %d", kept, want)
	}
	rankings := topTipsByPeriod(t, db, tips)

	// Rewrite the tips boards in the schema 2 layout: every ranked tip in
	// every period it names, and in all time.
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		boards := btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bBoards].name)
		ranks := map[rankRef]*rankMove{}
		for _, tip := range tips {
			for _, p := range tipPeriods(tip) {
				if derived(p) && !slices.Contains(rankBoards(tip), p) {
					ranks[rankRef{p, uint64(tip.ID)}] = &rankMove{to: tipRankKey(tip.UsefulVotes, tip.ID)}
				}
			}
		}
		if err := flushRanks(boards, ranks); err != nil {
			return err
		}
		// Schema 2 had no channels index.
		if err := btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).DeleteBucket(sub[bChannels].name); err != nil {
			return err
		}
		return btx.Bucket(bucketMeta).Put(keySchema, u32(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, want := derivedEntries(t, db), 3*(len(tips)-8)+8; n != want {
		t.Fatalf("schema 2 layout: %d entries in derived boards, want %d", n, want)
	}
	db.Close()

	db = mustOpenPath(t, path)
	if n := derivedEntries(t, db); n != kept {
		t.Errorf("after migration: %d entries in derived boards, want %d", n, kept)
	}
	err = db.bolt.View(func(btx *bbolt.Tx) error {
		if v := btx.Bucket(bucketMeta).Get(keySchema); string(v) != string(u32(schemaVersion)) {
			t.Errorf("schema after migration = %v", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := topTipsByPeriod(t, db, tips); !maps.EqualFunc(got, rankings, slices.Equal) {
		t.Errorf("TopTips after migration differ:\n%v\nwant\n%v", got, rankings)
	}
	checkBoardsAgainstRecount(t, db)
	checkRebuild(t, db, wsA) // the channels index too
}

// topTipsByPeriod returns the ids TopTips ranks in every period the tips
// name, and all time.
func topTipsByPeriod(t *testing.T, db *DB, tips []bot.Tip) map[string][]bot.TipID {
	t.Helper()
	out := map[string][]bot.TipID{}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		for _, tip := range tips {
			for _, p := range tipPeriods(tip) {
				if _, done := out[p]; done {
					continue
				}
				top, err := tx.TopTips(p, 1000)
				if err != nil || len(top) == 0 {
					t.Fatalf("TopTips(%s) = %d tips, %v", p, len(top), err)
				}
				out[p] = ids(top)
			}
		}
		return nil
	})
	return out
}

// derivedEntries counts the rank keys in wsA's quarter, year and all-time
// tips boards.
func derivedEntries(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		boards := btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bBoards].name)
		return boards.ForEachBucket(func(name []byte) error {
			if name[0] != kindTips || !derived(string(name[1:])) {
				return nil
			}
			return boards.Bucket(name).ForEach(func(k, _ []byte) error {
				if len(k) == 12 {
					n++
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// putTips stores tips in one transaction.
func putTips(tb testing.TB, db *DB, ws bot.Workspace, tips []bot.Tip) {
	tb.Helper()
	update(tb, db, ws, func(tx bot.Tx) error {
		for _, tip := range tips {
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestTipInTwoMonths: a tip whose periods name two months is in both
// month boards, yet counts once in the quarter, the year, all time and
// search.
func TestTipInTwoMonths(t *testing.T) {
	db := mustOpen(t)
	odd := sampleTip(1)
	odd.Periods = []string{"m2026-10", "m2026-11", "all"}
	plain := sampleTip(2)
	plain.MessageID = "m2"
	plain.Periods = []string{"m2026-11", "all"}
	putTips(t, db, wsA, []bot.Tip{odd, plain})
	view(t, db, wsA, func(rtx bot.ReadTx) error {
		for _, p := range []string{"m2026-10", "m2026-11", "q2026-4", "y2026", "all"} {
			top, err := rtx.TopTips(p, 10)
			want := []bot.TipID{1, 2}
			if p == "m2026-10" {
				want = want[:1]
			}
			if err != nil || !slices.Equal(ids(top), want) {
				t.Errorf("TopTips(%s) = %v, %v; want %v", p, ids(top), err, want)
			}
		}
		found, err := rtx.SearchTips([]string{"bisect"}, 10)
		if err != nil || len(found) != 2 {
			t.Errorf("SearchTips = %v, %v; want both tips once", ids(found), err)
		}
		// The merged walk that ranks many search matches, too.
		all, err := rtx.(*tx).rankView("all")
		if err != nil {
			return err
		}
		var walked []uint64
		walkBoards(all, 100, func(id uint64) bool { walked = append(walked, id); return false })
		if !slices.Equal(walked, []uint64{2, 1}) {
			t.Errorf("walk over %d boards = %v, want [2 1] (newest first, once each)", len(all), walked)
		}
		return nil
	})
}
