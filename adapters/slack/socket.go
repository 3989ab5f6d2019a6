package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// runSocket serves Socket Mode until ctx ends. slack-go's client keeps the
// connection up: it reconnects on a disconnect request, on a dropped
// connection and when Slack has not pinged for pingInterval. Events are
// acknowledged only once the core has committed them; an unacknowledged
// envelope is delivered again by Slack, with the same event_id, which the
// core recognizes.
func (a *Adapter) runSocket(ctx context.Context) error {
	sm := socketmode.New(a.api,
		socketmode.OptionPingInterval(a.pingInterval),
		socketmode.OptionLog(slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)),
	)
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(ctx) }()
	defer a.connected.Store(false)
	for {
		select {
		case <-ctx.Done():
			// Let slack-go close its connection; it stops with ctx.
			select {
			case <-runErr:
			case <-time.After(5 * time.Second):
			}
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack: socket mode stopped: %w", err)
		case evt := <-sm.Events:
			a.onSocketEvent(ctx, sm, evt)
		}
	}
}

func (a *Adapter) onSocketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.connected.Store(false)
		a.log.Debug("slack: connecting to socket mode")
	case socketmode.EventTypeConnectionError:
		a.connected.Store(false)
		if e, ok := evt.Data.(*slackapi.ConnectionErrorEvent); ok {
			a.log.Warn("slack: socket mode connection failed", "attempt", e.Attempt, "backoff", e.Backoff, "err", e.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		a.connected.Store(false)
		a.log.Error("slack: app token refused")
	case socketmode.EventTypeConnected:
		a.connected.Store(true)
		if e, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			a.log.Info("slack: socket mode connected", "connection", e.ConnectionCount)
		}
	case socketmode.EventTypeHello:
		a.connected.Store(true)
	case socketmode.EventTypeIncomingError:
		a.log.Warn("slack: socket mode read failed", "data", evt.Data)
	case socketmode.EventTypeErrorWriteFailed:
		// An acknowledgement that did not make it: Slack will deliver the
		// envelope again and the core will recognize it.
		a.log.Warn("slack: socket mode write failed", "data", evt.Data)
	case socketmode.EventTypeErrorBadMessage:
		// Unknown event types and payloads slack-go cannot parse: they are
		// acknowledged so that Slack does not send them again and again.
		var envelopeID string
		if e, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var req struct {
				EnvelopeID string `json:"envelope_id"`
				Type       string `json:"type"`
			}
			if json.Unmarshal(e.Message, &req) == nil {
				envelopeID = req.EnvelopeID
			}
			a.log.Info("slack: ignoring socket mode message", "type", req.Type, "err", e.Cause)
		}
		if envelopeID != "" {
			a.tasks.Go(func() { a.ack(ctx, sm, envelopeID, nil) })
		}
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		req := *evt.Request
		if req.RetryAttempt > 0 {
			a.log.Debug("slack: event delivered again", "envelope", req.EnvelopeID, "attempt", req.RetryAttempt, "reason", req.RetryReason)
		}
		// Acks wait for the connection when it is down; they never hold
		// this loop, which must keep reading slack-go's events.
		a.serveEventAsync(req.Payload, func(ok bool) {
			if ok {
				a.tasks.Go(func() { a.ack(ctx, sm, req.EnvelopeID, nil) })
			}
		})
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slackapi.SlashCommand)
		if evt.Request == nil || !ok {
			return
		}
		envelopeID := evt.Request.EnvelopeID
		var extra struct {
			UserTeam string `json:"user_team"`
		}
		_ = json.Unmarshal(evt.Request.Payload, &extra) // slack-go read the payload already: only user_team is wanted
		ev, err := translateCommand(cmd, extra.UserTeam)
		if err != nil {
			a.log.Warn("slack: ignoring malformed command", "err", err)
			a.tasks.Go(func() { a.ack(ctx, sm, envelopeID, nil) })
			return
		}
		a.tasks.Go(func() {
			a.answer(ev, cmd.ResponseURL, true, func(p *slackapi.WebhookMessage) { a.ack(ctx, sm, envelopeID, p) })
		})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slackapi.InteractionCallback)
		if evt.Request == nil || !ok {
			return
		}
		envelopeID := evt.Request.EnvelopeID
		ev, err := translateInteraction(cb)
		if err != nil || ev == nil {
			if err != nil {
				a.log.Warn("slack: ignoring malformed interaction", "err", err)
			}
			a.tasks.Go(func() { a.ack(ctx, sm, envelopeID, nil) })
			return
		}
		a.tasks.Go(func() {
			a.answer(ev, cb.ResponseURL, false, func(*slackapi.WebhookMessage) { a.ack(ctx, sm, envelopeID, nil) })
		})
	}
}

// ack acknowledges an envelope, with a payload (a command's ephemeral
// reply) when there is one.
func (a *Adapter) ack(ctx context.Context, sm *socketmode.Client, envelopeID string, p *slackapi.WebhookMessage) {
	var payload any
	if p != nil {
		payload = p
	}
	if err := sm.AckCtx(ctx, envelopeID, payload); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Warn("slack: acknowledgement not sent", "envelope", envelopeID, "err", err)
	}
}
