package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// TestDamageWhileOpen damages the tips page of an open database under its
// feet: reads that meet it fail with a DamageError naming the file and the
// way out instead of a panic, writes are refused from then on, the file is
// not written, and CommitError reports the damage (for /healthz).
func TestDamageWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id := bot.TipID(1); id <= 60; id++ {
		update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(id)) })
	}
	var root uint64
	if err := db.bolt.View(func(btx *bbolt.Tx) error {
		root = uint64(btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bTips].name).RootPage())
		return nil
	}); err != nil || root == 0 {
		t.Fatalf("tips root page %d: %v", root, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	flags := binary.LittleEndian.AppendUint16(nil, 0x40)
	if _, err := f.WriteAt(flags, int64(root)*int64(db.bolt.Info().PageSize)+8); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, _ := os.ReadFile(path)

	err = db.View(context.Background(), wsA, func(tx bot.ReadTx) error {
		_, err := tx.Tip(3)
		return err
	})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "tipbot salvage -db "+path) {
		t.Fatalf("reading a damaged page: %v, want a DamageError saying what to do", err)
	}
	if err := db.Update(context.Background(), wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(9)) }); !errors.Is(err, ErrDamaged) {
		t.Errorf("a write after damage was seen: %v, want ErrDamaged", err)
	}
	if !errors.Is(db.CommitError(), ErrDamaged) {
		t.Errorf("CommitError after damage: %v", db.CommitError())
	}
	if err := db.Check(); err == nil {
		t.Errorf("Check of the damaged file found nothing")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("the damaged file was written")
	}
}

// TestUpdatePanicIsNotDamage keeps a panic of the caller's own function
// apart from damage: that function fails alone and writes go on.
func TestUpdatePanicIsNotDamage(t *testing.T) {
	db := mustOpen(t)
	err := db.Update(context.Background(), wsA, func(tx bot.Tx) error { panic("a bug of the caller") })
	if err == nil || errors.Is(err, ErrDamaged) {
		t.Fatalf("a panicking function: %v, want an error that is not damage", err)
	}
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(1)) })
	if db.Damage() != nil {
		t.Errorf("damage recorded after a caller's panic: %v", db.Damage())
	}
}

// TestSalvageLoosePages damages the branch page at the root of the tips
// bucket, so that the tree walk cannot reach any tip: the page scan finds
// the leaves below it and puts every tip back in its bucket, decoded as
// stored; the copy gives new tips fresh ids. With the freelist damaged
// too, or both meta pages (no tree at all: pages of 4096 bytes, the one
// workspace told by the loose leaves of the ws bucket), the scan still
// saves them and says that older versions may be met.
func TestSalvageLoosePages(t *testing.T) {
	for _, damage := range []string{"freelist sound", "freelist damaged", "meta pages damaged"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tipbot.db")
			db, err := Open(path, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			const n = 300
			for id := bot.TipID(1); id <= n; id++ {
				tip := sampleTip(id)
				tip.Text += strings.Repeat(" and again", int(id%7))
				update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(tip) })
			}
			want := map[bot.TipID]bot.Tip{}
			view(t, db, wsA, func(tx bot.ReadTx) error {
				for id := bot.TipID(1); id <= n; id++ {
					tip, err := tx.Tip(id)
					if err != nil {
						return err
					}
					want[id] = tip
				}
				return nil
			})
			var root, free uint64
			ps := int64(db.bolt.Info().PageSize)
			if err := db.bolt.View(func(btx *bbolt.Tx) error {
				root = uint64(btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bTips].name).RootPage())
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if flags := binary.LittleEndian.Uint16(data[int64(root)*ps+8:]); flags != flagBranch {
				t.Fatalf("the tips bucket's root page %d is not a branch (flags %#x)", root, flags)
			}
			binary.LittleEndian.PutUint16(data[int64(root)*ps+8:], 0x40)
			switch damage {
			case "freelist damaged":
				m, _ := readMetas(bytes.NewReader(data), int64(len(data)))
				free = m.freelist
				binary.LittleEndian.PutUint16(data[int64(free)*ps+8:], 0x40)
			case "meta pages damaged":
				for i := range int64(2) {
					copy(data[i*ps+16:], "not a meta page")
				}
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "saved.db")
			rep, err := Salvage(path, out)
			if err != nil {
				t.Fatal(err)
			}
			tips := 0
			for _, b := range rep.Buckets {
				if b.Bucket == "ws/"+wsA.Key()+"/tips" {
					tips = b.Saved
				}
			}
			if tips != n {
				t.Errorf("salvage saved %d tips, want %d\n%+v", tips, n, rep)
			}
			warned := slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "freelist is lost") })
			if warned != (damage != "freelist sound") {
				t.Errorf("%s: warning of older versions given: %v: %q", damage, warned, rep.Problems)
			}
			saved := mustOpenPath(t, out)
			view(t, saved, wsA, func(tx bot.ReadTx) error {
				for id, w := range want {
					got, err := tx.Tip(id)
					if err != nil {
						return err
					}
					if !reflect.DeepEqual(got, w) {
						t.Errorf("tip %d: saved %+v, want %+v", id, got, w)
					}
				}
				return nil
			})
			update(t, saved, wsA, func(tx bot.Tx) error {
				id, err := tx.NextTipID()
				if err == nil && id <= n {
					t.Errorf("the copy's next tip id is %d, taken by a saved tip", id)
				}
				return err
			})
		})
	}
}

// TestFitsOneKind checks the shapes the page scan places records by: each
// kind of record fits its own bucket only, and bytes that are not a
// record fit none.
func TestFitsOneKind(t *testing.T) {
	tip := sampleTip(7)
	cases := []struct {
		kind int
		k, v []byte
	}{
		{bTips, tipKey(7), encodeTip(tip)},
		{bMsgs, msgKey("C42", "1700000000.000107"), tipKey(7)},
		{bAuthors, append(appendStr(nil, "U1"), tipKey(7)...), nil},
		{bVotes, voteKey(7, "U2"), encodeEmojis([]string{"bulb"})},
		{bPending, append(pendingPrefix("C42", "1700000000.000107"), "U2"...), encodeEmojis([]string{"bulb", "+1"})},
		{bPersons, []byte("U1"), encodePerson(bot.Person{ID: "U1", Name: "Alice", FirstTipAt: t0})},
		{bChannels, channelKey(tip), nil},
		{bPeople, []byte("U1"), encodeMember(bot.Member{ID: "U1", Name: "Alice", Locale: "fr"})},
		{-1, []byte("tips"), binary.BigEndian.AppendUint64(nil, 12)}, // a counter: not placed
		{-1, tipKey(7), encodeTip(tip)[:20]},                         // a cut tip
		{-1, []byte{0x05, 'h', 'e', 'l', 'l', 'o'}, []byte{0x01}},    // a search term's count
	}
	for i, c := range cases {
		for _, kind := range pageKinds {
			if got := fits(kind, c.k, c.v); got != (kind == c.kind) {
				t.Errorf("case %d (kind %d): fits %s = %v", i, c.kind, sub[kind].name, got)
			}
		}
	}
}
