package bot

// What cmd/tipbot and the adapters share to check configuration: each
// adapter validates its own section of tipbot.yaml (its constructor and
// `tipbot check-config` call the same Validate) and reports
// SettingProblems, which name the key and say what is wrong in the words
// check-config prints.

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// SettingProblem is one setting of an adapter's section that Validate refuses.
type SettingProblem struct {
	// Key is the setting's key inside the section, as written in
	// tipbot.yaml: "mode", "api_url", "guild_ids[1]".
	Key string
	// Msg says what is wrong with the value, e.g. `"x" is not socket or
	// http`; "" when Required.
	Msg string
	// Required is set when the value is empty but needed once the adapter
	// is enabled; When then says in which case ("in socket mode"), "" when
	// always.
	Required bool
	When     string
}

// Error returns "KEY: MSG", or "KEY: is empty (WHEN)" for a required value.
func (p SettingProblem) Error() string {
	if !p.Required {
		return p.Key + ": " + p.Msg
	}
	if p.When == "" {
		return p.Key + ": is empty"
	}
	return p.Key + ": is empty (" + p.When + ")"
}

// SettingsError joins problems into one error for a constructor, each prefixed with
// the adapter's name; nil when there are none.
func SettingsError(adapter string, ps []SettingProblem) error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = fmt.Errorf("%s: %w", adapter, p)
	}
	return errors.Join(errs...)
}

// CheckURL returns "" when s is an absolute http(s) URL without query or
// fragment, else what is wrong with it. Credentials in the URL are not
// repeated in the message.
func CheckURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "is not a URL"
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return QuoteValue(u.Redacted()) + " is not an absolute http(s) URL"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return QuoteValue(u.Redacted()) + " has a query or fragment"
	}
	return ""
}

// QuoteValue quotes a value for a message, shortened to 80 characters.
func QuoteValue(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return strconv.Quote(s)
}
