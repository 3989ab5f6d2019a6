package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameAsJSON checks readReaction against encoding/json: whatever it
// accepts, json.Unmarshal reads without error into the same envelope.
func sameAsJSON(t *testing.T, raw []byte) (accepted bool) {
	t.Helper()
	got, ok := readReaction(raw)
	if !ok {
		return false
	}
	var want envelope
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("readReaction accepted what json.Unmarshal refuses (%v):\n%s", err, raw)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("readReaction read\n%+v %+v\njson.Unmarshal\n%+v %+v\nfrom %s", got, got.Event, want, want.Event, raw)
	}
	return true
}

// Reaction events (the testdata's and the benchmark's shape) are read
// without reflection, to the same envelope; other events are left to
// encoding/json.
func TestReadReactionSameAsJSON(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		accepted := sameAsJSON(t, raw)
		reaction := strings.Contains(filepath.Base(f), "reaction")
		if accepted != reaction {
			t.Errorf("%s: read without reflection = %v, want %v", f, accepted, reaction)
		}
	}
	bench := `{"token":"x","team_id":"T0TEAM001","api_app_id":"A0APP0001","type":"event_callback","event_id":"Ev0ABCDEFGHI","event_time":1764237600,` +
		`"event":{"type":"reaction_added","user":"UV0000001","reaction":"+1","item_user":"UA0000001","item":{"type":"message","channel":"C0GENERAL","ts":"1764237600.000100"},"event_ts":"1764237600.000100"}}`
	if !sameAsJSON(t, []byte(bench)) {
		t.Error("the benchmark's reaction was not read without reflection")
	}
	// Left to encoding/json: each would need its rules, or is another event.
	for _, body := range []string{
		strings.Replace(bench, `"reaction":"+1"`, `"reaction":"\u002b1"`, 1),              // escape in a kept value
		strings.Replace(bench, `"user":"UV0000001"`, `"User":"UV0000001"`, 1),             // another case
		strings.Replace(bench, `"user":"UV0000001"`, `"user":"A","user":"B"`, 1),          // twice
		strings.Replace(bench, `"event_time":1764237600`, `"event_time":1764237600.5`, 1), // fraction
		strings.Replace(bench, `"event_time":1764237600`, `"event_time":null`, 1),
		strings.Replace(bench, `"reaction":"+1"`, `"reaction":"é"`, 1),
		strings.Replace(bench, `"user":"UV0000001"`, `"user":"UV0000001","text":"hi"`, 1), // a message's field
		strings.Replace(bench, `"type":"reaction_added"`, `"type":"message"`, 1),
		strings.Replace(bench, `"type":"event_callback"`, `"type":"url_verification"`, 1),
		strings.Replace(bench, `"team_id"`, `"team_\u0069d"`, 1),
		strings.Replace(bench, `"api_app_id"`, `"\u212Aey"`, 1) + ``, // not a field: skipped, still read
		bench + ` x`,
		bench[:len(bench)-1],
		`[` + bench + `]`,
	} {
		sameAsJSON(t, []byte(body))
	}
	for _, body := range []string{
		strings.Replace(bench, `"reaction":"+1"`, `"reaction":"\u002b1"`, 1),
		strings.Replace(bench, `"user":"UV0000001"`, `"User":"UV0000001"`, 1),
		strings.Replace(bench, `"event_time":1764237600`, `"event_time":1764237600.5`, 1),
		strings.Replace(bench, `"user":"UV0000001"`, `"user":"UV0000001","text":"hi"`, 1),
	} {
		if _, ok := readReaction([]byte(body)); ok {
			t.Errorf("read without reflection: %s", body)
		}
	}
	// Skipped values of every JSON kind, and white space anywhere.
	rich := strings.Replace(bench, `"token":"x"`, ` "token" : "x\"\\\u00e9\n" , "n":[1,-0.5e+3,true,false,null,{"a":[{}]},"\ud83d"], "o":{"p":{"q":[]}} `, 1)
	if !sameAsJSON(t, []byte(rich)) {
		t.Error("a reaction with unknown fields of every kind was not read without reflection")
	}
	for _, bad := range []string{`"n":01`, `"n":1.`, `"n":-`, `"n":tru`, `"n":"\x"`, `"n":[1,]`, `"n":{"a"}`} {
		body := strings.Replace(bench, `"token":"x"`, bad, 1)
		if _, ok := readReaction([]byte(body)); ok {
			t.Errorf("invalid JSON read: %s", body)
		}
	}
}

// FuzzReadReaction checks readReaction against encoding/json on any body.
func FuzzReadReaction(f *testing.F) {
	for _, b := range seeds(f, "reaction", "message", "unknown", "malformed") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsJSON(t, body)
	})
}
