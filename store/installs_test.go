package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

func TestInstallations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := bot.Workspace{Platform: "slack", ID: "T0A"}
	b := bot.Workspace{Platform: "slack", ID: "T0B"}
	if _, err := db.Installation(ctx, a); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("installation before any = %v", err)
	}
	for _, ws := range []bot.Workspace{b, a} {
		if err := db.PutInstallation(ctx, ws, []byte("rec "+ws.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutInstallation(ctx, bot.Workspace{Platform: "discord", ID: "1"}, []byte("discord")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{}) // kept across a restart
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []string
	if err := db.Installations(ctx, "slack", func(ws bot.Workspace, rec []byte) error {
		got = append(got, ws.ID+"="+string(rec))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "T0A=rec T0A" || got[1] != "T0B=rec T0B" {
		t.Errorf("installations = %v", got)
	}
	if found, err := db.DeleteInstallation(ctx, a); !found || err != nil {
		t.Errorf("delete = %v, %v", found, err)
	}
	if found, err := db.DeleteInstallation(ctx, a); found || err != nil {
		t.Errorf("delete again = %v, %v", found, err)
	}
	// Erasing a workspace removes its installation, even with no data.
	erased, err := db.EraseWorkspace(ctx, b)
	if err != nil || len(erased) != 1 || erased[0] != (Tally{"installation", 1}) {
		t.Errorf("erase = %v, %v", erased, err)
	}
	if _, err := db.Installation(ctx, b); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("installation after erase: %v", err)
	}
	if rec, err := db.Installation(ctx, bot.Workspace{Platform: "discord", ID: "1"}); err != nil || string(rec) != "discord" {
		t.Errorf("other installation = %q, %v", rec, err)
	}
}
