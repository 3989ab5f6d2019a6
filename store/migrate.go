package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// migrateV1 turns schema 1's member boards (a bucket each, with member
// keys 'm' member → votes, tips and rank keys) into schema 2's compact
// shards, workspace by workspace.
func migrateV1(tx *bbolt.Tx) error {
	wss, keys, err := workspaceBuckets(tx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		boards := wss.Bucket(k).Bucket(sub[bBoards].name)
		if boards == nil {
			continue
		}
		if err := migrateBoardsV1(boards); err != nil {
			return fmt.Errorf("workspace %q: %w", k, err)
		}
	}
	return nil
}

func migrateBoardsV1(boards *bbolt.Bucket) error {
	type board struct {
		kind    byte
		name    string
		members map[string]delta
	}
	var old []board
	err := boards.ForEachBucket(func(k []byte) error {
		if len(k) == 0 || (k[0] != kindAuthors && k[0] != kindTopics && k[0] != kindExperts) {
			return nil
		}
		bd := board{kind: k[0], name: string(k[1:]), members: map[string]delta{}}
		err := boards.Bucket(k).ForEach(func(mk, v []byte) error {
			if len(mk) < 2 || mk[0] != 'm' {
				return nil
			}
			votes, n := binary.Uvarint(v)
			if n <= 0 {
				return fmt.Errorf("board %q member %q: %w", k, mk[1:], errCorrupt)
			}
			tips, m := binary.Uvarint(v[n:])
			if m <= 0 {
				return fmt.Errorf("board %q member %q: %w", k, mk[1:], errCorrupt)
			}
			bd.members[string(mk[1:])] = delta{int64(votes), int64(tips)}
			return nil
		})
		old = append(old, bd)
		return err
	})
	if err != nil {
		return err
	}
	for _, bd := range old {
		if err := boards.DeleteBucket(append([]byte{bd.kind}, bd.name...)); err != nil {
			return err
		}
	}
	for _, bd := range old {
		if len(bd.members) == 0 {
			continue
		}
		if err := applyMembers(boards, bd.kind, bd.name, bd.members); err != nil {
			return fmt.Errorf("board %q: %w", memberBoardKey(bd.kind, bd.name), err)
		}
	}
	return nil
}

// migrateV2 drops schema 2's quarter, year and all-time tips boards, which
// schema 3 derives from month boards (see rankBoards), and puts back in
// them only the tips whose month does not imply them; it also builds
// schema 3's channels index. Workspace by workspace.
func migrateV2(tx *bbolt.Tx) error {
	wss, keys, err := workspaceBuckets(tx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		ws := wss.Bucket(k)
		boards, tips := ws.Bucket(sub[bBoards].name), ws.Bucket(sub[bTips].name)
		if boards == nil {
			continue
		}
		var drop [][]byte
		err := boards.ForEachBucket(func(name []byte) error {
			if len(name) > 0 && name[0] == kindTips && derived(string(name[1:])) {
				drop = append(drop, cloneBytes(name))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range drop {
			if err := boards.DeleteBucket(name); err != nil {
				return fmt.Errorf("workspace %q: %w", k, err)
			}
		}
		if tips == nil {
			continue
		}
		channels, err := ws.CreateBucketIfNotExists(sub[bChannels].name)
		if err != nil {
			return fmt.Errorf("workspace %q: %w", k, err)
		}
		ranks := map[rankRef]*rankMove{}
		var channelKeys [][]byte
		err = tips.ForEach(func(key, v []byte) error {
			if len(key) != 8 {
				return nil
			}
			tip, err := decodeTip(bot.TipID(binary.BigEndian.Uint64(key)), v)
			if err != nil {
				return err
			}
			channelKeys = append(channelKeys, channelKey(tip))
			if !indexed(tip) {
				return nil
			}
			for _, period := range rankBoards(tip) {
				if derived(period) {
					ranks[rankRef{period, uint64(tip.ID)}] = &rankMove{to: tipRankKey(tip.UsefulVotes, tip.ID)}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("workspace %q: %w", k, err)
		}
		// In key order: bbolt splits pages only at commit, so keys put in
		// any other order into one transaction cost time quadratic in their
		// number (a million tips: hours instead of a second).
		slices.SortFunc(channelKeys, bytes.Compare)
		for _, ck := range channelKeys {
			if err := channels.Put(ck, empty); err != nil {
				return fmt.Errorf("workspace %q: %w", k, err)
			}
		}
		if err := flushRanks(boards, ranks); err != nil {
			return fmt.Errorf("workspace %q: %w", k, err)
		}
	}
	return nil
}

// workspaceBuckets returns the bucket of workspaces and their keys, read
// before a migration changes them.
func workspaceBuckets(tx *bbolt.Tx) (*bbolt.Bucket, [][]byte, error) {
	wss := tx.Bucket(bucketWS)
	var keys [][]byte
	err := wss.ForEachBucket(func(k []byte) error { keys = append(keys, cloneBytes(k)); return nil })
	return wss, keys, err
}
