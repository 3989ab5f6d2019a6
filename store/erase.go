package store

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// Tally is one kind of data EraseWorkspace removed and how many entries of
// it there were.
type Tally struct {
	What string // "tips", "votes", "records: outbox"…
	N    int
}

// workspaceKeyed lists the top-level buckets, outside ws/, that hold one
// entry per workspace under its key (bot.Workspace.Key()): erasing a
// workspace removes its entry there too.
var workspaceKeyed [][]byte

// EraseWorkspace removes everything of one workspace in one transaction:
// its bucket (tips, votes, pending votes, people, counters, records such as
// sessions, schedules and the outbox, boards, search terms, events) and its
// entries in the buckets kept outside it (workspaceKeyed). It returns what
// it removed, in a fixed order, only kinds that had entries; nothing when
// the workspace had no data. Other workspaces are untouched.
func (db *DB) EraseWorkspace(ctx context.Context, ws bot.Workspace) ([]Tally, error) {
	key, err := workspaceKey(ws)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Tally
	err = db.bolt.Update(func(btx *bbolt.Tx) error {
		out = nil
		add := func(what string, n int) {
			if n > 0 {
				out = append(out, Tally{what, n})
			}
		}
		root := btx.Bucket(bucketWS)
		if b := root.Bucket(key); b != nil {
			add("tips", countKeys(b.Bucket(sub[bTips].name)))
			votes, err := countVotes(b)
			if err != nil {
				return err
			}
			add("votes", votes)
			named := map[string]string{"pending": "pending votes", "persons": "people", "counters": "counters"}
			for _, name := range []string{"pending", "persons", "counters"} {
				add(named[name], countKeys(b.Bucket([]byte(name))))
			}
			if recs := b.Bucket(sub[bRecords].name); recs != nil {
				if err := recs.ForEachBucket(func(kind []byte) error {
					add("records: "+string(kind), countKeys(recs.Bucket(kind)))
					return nil
				}); err != nil {
					return err
				}
			}
			other := 0
			for _, s := range sub {
				switch string(s.name) {
				case "tips", "votes", "votelog", "pending", "persons", "counters", "records":
					continue
				}
				other += countKeys(b.Bucket(s.name))
			}
			add("index, board and event entries", other)
			if err := root.DeleteBucket(key); err != nil {
				return err
			}
			// The writer is not in a transaction now: its next one loads
			// the workspace's (empty) vote log again.
			db.votes.forget(string(key))
		}
		for _, name := range workspaceKeyed {
			b := btx.Bucket(name)
			if b == nil {
				continue
			}
			n := 0
			if sb := b.Bucket(key); sb != nil {
				n = max(countKeys(sb), 1)
				if err := b.DeleteBucket(key); err != nil {
					return err
				}
			} else if b.Get(key) != nil {
				n = 1
				if err := b.Delete(key); err != nil {
					return err
				}
			}
			what := string(name)
			if what == "installs" {
				what = "installation"
			}
			add(what, n)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, wrapBolt(fmt.Sprintf("erase %s", ws), err)
	}
	db.events.forget(string(key))
	return out, nil
}

// countKeys counts the values under b, nested buckets included.
func countKeys(b *bbolt.Bucket) int {
	if b == nil {
		return 0
	}
	n := 0
	_ = b.ForEach(func(k, v []byte) error {
		if v == nil {
			n += countKeys(b.Bucket(k))
		} else {
			n++
		}
		return nil
	})
	return n
}
