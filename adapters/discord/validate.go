package discord

import (
	"fmt"
	"strings"

	"github.com/tipbot/tipbot/internal/setting"
)

// DefaultAPIURL is Discord's own address, the default of Config.APIURL.
const DefaultAPIURL = "https://discord.com"

// Validate checks the settings of tipbot.yaml's discord section that c
// holds, for New and for `tipbot check-config`: the API URL (from which it
// trims trailing "/"), the token and the guild ids. It returns the
// problems found, keyed as in the section; none when c is usable. An empty
// APIURL is refused: New fills in DefaultAPIURL before it calls Validate.
func (c *Config) Validate() []setting.Problem {
	var ps []setting.Problem
	if msg := setting.URL(c.APIURL); msg != "" {
		ps = append(ps, setting.Problem{Key: "api_url", Msg: msg})
	} else {
		c.APIURL = strings.TrimRight(c.APIURL, "/")
	}
	if c.Token == "" {
		ps = append(ps, setting.Problem{Key: "token", Required: true})
	}
	for i, id := range c.GuildIDs {
		if msg := CheckID("guild", id); msg != "" {
			ps = append(ps, setting.Problem{Key: fmt.Sprintf("guild_ids[%d]", i), Msg: setting.Quote(id) + " " + msg})
		}
	}
	return ps
}

// CheckID returns "" when id is a Discord id (a snowflake: digits), else
// a message saying it is not the id of a what ("guild", "channel") and
// where to find one.
func CheckID(what, id string) string {
	if id == "" || len(id) > 20 || strings.Trim(id, "0123456789") != "" {
		return "is not a Discord " + what + " id (digits; in Discord: right-click → Copy ID)"
	}
	return ""
}
