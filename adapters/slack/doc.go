// Package slack connects tipbot to Slack with github.com/slack-go/slack.
//
// An Adapter receives Slack's events (messages, reactions, the /tip and
// /tips slash commands and the "Save as tip" message shortcut) either over
// Socket Mode or on one HTTP endpoint (POST /slack/events, as Slack's Bolt
// does), translates them into core events (translate.go) and hands them to
// the core. It acknowledges an event only after the core has committed it,
// always within Slack's three seconds, and answers commands privately.
// No event waits on a call to Slack about people: their names and flags
// come from the core's directory of people, which the adapter fills
// (users.list at first start and daily, team_join and user_change events,
// users.info after the commit for someone it does not know: people.go).
//
// Outbound, an Adapter implements bot.Chat: Block Kit messages with a
// plain-text fallback, reactions, private messages and file uploads, paced
// to Slack's rate limits (one message per second per channel, a
// workspace-wide cap) and retried after HTTP 429.
//
// manifest.yaml is the Slack app manifest that declares the scopes, events,
// commands and shortcut the adapter needs.
package slack
