package store

import (
	"context"
	"errors"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// bucketInstalls holds the platform installations made through OAuth ("Add
// to Slack"): workspace key → the adapter's record of it (its bot token
// among others). It lives outside ws/ so that a workspace with no data yet
// can be installed; the file is created 0600, as it holds tokens.
//
//	installs/
//	  <platform:id>                  → installation record (opaque, the adapter's)
var bucketInstalls = []byte("installs")

func init() { workspaceKeyed = append(workspaceKeyed, bucketInstalls) }

// PutInstallation stores (or replaces) the installation record of a
// workspace, durably, before it returns.
func (db *DB) PutInstallation(ctx context.Context, ws bot.Workspace, record []byte) error {
	key, err := workspaceKey(ws)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketInstalls)
		if err != nil {
			return err
		}
		return b.Put(key, record)
	})
	if err != nil {
		return wrapBolt("put installation", err)
	}
	return nil
}

// Installation returns the installation record of a workspace, or
// bot.ErrNotFound.
func (db *DB) Installation(ctx context.Context, ws bot.Workspace) ([]byte, error) {
	key, err := workspaceKey(ws)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketInstalls); b != nil {
			if v := b.Get(key); v != nil {
				out = append([]byte(nil), v...)
				return nil
			}
		}
		return bot.ErrNotFound
	})
	if errors.Is(err, bot.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, wrapBolt("read installation", err)
	}
	return out, nil
}

// DeleteInstallation removes a workspace's installation record; found is
// false when there was none.
func (db *DB) DeleteInstallation(ctx context.Context, ws bot.Workspace) (found bool, err error) {
	key, err := workspaceKey(ws)
	if err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		found = false
		b := tx.Bucket(bucketInstalls)
		if b == nil || b.Get(key) == nil {
			return nil
		}
		found = true
		return b.Delete(key)
	})
	if err != nil {
		return false, wrapBolt("delete installation", err)
	}
	return found, nil
}

// Installations calls fn with every installation record of a platform, in
// workspace key order, until fn returns an error.
func (db *DB) Installations(ctx context.Context, p bot.Platform, fn func(ws bot.Workspace, record []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var all []struct {
		ws  bot.Workspace
		rec []byte
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketInstalls)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			ws, err := bot.ParseWorkspace(string(k))
			if err != nil || ws.Platform != p || v == nil {
				return nil
			}
			all = append(all, struct {
				ws  bot.Workspace
				rec []byte
			}{ws, append([]byte(nil), v...)})
			return nil
		})
	})
	if err != nil {
		return wrapBolt("list installations", err)
	}
	for _, x := range all {
		if err := fn(x.ws, x.rec); err != nil {
			return err
		}
	}
	return nil
}
