package bot

// texts holds every message users read, in one language.
type texts map[string]string

// catalog maps a locale to its texts.
var catalog = map[string]texts{"en": {}, "fr": {}}
