package store

import (
	"errors"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

func TestDirectoryOfPeople(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ana := bot.Member{ID: "U1", Name: "Ana Lima", Admin: true, Locale: "pt-BR"}
	robot := bot.Member{ID: "B1", Name: "ci", Bot: true}
	gone := bot.Member{ID: "U2", Name: "Old Timer", Deleted: true}
	partner := bot.Member{ID: "U3", Name: "Pat Partner", Foreign: true}
	update(t, db, wsB, func(tx bot.Tx) error {
		for _, m := range []bot.Member{ana, robot, gone, partner} {
			if err := tx.PutMember(m); err != nil {
				return err
			}
		}
		if err := tx.PutMember(bot.Member{}); err == nil {
			t.Error("PutMember accepted an empty id")
		}
		return nil
	})
	// Another workspace does not see them.
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if _, err := tx.Member("U1"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("other workspace: Member(U1) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The directory survives a restart.
	db = mustOpenPath(t, path)
	view(t, db, wsB, func(tx bot.ReadTx) error {
		for _, want := range []bot.Member{ana, robot, gone, partner} {
			got, err := tx.Member(want.ID)
			if err != nil || got != want {
				t.Errorf("Member(%s) = %+v, %v; want %+v", want.ID, got, err, want)
			}
		}
		if _, err := tx.Member(""); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Member(\"\") = %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, db, wsB, func(tx bot.Tx) error {
		if err := tx.DeleteMember("U1"); err != nil {
			return err
		}
		return tx.DeleteMember("nobody")
	})
	view(t, db, wsB, func(tx bot.ReadTx) error {
		if _, err := tx.Member("U1"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("after DeleteMember: Member(U1) = %v, want ErrNotFound", err)
		}
		if got, err := tx.Member("B1"); err != nil || got != robot {
			t.Errorf("Member(B1) = %+v, %v; want %+v", got, err, robot)
		}
		return nil
	})
}

// A workspace written by a tipbot without the directory gains its bucket
// on the first write.
func TestDirectoryInOlderWorkspace(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsB, func(tx bot.Tx) error { return tx.PutPerson(bot.Person{ID: "U1", Name: "Ana"}) })
	if err := db.bolt.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket(bucketWS).Bucket([]byte(wsB.Key())).DeleteBucket([]byte("people"))
	}); err != nil {
		t.Fatal(err)
	}
	view(t, db, wsB, func(tx bot.ReadTx) error {
		if _, err := tx.Member("U1"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Member(U1) = %v, want ErrNotFound", err)
		}
		return nil
	})
	want := bot.Member{ID: "U1", Name: "Ana"}
	update(t, db, wsB, func(tx bot.Tx) error { return tx.PutMember(want) })
	view(t, db, wsB, func(tx bot.ReadTx) error {
		if got, err := tx.Member("U1"); err != nil || got != want {
			t.Errorf("Member(U1) = %+v, %v; want %+v", got, err, want)
		}
		if p, err := tx.Person("U1"); err != nil || p.Name != "Ana" {
			t.Errorf("Person(U1) = %+v, %v; the older data is lost", p, err)
		}
		return nil
	})
}
