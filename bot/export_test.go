package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// failingStore is the real store with View failing, to inject an error.
type failingStore struct {
	bot.Store
	err error
}

func (s failingStore) View(context.Context, bot.Workspace, func(bot.ReadTx) error) error {
	return s.err
}

// mustExportStore returns a real store file holding the given tips.
func mustExportStore(t *testing.T, tips map[bot.Workspace][]bot.Tip) bot.Store {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "export.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	for ws, list := range tips {
		err := db.Update(context.Background(), ws, func(tx bot.Tx) error {
			for _, tip := range list {
				if err := tx.PutTip(tip); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return db
}

var (
	wsLocal = bot.Workspace{Platform: bot.Shell, ID: "local"}
	wsSlack = bot.Workspace{Platform: bot.Slack, ID: "T123"}
	wsOther = bot.Workspace{Platform: bot.Discord, ID: "999"}
)

func exportFixture(t *testing.T) bot.Store {
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 3600))
	return mustExportStore(t, map[bot.Workspace][]bot.Tip{
		wsLocal: {
			{ID: 1, Channel: "#general", MessageID: "3", AuthorID: "alice", AuthorName: "alice",
				Text: "tip: use git bisect to find regressions #git", Topics: []string{"git"},
				Source: bot.SourcePrefix, Status: bot.StatusPublished, UsefulVotes: 2, CreatedAt: at, Applied: 3},
			{ID: 7, Channel: "#formation", MessageID: "12", ThreadID: "10", AuthorID: "bob", AuthorName: "Bob «Éloïse» Müller",
				Text:   "Astuce, \"guillemets\" et virgules,\nsur deux lignes: Ctrl+Maj+V colle sans mise en forme ✓ #excel #Raccourcis",
				Topics: []string{"excel", "raccourcis"}, Source: bot.SourceSession, SessionID: 3,
				Status: bot.StatusPending, CreatedAt: at.Add(time.Hour), Visibility: bot.VisibilityChannel},
		},
		wsSlack: {
			{ID: 42, Channel: "C0123", MessageID: "1712345678.000100", AuthorID: "U1", AuthorName: "",
				Text: "<script>&amp; =SUM(A1)", Source: bot.SourceReaction, Status: bot.StatusRejected, CreatedAt: at},
			{ID: 43, Channel: "C0123", MessageID: "1712345679.000200", AuthorID: "U2", AuthorName: "Zoë",
				Text: "   ", Topics: []string{}, Source: bot.SourceCommand, Status: bot.StatusFeatured, UsefulVotes: 11, CreatedAt: at},
		},
		wsOther: {
			{ID: 1, Channel: "555", MessageID: "666", AuthorID: "777", Text: "other guild", Source: bot.SourceShortcut,
				Status: bot.StatusPublished, CreatedAt: at},
		},
	})
}

// wantRows are the CSV rows of exportFixture for wsLocal then wsSlack.
var wantRows = [][]string{
	{"t1", "local", "shell", "#general", "3", "alice", "alice", "tip: use git bisect to find regressions #git",
		"git", "prefix", "", "published", "2", "2025-03-14T08:26:53Z", "3", "", "workspace"},
	{"t7", "local", "shell", "#formation", "12", "bob", "Bob «Éloïse» Müller",
		"Astuce, \"guillemets\" et virgules,\nsur deux lignes: Ctrl+Maj+V colle sans mise en forme ✓ #excel #Raccourcis",
		"excel raccourcis", "session", "s3", "pending", "0", "2025-03-14T09:26:53Z", "0", "", "channel"},
	{"t42", "T123", "slack", "C0123", "1712345678.000100", "U1", "", "<script>&amp; =SUM(A1)",
		"", "reaction", "", "rejected", "0", "2025-03-14T08:26:53Z", "0", "", "workspace"},
	{"t43", "T123", "slack", "C0123", "1712345679.000200", "U2", "Zoë", "   ",
		"", "command", "", "featured", "11", "2025-03-14T08:26:53Z", "0", "", "workspace"},
}

func TestExportCSVRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := bot.Export(context.Background(), exportFixture(t), []bot.Workspace{wsLocal, wsSlack}, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), strings.Join(bot.ExportColumns, ",")+"\r\n") {
		t.Errorf("CSV does not start with the header row and CRLF: %q", buf.String()[:min(buf.Len(), 200)])
	}
	r := csv.NewReader(&buf)
	r.FieldsPerRecord = len(bot.ExportColumns)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rows[0], bot.ExportColumns; !reflect.DeepEqual(got, want) {
		t.Errorf("header = %q, want %q", got, want)
	}
	if got, want := rows[1:], wantRows; !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
}

func TestExportJSONL(t *testing.T) {
	for _, format := range []string{"jsonl", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := bot.Export(context.Background(), exportFixture(t), []bot.Workspace{wsLocal, wsSlack}, format, &buf); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if got, want := len(lines), len(wantRows); got != want {
				t.Fatalf("%d lines, want %d:\n%s", got, want, buf.String())
			}
			for i, line := range lines {
				// Keys in SPEC's order.
				dec := json.NewDecoder(strings.NewReader(line))
				var keys []string
				if _, err := dec.Token(); err != nil {
					t.Fatal(err)
				}
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						t.Fatal(err)
					}
					keys = append(keys, k.(string))
					var skip json.RawMessage
					if err := dec.Decode(&skip); err != nil {
						t.Fatal(err)
					}
				}
				if !reflect.DeepEqual(keys, bot.ExportColumns) {
					t.Errorf("line %d keys = %q, want %q", i+1, keys, bot.ExportColumns)
				}

				var rec struct {
					ID, Workspace, Platform, Channel, MessageID, AuthorID, AuthorName, Text string
					Topics                                                                  []string
					Source, SessionID, Status                                               string
					UsefulVotes                                                             *int
					CreatedAt                                                               string
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatal(err)
				}
				var fields map[string]json.RawMessage
				if err := json.Unmarshal([]byte(line), &fields); err != nil {
					t.Fatal(err)
				}
				if raw := string(fields["topics"]); !strings.HasPrefix(raw, "[") {
					t.Errorf("line %d: topics = %s, want a JSON list", i+1, raw)
				}
				if raw := string(fields["useful_votes"]); strings.HasPrefix(raw, `"`) {
					t.Errorf("line %d: useful_votes = %s, want a number", i+1, raw)
				}
				want := wantRows[i]
				got := []string{rec.ID, rec.Workspace, rec.Platform, rec.Channel, jsonField(fields, "message_id"),
					jsonField(fields, "author_id"), jsonField(fields, "author_name"), rec.Text, strings.Join(rec.Topics, " "),
					rec.Source, jsonField(fields, "session_id"), rec.Status, string(fields["useful_votes"]), jsonField(fields, "created_at"),
					string(fields["applied"]), pathsCell(t, fields["paths"]), jsonField(fields, "visibility")}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("line %d:\n got %q\nwant %q", i+1, got, want)
				}
			}
			if strings.Contains(buf.String(), `\u003c`) {
				t.Errorf("HTML-escaped text in JSON Lines: %s", buf.String())
			}
		})
	}
}

func jsonField(fields map[string]json.RawMessage, key string) string {
	var s string
	if err := json.Unmarshal(fields[key], &s); err != nil {
		return "!" + string(fields[key])
	}
	return s
}

func TestExportOnlyGivenWorkspaces(t *testing.T) {
	var buf bytes.Buffer
	if err := bot.Export(context.Background(), exportFixture(t), []bot.Workspace{wsOther}, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 2; got != want {
		t.Fatalf("%d rows, want header and one tip: %q", got, rows)
	}
	if got, want := rows[1][1]+"/"+rows[1][2]+"/"+rows[1][7], "999/discord/other guild"; got != want {
		t.Errorf("row = %q, want %q", got, want)
	}

	buf.Reset()
	if err := bot.Export(context.Background(), exportFixture(t), nil, "jsonl", &buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("no workspace wrote %q, want nothing", buf.String())
	}
}

func TestExportErrors(t *testing.T) {
	t.Run("unknown format", func(t *testing.T) {
		var buf bytes.Buffer
		err := bot.Export(context.Background(), exportFixture(t), []bot.Workspace{wsLocal}, "xml", &buf)
		if err == nil || !strings.Contains(err.Error(), `"xml"`) || !strings.Contains(err.Error(), "jsonl or csv") {
			t.Errorf("err = %v, want one naming xml and listing jsonl or csv", err)
		}
		if buf.Len() != 0 {
			t.Errorf("wrote %q before failing", buf.String())
		}
	})
	t.Run("store", func(t *testing.T) {
		st := failingStore{exportFixture(t), errors.New("disk on fire")}
		err := bot.Export(context.Background(), st, []bot.Workspace{wsLocal}, "csv", io.Discard)
		if !errors.Is(err, st.err) || !strings.Contains(err.Error(), "shell:local") {
			t.Errorf("err = %v, want the store's error naming the workspace", err)
		}
	})
	t.Run("writer", func(t *testing.T) {
		werr := errors.New("pipe closed")
		err := bot.Export(context.Background(), exportFixture(t), []bot.Workspace{wsLocal}, "jsonl", failWriter{werr})
		if !errors.Is(err, werr) {
			t.Errorf("err = %v, want %v", err, werr)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		var tips []bot.Tip
		for i := range 3000 {
			tips = append(tips, bot.Tip{ID: bot.TipID(i + 1), Text: "x", Source: bot.SourceCommand, Status: bot.StatusPublished})
		}
		st := mustExportStore(t, map[bot.Workspace][]bot.Tip{wsLocal: tips})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := bot.Export(ctx, st, []bot.Workspace{wsLocal}, "csv", io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestExportCSVIsSafeInSpreadsheets checks issue 16: cells that a
// spreadsheet would run as a formula get a leading apostrophe, bidi
// controls are removed, and JSON Lines keep the text as stored.
func TestExportCSVIsSafeInSpreadsheets(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	texts := []string{"=HYPERLINK(\"http://x\")", "+1 to that", "-2 minus", "@SUM(A1)", "\tTAB", "safe = text", "abc\u202Efdp.exe"}
	var tips []bot.Tip
	for i, text := range texts {
		tips = append(tips, bot.Tip{ID: bot.TipID(i + 1), Channel: "#general", MessageID: fmt.Sprint(i + 1), AuthorID: "alice",
			AuthorName: "=cmd|' /C calc'!A0", Text: text, Source: bot.SourcePrefix, Status: bot.StatusPublished, CreatedAt: at})
	}
	st := mustExportStore(t, map[bot.Workspace][]bot.Tip{wsLocal: tips})
	var buf bytes.Buffer
	if err := bot.Export(context.Background(), st, []bot.Workspace{wsLocal}, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=HYPERLINK(\"http://x\")", "'+1 to that", "'-2 minus", "'@SUM(A1)", "'\tTAB", "safe = text", "abcfdp.exe"}
	if len(rows) != len(want)+1 {
		t.Fatalf("got %d rows, want %d", len(rows), len(want)+1)
	}
	for i, w := range want {
		if got := rows[i+1][7]; got != w {
			t.Errorf("text cell %d = %q, want %q", i, got, w)
		}
		if got := rows[i+1][6]; got != "'=cmd|' /C calc'!A0" {
			t.Errorf("author cell %d = %q, want it escaped", i, got)
		}
	}
	buf.Reset()
	if err := bot.Export(context.Background(), st, []bot.Workspace{wsLocal}, "jsonl", &buf); err != nil {
		t.Fatal(err)
	}
	var rec struct{ Text string }
	if err := json.Unmarshal(bytes.SplitN(buf.Bytes(), []byte("\n"), 2)[0], &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Text != texts[0] {
		t.Errorf("JSON Lines text = %q, want %q unchanged", rec.Text, texts[0])
	}
}

// pathsCell checks that a JSON Lines paths field is a list and returns
// it as its CSV cell (space-separated).
func pathsCell(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var paths []string
	if !strings.HasPrefix(string(raw), "[") || json.Unmarshal(raw, &paths) != nil {
		t.Errorf("paths = %s, want a JSON list", raw)
	}
	return strings.Join(paths, " ")
}
