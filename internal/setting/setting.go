// Package setting is what cmd/tipbot and the adapters share to check
// configuration: each adapter validates its own section of tipbot.yaml
// (its constructor and `tipbot check-config` call the same Validate) and
// reports Problems, which name the key and say what is wrong in the words
// check-config prints.
package setting

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// Problem is one setting of an adapter's section that Validate refuses.
type Problem struct {
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
func (p Problem) Error() string {
	if !p.Required {
		return p.Key + ": " + p.Msg
	}
	if p.When == "" {
		return p.Key + ": is empty"
	}
	return p.Key + ": is empty (" + p.When + ")"
}

// Err joins problems into one error for a constructor, each prefixed with
// the adapter's name; nil when there are none.
func Err(adapter string, ps []Problem) error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = fmt.Errorf("%s: %w", adapter, p)
	}
	return errors.Join(errs...)
}

// URL returns "" when s is an absolute http(s) URL without query or
// fragment, else what is wrong with it. Credentials in the URL are not
// repeated in the message.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "is not a URL"
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return Quote(u.Redacted()) + " is not an absolute http(s) URL"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Quote(u.Redacted()) + " has a query or fragment"
	}
	return ""
}

// Quote quotes a value for a message, shortened to 80 characters.
func Quote(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return strconv.Quote(s)
}
