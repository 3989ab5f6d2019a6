package slack

import (
	"fmt"
	"strings"

	"github.com/tipbot/tipbot/internal/setting"
)

// Validate checks the settings of tipbot.yaml's slack section that c
// holds, for New and for `tipbot check-config`: the mode, the API URL (to
// which it adds the trailing "/" slack-go needs) and the secrets each mode
// needs. It returns the problems found, keyed as in the section; none when
// c is usable. Empty Mode and APIURL are refused: New fills in their
// defaults, ModeSocket and DefaultAPIURL, before it calls Validate.
func (c *Config) Validate() []setting.Problem {
	var ps []setting.Problem
	switch c.Mode {
	case ModeSocket, ModeHTTP:
	default:
		ps = append(ps, setting.Problem{Key: "mode", Msg: fmt.Sprintf("%s is not %s or %s", setting.Quote(c.Mode), ModeSocket, ModeHTTP)})
	}
	if msg := setting.URL(c.APIURL); msg != "" {
		ps = append(ps, setting.Problem{Key: "api_url", Msg: msg})
	} else if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/" // slack-go appends method names to it
	}
	required := func(key, v, when string) {
		if v == "" {
			ps = append(ps, setting.Problem{Key: key, Required: true, When: when})
		}
	}
	if c.ClientID != "" {
		required("client_secret", c.ClientSecret, "and slack.client_id is set")
	} else {
		required("bot_token", c.BotToken, "")
	}
	switch c.Mode {
	case ModeSocket:
		required("app_token", c.AppToken, "in socket mode")
	case ModeHTTP:
		required("signing_secret", c.SigningSecret, "in http mode")
	}
	return ps
}
