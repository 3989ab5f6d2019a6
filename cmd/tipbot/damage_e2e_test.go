package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// boltFile is a test's own reading of a bbolt file's pages, independent of
// the store's: enough to find pages to damage and to count the records
// below them.
type boltFile struct {
	data []byte
	ps   int
	root uint64 // root bucket page of the newest meta
	txid [2]uint64
}

func readBoltFile(t *testing.T, path string) *boltFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &boltFile{data: data, ps: int(binary.LittleEndian.Uint32(data[16+8:]))}
	for i := range 2 {
		m := data[i*f.ps+16:]
		f.txid[i] = binary.LittleEndian.Uint64(m[48:])
	}
	newest := 0
	if f.txid[1] > f.txid[0] {
		newest = 1
	}
	f.root = binary.LittleEndian.Uint64(data[newest*f.ps+16+16:])
	return f
}

func (f *boltFile) page(id uint64) []byte {
	p := f.data[int(id)*f.ps:]
	over := int(binary.LittleEndian.Uint32(p[12:]))
	return p[:(over+1)*f.ps]
}

// node is one page (or inline bucket) as the test reads it.
type node struct {
	flags    uint16
	children []uint64 // branch: child pages
	records  int      // leaf: key/values that are not buckets
	buckets  map[string][]byte
	values   []int // leaf: offsets in the page of each record's value
}

func parseNode(p []byte) node {
	n := node{flags: binary.LittleEndian.Uint16(p[8:]), buckets: map[string][]byte{}}
	count := int(binary.LittleEndian.Uint16(p[10:]))
	for i := range count {
		e := 16 + 16*i
		if n.flags == 0x01 {
			n.children = append(n.children, binary.LittleEndian.Uint64(p[e+8:]))
			continue
		}
		flags, pos := binary.LittleEndian.Uint32(p[e:]), int(binary.LittleEndian.Uint32(p[e+4:]))
		ksize, vsize := int(binary.LittleEndian.Uint32(p[e+8:])), int(binary.LittleEndian.Uint32(p[e+12:]))
		k := p[e+pos : e+pos+ksize]
		if flags&1 != 0 {
			n.buckets[string(k)] = p[e+pos+ksize : e+pos+ksize+vsize]
			continue
		}
		n.records++
		n.values = append(n.values, e+pos+ksize)
	}
	return n
}

// bucketRoot returns the root page of the bucket at path (from the root
// bucket); the buckets on the way are not inline in tipbot's files of
// this size.
func (f *boltFile) bucketRoot(t *testing.T, path ...string) uint64 {
	t.Helper()
	id := f.root
	for _, name := range path {
		v, ok := f.find(id, name)
		if !ok {
			t.Fatalf("no bucket %q on the path %q", name, path)
		}
		id = binary.LittleEndian.Uint64(v)
		if id == 0 {
			t.Fatalf("bucket %q is inline", name)
		}
	}
	return id
}

func (f *boltFile) find(id uint64, name string) ([]byte, bool) {
	n := parseNode(f.page(id))
	if v, ok := n.buckets[name]; ok {
		return v, true
	}
	for _, c := range n.children {
		if v, ok := f.find(c, name); ok {
			return v, true
		}
	}
	return nil, false
}

// count returns the records below page id, skipping pages for which lost
// is true (and all below them).
func (f *boltFile) count(id uint64, lost func(id uint64) bool) int {
	if lost(id) {
		return 0
	}
	return f.countNode(parseNode(f.page(id)), lost)
}

func (f *boltFile) countNode(n node, lost func(uint64) bool) int {
	total := n.records
	for _, c := range n.children {
		total += f.count(c, lost)
	}
	for _, v := range n.buckets {
		if root := binary.LittleEndian.Uint64(v); root != 0 {
			total += f.count(root, lost)
		} else {
			total += f.countNode(parseNode(v[16:]), lost)
		}
	}
	return total
}

// placeable are the workspace buckets whose records salvage places by
// their shape when the pages above them are lost (store's page scan).
var placeable = map[string]bool{"tips": true, "msgs": true, "authors": true, "votes": true,
	"pending": true, "persons": true, "channels": true, "people": true}

// beforeCut counts the records salvage recovers from the file cut at cut
// bytes: those still reachable from the root through pages wholly before
// the cut, and those of a leaf page wholly before the cut that holds
// records of a placeable bucket of a workspace, whatever is lost above it.
func (f *boltFile) beforeCut(id uint64, path []string, reachable bool, cut int64) int {
	n := parseNode(f.page(id))
	whole := int64(id+1+uint64(binary.LittleEndian.Uint32(f.page(id)[12:])))*int64(f.ps) <= cut
	reachable = reachable && whole
	total := 0
	if whole && (reachable || (len(path) == 3 && path[0] == "ws" && placeable[path[2]])) {
		total += n.records
	}
	for _, c := range n.children {
		total += f.beforeCut(c, path, reachable, cut)
	}
	for name, v := range n.buckets {
		sub := append(path[:len(path):len(path)], name)
		if root := binary.LittleEndian.Uint64(v); root != 0 {
			total += f.beforeCut(root, sub, reachable, cut)
		} else if reachable {
			total += f.countNode(parseNode(v[16:]), func(uint64) bool { return false })
		}
	}
	return total
}

// TestDamagedDatabase is issue 23's first "Done when": copies of a real
// database damaged five ways. run, export, report and check never print a
// Go trace nor write to the file, and say what to do; tipbot salvage
// recovers every record of the pages left sound, and its copy checks sound.
func TestDamagedDatabase(t *testing.T) {
	dir := t.TempDir()
	bin := e2eBuild(t, dir)
	orig := filepath.Join(dir, "tips.db")
	var script strings.Builder
	for i := range 250 {
		fmt.Fprintf(&script, "/as user%d\ntip: number %d: %s #git\n", i%25, i, strings.Repeat("use git bisect run to find the commit that broke the build ", 4))
	}
	script.WriteString("/as bob\n/react 1 bulb\n/react 2 bulb\n")
	mustCLI(t, script.String(), "shell", "-db", orig)
	if out := e2eRun(t, bin, dir, "", "check", "-db", orig); !strings.Contains(out, "is sound") {
		t.Fatalf("check of the sound file: %s", out)
	}

	f := readBoltFile(t, orig)
	none := func(uint64) bool { return false }
	total := f.count(f.root, none)
	tips := f.bucketRoot(t, "ws", "shell:local", "tips")
	tipsNode := parseNode(f.page(tips))
	if tipsNode.flags != 0x01 || len(tipsNode.children) < 3 {
		t.Fatalf("the tips bucket's root is not a branch page of several leaves (flags %#x, %d children, %d records, %d bytes)", tipsNode.flags, len(tipsNode.children), tipsNode.records, len(f.page(tips)))
	}
	leaf := tipsNode.children[1]
	leafNode := parseNode(f.page(leaf))
	older := 0
	if f.txid[0] > f.txid[1] {
		older = 1
	}
	half := int64(len(f.data) / 2)
	if n := f.beforeCut(f.root, nil, true, half); n < 100 {
		t.Fatalf("the first half of the file holds only %d records salvage can place; the truncated case would not test the page scan", n)
	}

	cases := []struct {
		name   string
		damage func(data []byte) []byte
		saved  int // records of the pages left sound: salvage saves at least these
	}{
		{"meta page", func(d []byte) []byte {
			copy(d[older*f.ps+16+40:], bytes.Repeat([]byte{0x5a}, 16)) // the high-water mark and txid
			return d
		}, total},
		{"branch page", func(d []byte) []byte {
			p := d[int(tips)*f.ps:]
			copy(p[16:], bytes.Repeat([]byte{0xab}, 16*len(tipsNode.children)))
			return d
		}, total}, // the tips below it are loose leaves of tips: the page scan places them all
		{"leaf header", func(d []byte) []byte {
			p := d[int(leaf)*f.ps:]
			binary.LittleEndian.PutUint16(p[8:], 0x40)
			binary.LittleEndian.PutUint16(p[10:], 0xffff)
			return d
		}, total - leafNode.records},
		{"leaf value", func(d []byte) []byte {
			p := d[int(leaf)*f.ps:]
			p[leafNode.values[0]] = 0xee // a tip's format byte
			return d
		}, total - 1},
		{"truncated", func(d []byte) []byte { return d[:half] }, f.beforeCut(f.root, nil, true, half)},
	}
	trace := regexp.MustCompile(`goroutine \d+|panic:|\.go:\d+`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cdir := t.TempDir()
			path := filepath.Join(cdir, "tips.db")
			if err := os.WriteFile(path, c.damage(bytes.Clone(f.data)), 0o600); err != nil {
				t.Fatal(err)
			}
			sum := fileSum(t, path)
			cfg := filepath.Join(cdir, "tipbot.yaml")
			if err := os.WriteFile(cfg, []byte("store:\n  path: "+path+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"run", "-config", cfg},
				{"shell", "-db", path},
				{"export", "-db", path},
				{"report", "-db", path},
				{"check", "-db", path},
			} {
				code, out, errOut := runBin(t, bin, cdir, "/tips search bisect\n/tip another tip\n", args...)
				all := out + errOut
				if code != 1 {
					t.Errorf("tipbot %s: exit %d, want 1\n%s", args[0], code, all)
				}
				if trace.MatchString(all) {
					t.Errorf("tipbot %s printed a Go trace:\n%s", args[0], all)
				}
				if !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, "tipbot salvage -db "+path) {
					t.Errorf("tipbot %s does not say the file is damaged and what to do:\n%s", args[0], all)
				}
				if got := fileSum(t, path); got != sum {
					t.Fatalf("tipbot %s changed the damaged file", args[0])
				}
			}
			saved := filepath.Join(cdir, "saved.db")
			code, out, errOut := runBin(t, bin, cdir, "", "salvage", "-db", path, "-o", saved)
			if code != 0 || trace.MatchString(out+errOut) {
				t.Fatalf("salvage: exit %d\n%s%s", code, out, errOut)
			}
			m := regexp.MustCompile(`Saved (\d+) records`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("salvage does not say how many records it saved:\n%s", out)
			}
			n, _ := strconv.Atoi(m[1])
			if strings.Contains(out, "does not tell which workspace") {
				// The pages naming the workspace lie past the cut: the
				// operator names it, as the output says.
				t.Logf("salvage could not tell the workspace; again with -workspace:\n%s", out)
				saved = filepath.Join(cdir, "saved-ws.db")
				code, out, errOut = runBin(t, bin, cdir, "", "salvage", "-db", path, "-o", saved, "-workspace", "shell:local")
				if code != 0 || trace.MatchString(out+errOut) {
					t.Fatalf("salvage -workspace: exit %d\n%s%s", code, out, errOut)
				}
				m = regexp.MustCompile(`Saved (\d+) records`).FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("salvage -workspace does not say how many records it saved:\n%s", out)
				}
				n, _ = strconv.Atoi(m[1])
			}
			if n < c.saved || n > total {
				t.Errorf("salvage saved %d records; the sound pages hold %d (of %d)\n%s", n, c.saved, total, out)
			}
			t.Logf("salvage saved %d of %d records (sound pages: %d)", n, total, c.saved)
			if got := fileSum(t, path); got != sum {
				t.Errorf("salvage changed the damaged file")
			}
			if code, out, errOut := runBin(t, bin, cdir, "", "check", "-db", saved); code != 0 {
				t.Errorf("check of the salvaged copy: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := runBin(t, bin, cdir, "", "export", "-db", saved); code != 0 || (n == total && strings.Count(out, "\n") != 250) {
				t.Errorf("export of the salvaged copy: exit %d, %d lines\n%s", code, strings.Count(out, "\n"), errOut)
			}
		})
	}
}

// runBin runs the binary and returns its exit code and outputs.
func runBin(t *testing.T, bin, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("tipbot %s: %v", args[0], err)
	}
	return code, stdout.String(), stderr.String()
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}
