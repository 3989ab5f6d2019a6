package store

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// FuzzDecoders feeds arbitrary bytes to every record decoder of the store.
// None may panic, and what decodes must encode and decode back the same:
// a tip, a person, a directory entry, an emoji set; a search block's ids must increase (a
// corrupt gap must not wrap past 2^64); the quick tipVotes must agree with
// the full decoder.
func FuzzDecoders(f *testing.F) {
	f.Add(encodeTip(sampleTip(7)))
	f.Add(encodePerson(bot.Person{ID: "U1", Name: "Alice", FirstTipAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}))
	f.Add(encodeEmojis([]string{"bulb", "+1"}))
	f.Add(encodeBlock([]uint64{3, 9, 1 << 40}))
	f.Add(binary.AppendUvarint(nil, ^uint64(0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if tip, err := decodeTip(7, b); err == nil {
			again, err := decodeTip(7, encodeTip(tip))
			if err != nil || !reflect.DeepEqual(again, tip) {
				t.Fatalf("tip %+v encodes to what decodes as %+v, %v", tip, again, err)
			}
			if v, ok := tipVotes(b); !ok || v != tip.UsefulVotes {
				t.Fatalf("tipVotes = %d, %v; the tip has %d", v, ok, tip.UsefulVotes)
			}
		}
		if p, err := decodePerson("U1", b); err == nil {
			if again, err := decodePerson("U1", encodePerson(p)); err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("person %+v encodes to what decodes as %+v, %v", p, again, err)
			}
		}
		if m, err := decodeMember("U1", b); err == nil {
			if again, err := decodeMember("U1", encodeMember(m)); err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("member %+v encodes to what decodes as %+v, %v", m, again, err)
			}
		}
		if e, err := decodeEmojis(b); err == nil {
			if again, err := decodeEmojis(encodeEmojis(e)); err != nil || !reflect.DeepEqual(again, e) {
				t.Fatalf("emojis %q encode to what decodes as %q, %v", e, again, err)
			}
		}
		for _, min := range []uint64{0, 1 << 62, ^uint64(0) - 1} {
			if ids, err := decodeBlock(min, b, nil); err == nil {
				for i := 1; i < len(ids); i++ {
					if ids[i] <= ids[i-1] {
						t.Fatalf("block from %d decodes to ids not increasing: %v", min, ids)
					}
				}
			}
		}
		_, _ = decodeShard(b, -1, nil)
		_, _ = tipVotes(b)
		for _, kind := range []string{"tips", "persons", "people", "counters", "votes", "pending", "boards"} {
			_ = decodes([][]byte{bucketWS, []byte("shell:local"), []byte(kind)}, b[:min(8, len(b))], b)
		}
	})
}

// FuzzCheckFile reads arbitrary bytes as a database file: the check that
// runs before bbolt maps a file, and tipbot salvage, read it page by page
// and must never panic or fault, whatever the file holds.
func FuzzCheckFile(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	for id := bot.TipID(1); id <= 40; id++ {
		if err := db.Update(context.Background(), wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(id)) }); err != nil {
			f.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:8192])
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := checkFile(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 0 && r.Sound() && r.Records == 0 && r.Pages == 0 {
			t.Fatalf("a file with no readable page checks sound")
		}
		out := filepath.Join(dir, "out.db")
		_ = os.Remove(out)
		if _, err := Salvage(p, out); err == nil {
			if _, err := os.Stat(out); err != nil {
				t.Fatalf("salvage succeeded without writing its copy: %v", err)
			}
		}
	})
}
