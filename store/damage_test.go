package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
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
