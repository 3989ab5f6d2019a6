package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"go.etcd.io/bbolt"
)

// BucketSalvage is what tipbot salvage saved and lost of one bucket (and
// the buckets nested in it).
type BucketSalvage struct {
	Bucket       string // e.g. "ws/slack:T1/tips"
	Saved        int    // records copied
	Undecodable  int    // records found whose value does not decode (lost)
	DamagedPages int    // damaged pages: what they held is lost
}

// SalvageReport is the outcome of Salvage.
type SalvageReport struct {
	Buckets  []BucketSalvage // in name order
	Saved    int             // records copied, all buckets
	Problems []string        // the damage met, as Check lists it
}

// Salvage copies every record of the database file src that can still be
// read and decoded into a new file dst (which must not exist), bucket by
// bucket, with each bucket's sequence number. It reads src from its raw
// pages without trusting them, so it works on a file bbolt refuses to
// open, and never writes src. Records below a damaged page, or whose
// value does not decode, are lost and counted. Stop tipbot before: a file
// being written may read as damaged. Derived data (rankings, the search
// index, counters) is copied as found and may still count lost tips.
func Salvage(src, dst string) (SalvageReport, error) {
	if held, err := holdShared(src, 0); err != nil {
		return SalvageReport{}, err
	} else if held != nil {
		defer held.bolt.Close()
	}
	f, err := os.Open(src)
	if err != nil {
		return SalvageReport{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return SalvageReport{}, err
	}
	m, problems := readMetas(f, st.Size())
	if m.pageSize == 0 {
		return SalvageReport{Problems: problems}, fmt.Errorf("store: salvage %s: both meta pages are damaged (%s); nothing can be read from it, restore a backup", src, summary(problems))
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		return SalvageReport{}, fmt.Errorf("store: salvage: %s already exists; name a new file", dst)
	}
	out, err := bbolt.Open(dst, 0o600, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return SalvageReport{}, fmt.Errorf("store: salvage: %w", err)
	}
	rep, err := salvageInto(f, st.Size(), m, problems, out)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		// The copy is a tipbot database even when the records of the
		// schema were lost: Open writes what is missing.
		var db *DB
		if db, err = Open(dst, Options{}); err == nil {
			err = db.Close()
		}
	}
	if err != nil {
		_ = os.Remove(dst)
		return rep, fmt.Errorf("store: salvage into %s: %w", dst, err)
	}
	return rep, nil
}

// salvageGroup is the bucket a path is reported under: at most three
// levels ("ws/slack:T1/tips"), deeper buckets counting in their parent.
func salvageGroup(path [][]byte) string {
	if len(path) > 3 {
		path = path[:3]
	}
	return pathName(path)
}

func salvageInto(f interface {
	ReadAt([]byte, int64) (int, error)
}, size int64, m fileMeta, problems []string, out *bbolt.DB) (SalvageReport, error) {
	tx, err := out.Begin(true)
	if err != nil {
		return SalvageReport{}, err
	}
	defer func() { _ = tx.Rollback() }()
	groups := map[string]*BucketSalvage{}
	named := func(name string) *BucketSalvage {
		g := groups[name]
		if g == nil {
			g = &BucketSalvage{Bucket: name}
			groups[name] = g
		}
		return g
	}
	group := func(path [][]byte) *BucketSalvage { return named(salvageGroup(path)) }
	// bucketAt creates the nested buckets of path in the new file.
	bucketAt := func(path [][]byte) (*bbolt.Bucket, error) {
		b, err := tx.CreateBucketIfNotExists(path[0])
		for _, name := range path[1:] {
			if err != nil {
				break
			}
			b, err = b.CreateBucketIfNotExists(name)
		}
		return b, err
	}
	var werr error
	s := newScan(f, size, m)
	s.problems = problems
	s.bucket = func(path [][]byte, seq uint64) {
		b, err := bucketAt(path)
		if err == nil && seq != 0 {
			err = b.SetSequence(seq)
		}
		if err != nil && werr == nil {
			werr = err
		}
	}
	s.record = func(path [][]byte, k, v []byte) error {
		if err := decodes(path, k, v); err != nil {
			return err
		}
		if len(path) == 0 {
			return errors.New("a value at the top level, outside any bucket")
		}
		b, err := bucketAt(path)
		if err == nil {
			err = b.Put(k, v)
		}
		if err != nil {
			if werr == nil {
				werr = err
			}
			return err
		}
		group(path).Saved++
		return nil
	}
	s.run()
	if werr != nil {
		return SalvageReport{}, werr
	}
	rep := SalvageReport{Problems: s.problems}
	for name, n := range s.lostRecords {
		named(name).Undecodable += n
	}
	for name, n := range s.lostPages {
		named(name).DamagedPages += n
	}
	for _, g := range groups {
		rep.Buckets = append(rep.Buckets, *g)
		rep.Saved += g.Saved
	}
	slices.SortFunc(rep.Buckets, func(a, b BucketSalvage) int {
		switch {
		case a.Bucket < b.Bucket:
			return -1
		case a.Bucket > b.Bucket:
			return 1
		}
		return 0
	})
	return rep, tx.Commit()
}
