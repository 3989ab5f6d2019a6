package slack

// texts are the few messages the adapter itself shows users; everything
// else comes from the core.
type texts struct {
	busy   string // a command was not committed in time: nothing was saved
	failed string // the core failed on a command or shortcut
}

var catalog = map[string]texts{
	"en": {
		busy:   "⏳ Not saved: tipbot is busy, please try again.",
		failed: "⚠️ Sorry, that did not work. Please try again in a moment.",
	},
	"fr": {
		busy:   "⏳ Non enregistré : tipbot est occupé, veuillez réessayer.",
		failed: "⚠️ Désolé, cela n’a pas fonctionné. Réessayez dans un instant.",
	},
}
