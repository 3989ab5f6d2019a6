package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// TestMemberBoardShards grows boards past several shard counts and
// shrinks them back, checking every member board against a recount and
// the shards' structure at each step, and that the bytes do not depend on
// history.
func TestMemberBoardShards(t *testing.T) {
	db := mustOpen(t)
	r := rand.New(rand.NewPCG(7, 7))
	const n = 1400
	var tips []bot.Tip
	for id := 1; id <= n; id++ {
		created := time.Date(2026, time.Month(1+r.IntN(4)), 1+r.IntN(28), 12, 0, 0, 0, time.UTC)
		tip := bot.Tip{ID: bot.TipID(id), Channel: "C1", MessageID: fmt.Sprint("m", id),
			AuthorID: fmt.Sprintf("A%04d", r.IntN(1300)), Source: bot.SourcePrefix, Status: bot.StatusPublished,
			UsefulVotes: r.IntN(6), CreatedAt: created, Periods: bot.PeriodKeys(created, time.UTC)}
		setText(&tip, fmt.Sprintf("tip %d #t%d", id, r.IntN(3)))
		tips = append(tips, tip)
	}
	put := func(batch []bot.Tip) {
		update(t, db, wsA, func(tx bot.Tx) error {
			for _, tip := range batch {
				if err := tx.PutTip(tip); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for i := 0; i < n; i += 200 { // grows the "all" board through 1, 2, 4 and 8 shards
		put(tips[i : i+200])
		checkMemberBoards(t, db)
	}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if n, _ := tx.CountAuthors("all"); shardCount(int64(n)) < 8 {
			t.Errorf("all board of %d authors: %d shards, want at least 8 for this test", n, shardCount(int64(n)))
		}
		return nil
	})
	checkBoardsAgainstRecount(t, db)
	// Votes move members within their shards.
	for i := range tips {
		tips[i].UsefulVotes += r.IntN(3)
	}
	put(tips)
	checkBoardsAgainstRecount(t, db)
	// Shrink: delete most tips, in steps, down to a single shard.
	r.Shuffle(len(tips), func(i, j int) { tips[i], tips[j] = tips[j], tips[i] })
	for len(tips) > 60 {
		k := min(250, len(tips)-60)
		update(t, db, wsA, func(tx bot.Tx) error {
			for _, tip := range tips[:k] {
				if err := tx.DeleteTip(tip.ID); err != nil {
					return err
				}
			}
			return nil
		})
		tips = tips[k:]
		checkMemberBoards(t, db)
	}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if n, _ := tx.CountAuthors("all"); shardCount(int64(n)) != 1 {
			t.Errorf("all board of %d authors left in %d shards", n, shardCount(int64(n)))
		}
		return nil
	})
	checkBoardsAgainstRecount(t, db)
	checkRebuild(t, db, wsA)
}

// checkBoardsAgainstRecount compares every member board and rank with a
// recount of the stored tips.
func checkBoardsAgainstRecount(t *testing.T, db *DB) {
	t.Helper()
	view(t, db, wsA, func(tx bot.ReadTx) error {
		rc := recountFrom(t, tx)
		for p, authors := range rc.authors {
			want := sortedStandings(authors, false)
			if got, err := tx.TopAuthors(p, 10000); err != nil || !equalStandings(got, want) {
				t.Errorf("TopAuthors(%s): %d standings, %v; want %d", p, len(got), err, len(want))
			}
			if got, _ := tx.TopAuthors(p, 7); !equalStandings(got, want[:min(7, len(want))]) {
				t.Errorf("TopAuthors(%s, 7) = %v, want %v", p, got, want[:min(7, len(want))])
			}
			if c, err := tx.CountAuthors(p); err != nil || c != len(want) {
				t.Errorf("CountAuthors(%s) = %d, %v; want %d", p, c, err, len(want))
			}
			for i, s := range want {
				got, rank, err := tx.AuthorRank(p, s.Member)
				if err != nil || got != s || rank != i+1 {
					t.Errorf("AuthorRank(%s, %s) = %v, %d, %v; want %v, %d", p, s.Member, got, rank, err, s, i+1)
				}
			}
			if _, _, err := tx.AuthorRank(p, "nobody"); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("AuthorRank(%s, nobody): %v", p, err)
			}
			wantTopics := sortedStandings(rc.topics[p], true)
			if got, err := tx.TopTopics(p, 100); err != nil || !equalStandings(got, wantTopics) {
				t.Errorf("TopTopics(%s) = %v, %v; want %v", p, got, err, wantTopics)
			}
		}
		for topic, experts := range rc.experts {
			want := sortedStandings(experts, false)
			if got, err := tx.Experts(topic, 10000); err != nil || !equalStandings(got, want) {
				t.Errorf("Experts(%s): %d standings, %v; want %d", topic, len(got), err, len(want))
			}
		}
		return nil
	})
}

// checkMemberBoards verifies the structure of every member board: the
// header counts the members, shards lie below the shard count, are not
// empty, hold the members hashed to them, in rank order.
func checkMemberBoards(t *testing.T, db *DB) {
	t.Helper()
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		boards := btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bBoards].name)
		counts := map[string]int64{}
		members := map[string]int64{}
		var shards [][2][]byte
		err := boards.ForEach(func(k, v []byte) error {
			if v == nil || k[0] == kindTips {
				return nil
			}
			name, rest, ok := cutStr(k[1:])
			if !ok || (len(rest) != 0 && len(rest) != 4) {
				t.Errorf("bad board key %q", k)
				return nil
			}
			board := string(k[:len(k)-len(rest)])
			if len(rest) == 0 {
				n, err := memberCount(boards, k)
				if err != nil {
					t.Errorf("board %c%s: %v", k[0], name, err)
				}
				counts[board] = n
				return nil
			}
			shards = append(shards, [2][]byte{cloneBytes(k), cloneBytes(v)})
			return nil
		})
		for _, kv := range shards {
			k, v := kv[0], kv[1]
			board, i := string(k[:len(k)-4]), binary.BigEndian.Uint32(k[len(k)-4:])
			s := shardCount(counts[board])
			if i >= s {
				t.Errorf("board %q: shard %d of %d", board, i, s)
			}
			entries, err := decodeShard(v, -1, nil)
			if err != nil || len(entries) == 0 {
				t.Errorf("board %q shard %d: %d entries, %v", board, i, len(entries), err)
			}
			if !slices.IsSortedFunc(entries, func(x, y bot.Standing) int { return rankCmp(board[0], x, y) }) {
				t.Errorf("board %q shard %d: not in rank order", board, i)
			}
			for _, e := range entries {
				if shardOf(e.Member, s) != i || (e.Votes == 0 && e.Tips == 0) {
					t.Errorf("board %q shard %d: bad entry %v", board, i, e)
				}
			}
			members[board] += int64(len(entries))
		}
		for board, n := range counts {
			if members[board] != n {
				t.Errorf("board %q: count %d, %d members", board, n, members[board])
			}
		}
		if len(counts) == 0 {
			t.Error("no member board")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateV1 opens a schema 1 file whose member boards are buckets of
// member and rank keys and finds the same standings in schema 2.
func TestMigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db := mustOpenPath(t, path)
	var tips []bot.Tip
	for id := 1; id <= 300; id++ {
		created := time.Date(2026, 3, 1+id%28, 0, 0, 0, 0, time.UTC)
		tip := bot.Tip{ID: bot.TipID(id), Channel: "C1", MessageID: fmt.Sprint("m", id),
			AuthorID: fmt.Sprintf("A%03d", id%170), Source: bot.SourcePrefix, Status: bot.StatusPublished,
			UsefulVotes: id % 7, CreatedAt: created, Periods: bot.PeriodKeys(created, time.UTC)}
		setText(&tip, fmt.Sprintf("tip %d #t%d", id, id%4))
		tips = append(tips, tip)
	}
	putTips(t, db, wsA, tips)
	// Rewrite the member boards in the schema 1 layout, from a recount.
	var rc recount
	view(t, db, wsA, func(tx bot.ReadTx) error { rc = recountFrom(t, tx); return nil })
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		boards := btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bBoards].name)
		var drop [][]byte
		_ = boards.ForEach(func(k, v []byte) error {
			if v != nil {
				drop = append(drop, cloneBytes(k))
			}
			return nil
		})
		for _, k := range drop {
			if err := boards.Delete(k); err != nil {
				return err
			}
		}
		for kind, m := range map[byte]map[string]map[string]tally{kindAuthors: rc.authors, kindTopics: rc.topics, kindExperts: rc.experts} {
			for name, standings := range m {
				b, err := boards.CreateBucket(append([]byte{kind}, name...))
				if err != nil {
					return err
				}
				for member, s := range standings {
					v := binary.AppendUvarint(binary.AppendUvarint(nil, uint64(s.votes)), uint64(s.tips))
					if err := b.Put(append([]byte{'m'}, member...), v); err != nil {
						return err
					}
					rk := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte{'r'}, ^uint64(s.votes)), ^uint64(s.tips))
					if err := b.Put(append(rk, member...), empty); err != nil {
						return err
					}
				}
				if err := b.Put([]byte{0}, u64(uint64(len(standings)))); err != nil {
					return err
				}
			}
		}
		return btx.Bucket(bucketMeta).Put(keySchema, u32(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpenPath(t, path)
	err = db.bolt.View(func(btx *bbolt.Tx) error {
		if v := btx.Bucket(bucketMeta).Get(keySchema); string(v) != string(u32(schemaVersion)) {
			t.Errorf("schema after migration = %v", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkMemberBoards(t, db)
	checkBoardsAgainstRecount(t, db)
	checkRebuild(t, db, wsA)
}
