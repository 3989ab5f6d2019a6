package slack

// texts are the few messages the adapter itself shows users; everything
// else comes from the core.
type texts struct {
	working string // a command is taking longer than Slack's 3 seconds
	failed  string // the core failed on a command or shortcut
}

var catalog = map[string]texts{
	"en": {
		working: "⏳ Working on it…",
		failed:  "⚠️ Sorry, that did not work. Please try again in a moment.",
	},
	"fr": {
		working: "⏳ Je m’en occupe…",
		failed:  "⚠️ Désolé, cela n’a pas fonctionné. Réessayez dans un instant.",
	},
}
