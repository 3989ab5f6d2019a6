// Package bot is tipbot's platform-free core: the domain types (tips, votes,
// sessions), the closed union of events that adapters feed in, the ports the
// core needs (Store for persistence, Chat for carrying messages out) and the
// logic that turns events into captured tips, fair useful-vote tallies,
// leaderboards, searches and replies in English or French.
//
// The package imports only the standard library. Adapters (Slack, Discord,
// the terminal shell) translate platform payloads into Events and call
// Bot.Handle; the store package implements Store on bbolt. Time is read only
// through the injected Now function.
package bot
