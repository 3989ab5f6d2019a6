package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a recurring session prompt.
type Schedule struct {
	ID        string // "c1"
	Spec      string // the cron expression as the trainer wrote it
	Channel   string
	Title     string
	CreatedBy string
	CreatedAt time.Time
	// LastRun is the due time of the last run handled (fired or skipped);
	// the next run is the first due time after it.
	LastRun time.Time
}

const recSchedule = "schedule" // key: padded number → Schedule JSON

func scheduleKey(id string) (string, bool) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(id), "c"), "C"), 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	return fmt.Sprintf("%020d", n), true
}

func putSchedule(tx Tx, s Schedule) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("bot: encode schedule: %w", err)
	}
	key, _ := scheduleKey(s.ID)
	return tx.PutRecord(recSchedule, key, raw)
}

func schedules(tx ReadTx) ([]Schedule, error) {
	var list []Schedule
	err := tx.ForEachRecord(recSchedule, func(_ string, raw []byte) error {
		var s Schedule
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("bot: decode schedule: %w", err)
		}
		list = append(list, s)
		return nil
	})
	return list, err
}

// parseCron parses a schedule's expression in the configured zone.
func (b *Bot) parseCron(spec string) (CronSchedule, error) {
	if b.cron == nil {
		return nil, errors.New("no cron parser configured")
	}
	return b.cron(spec, b.cfg.Location)
}

// cmdSchedule: /tips schedule add "<cron>" [#channel] <title> | list | remove <id>
func (b *Bot) cmdSchedule(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) == 0 {
		return b.usage("usage.schedule"), nil
	}
	switch strings.ToLower(args[0]) {
	case "add":
		return b.scheduleAdd(ctx, e, args[1:])
	case "list":
		return b.scheduleList(ctx, e)
	case "remove", "rm", "delete":
		if len(args) != 2 {
			return b.usage("usage.schedule"), nil
		}
		key, ok := scheduleKey(args[1])
		if !ok {
			return b.private(b.t("schedule.unknown", args[1])), nil
		}
		return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
			if _, err := tx.Record(recSchedule, key); errors.Is(err, ErrNotFound) {
				out.reply = b.private(b.t("schedule.unknown", args[1]))
				return false, nil
			} else if err != nil {
				return false, err
			}
			out.reply = b.private(b.t("schedule.removed", args[1]))
			return true, tx.DeleteRecord(recSchedule, key)
		})
	}
	return b.usage("usage.schedule"), nil
}

func (b *Bot) scheduleAdd(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) < 2 {
		return b.usage("usage.schedule"), nil
	}
	spec := strings.TrimSpace(args[0])
	sched, err := b.parseCron(spec)
	if err != nil {
		return b.private(b.t("schedule.badcron", spec)), nil
	}
	channel, rest := e.Channel, args[1:]
	if r := b.badChannelArg(e.Workspace.Platform, rest[0]); r != nil {
		return r, nil
	}
	if c, ok := b.channelArg(e.Workspace.Platform, rest[0]); ok {
		channel, rest = c, rest[1:]
	}
	title := strings.TrimSpace(strings.Join(rest, " "))
	if title == "" {
		return b.usage("usage.schedule"), nil
	}
	now := b.now()
	if sched.Next(now).IsZero() {
		return b.private(b.t("schedule.badcron", spec)), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		n, err := nextSequence(tx, "schedule")
		if err != nil {
			return false, err
		}
		s := Schedule{ID: "c" + strconv.FormatUint(n, 10), Spec: spec, Channel: channel, Title: snippet(title, maxTitleRunes),
			CreatedBy: e.User.ID, CreatedAt: now, LastRun: now}
		if err := putSchedule(tx, s); err != nil {
			return false, err
		}
		out.reply = &Message{Lines: []Line{{Parts: b.tp("schedule.added", s.ID, s.Title, channelRef(s.Channel), b.nextRun(sched, now))}}}
		out.wake = true
		return true, nil
	})
}

// nextRun formats the next run of a schedule in its own zone.
func (b *Bot) nextRun(sched CronSchedule, after time.Time) string {
	next := sched.Next(after)
	if next.IsZero() {
		return "—"
	}
	return next.In(sched.Location()).Format("2006-01-02 15:04 MST") + " (" + sched.Location().String() + ")"
}

func (b *Bot) scheduleList(ctx context.Context, e *CommandInvoked) (Reply, error) {
	var list []Schedule
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		list, err = schedules(tx)
		return err
	}); err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("schedule.title")}
	if len(list) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("schedule.none")})
	}
	for _, s := range list {
		next := "—"
		if sched, err := b.parseCron(s.Spec); err == nil {
			next = b.nextRun(sched, maxTime(s.LastRun, b.now()))
		}
		m.Lines = append(m.Lines, Line{Parts: b.tp("schedule.line", s.ID, s.Title, channelRef(s.Channel), s.Spec, next)})
	}
	return m, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
