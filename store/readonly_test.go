package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// TestOpenReadOnly checks the read-only open of export and report: it
// never writes the file, refuses Update, shares the file with other
// readers, and fails with ErrInUse while a writer holds it.
func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	ws := bot.Workspace{Platform: bot.Shell, ID: "local"}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), ws, func(tx bot.Tx) error {
		return tx.PutTip(bot.Tip{ID: 1, Channel: "#general", MessageID: "1", AuthorID: "alice", Text: "x", Status: bot.StatusPublished, CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(path, Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrInUse) {
		t.Errorf("read-only open of a file a writer holds: %v, want ErrInUse", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := OpenReadOnly(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := OpenReadOnly(path, Options{})
	if err != nil {
		t.Fatalf("a second reader: %v", err)
	}
	var got bot.Tip
	if err := r2.View(context.Background(), ws, func(tx bot.ReadTx) error {
		got, err = tx.Tip(1)
		return err
	}); err != nil || got.Text != "x" {
		t.Errorf("read-only View: %+v, %v", got, err)
	}
	if err := r1.Update(context.Background(), ws, func(bot.Tx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Update on a read-only database: %v, want ErrReadOnly", err)
	}
	for _, r := range []*DB{r1, r2} {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("the read-only opens changed the file")
	}
	if _, err := OpenReadOnly(filepath.Join(t.TempDir(), "none.db"), Options{}); err == nil {
		t.Errorf("read-only open of a missing file succeeded")
	}
}
