package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// maxSleep bounds how long the scheduler sleeps, so a clock jump or a
// change made by another path is noticed within that time.
const maxSleep = time.Hour

// maxCatchUpSteps bounds the walk over missed cron runs after a long stop.
const maxCatchUpSteps = 100000

// Run is the scheduler: it closes sessions at their deadline (posting the
// recap), posts reminders, fires scheduled prompts and the digest, until ctx
// ends. At start it does at once what fell due while tipbot was down:
// sessions past their deadline are closed with their recap; a scheduled run
// missed by less than sessions.catch_up fires once, an older one is skipped
// and logged. Only workspaces whose platform has an attached Chat are
// served. At start it also resumes the messages left in the durable
// outbox by the previous run. Run returns nil when ctx ends.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.resumeOutbox(ctx); err != nil && ctx.Err() == nil {
		b.log.Error("outbox: resuming the messages owed failed", "err", err)
	}
	// Catch up on what was said while tipbot was away, in the background:
	// new events are handled meanwhile.
	var recovering sync.WaitGroup
	defer recovering.Wait()
	recovering.Go(func() { b.recoverAll(ctx) })
	for {
		next, err := b.tick(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.log.Error("scheduler", "err", err)
			next = b.now().Add(time.Minute)
		}
		wait := maxSleep
		if !next.IsZero() {
			wait = min(max(next.Sub(b.now()), 0), maxSleep)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-b.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// TickNow does at once what is due (as Run does when its timer fires:
// sessions to close, reminders, scheduled prompts, the digest,
// follow-ups) and returns once the messages it owed are delivered. It is
// for a clock that was moved forward (tests, the shell's /advance); what
// it does is never done twice, even while Run runs.
func (b *Bot) TickNow(ctx context.Context) error {
	_, err := b.tick(ctx)
	b.Wait()
	b.wakeScheduler()
	return err
}

// wakeScheduler makes Run look again at once (a session or schedule was
// added).
func (b *Bot) wakeScheduler() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// tick does everything due now in every served workspace and returns when
// something will next be due (zero when nothing is planned).
func (b *Bot) tick(ctx context.Context) (time.Time, error) {
	workspaces, err := b.store.Workspaces(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	var errs []error
	for _, ws := range workspaces {
		if b.chat(ws.Platform) == nil {
			continue
		}
		if paused, err := b.isPaused(ctx, ws); paused || err != nil {
			errs = append(errs, err) // paused: see PauseWorkspace
			continue
		}
		t, err := b.tickSessions(ctx, ws)
		soonest(t)
		errs = append(errs, err)
		t, err = b.tickSchedules(ctx, ws)
		soonest(t)
		errs = append(errs, err)
		t, err = b.tickDigest(ctx, ws)
		soonest(t)
		errs = append(errs, err)
		t, err = b.tickFollowUps(ctx, ws)
		soonest(t)
		errs = append(errs, err)
		t, err = b.tickNudges(ctx, ws)
		soonest(t)
		errs = append(errs, err)
	}
	if t, err := b.digestNext(); err == nil {
		soonest(t) // a digest may be due in a workspace with no data yet
	}
	return next, errors.Join(errs...)
}

// tickSessions closes sessions past their deadline and sends due reminders.
func (b *Bot) tickSessions(ctx context.Context, ws Workspace) (time.Time, error) {
	var open []Session
	err := b.view(ctx, ws, func(tx ReadTx) error {
		return tx.ForEachRecord(recSessionOpen, func(key string, _ []byte) error {
			id, err := keyID(key)
			if err != nil {
				return fmt.Errorf("bot: open session key %q: %w", key, err)
			}
			s, err := getSession(tx, SessionID(id))
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			open = append(open, s)
			return nil
		})
	})
	if err != nil {
		return time.Time{}, err
	}
	now := b.now()
	var next time.Time
	for _, s := range open {
		if !s.Deadline.After(now) {
			if _, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
				_, closed, err := b.closeSession(tx, out, ws, s.ID)
				return closed, err
			}); err != nil {
				return time.Time{}, err
			}
			continue
		}
		due := s.Deadline
		if b.cfg.Reminder > 0 && !s.Reminded {
			remindAt := s.Deadline.Add(-b.cfg.Reminder)
			switch {
			case !remindAt.After(s.OpenedAt):
				// The session is shorter than the reminder: no reminder.
			case !remindAt.After(now):
				if _, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
					return b.remind(tx, out, ws, s.ID)
				}); err != nil {
					return time.Time{}, err
				}
			default:
				due = remindAt
			}
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next, nil
}

// tickSchedules fires the scheduled prompts that are due. Each run is
// recorded (LastRun) in the same transaction that opens its session, before
// the prompt is posted, so a run never fires twice.
func (b *Bot) tickSchedules(ctx context.Context, ws Workspace) (time.Time, error) {
	var list []Schedule
	if err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		list, err = schedules(tx)
		return err
	}); err != nil {
		return time.Time{}, err
	}
	now := b.now()
	var next time.Time
	for _, s := range list {
		sched, err := b.parseCron(s.Spec)
		if err != nil {
			b.log.Error("schedule has an invalid cron expression", "workspace", ws.Key(), "schedule", s.ID, "err", err)
			continue
		}
		due, latest := sched.Next(s.LastRun), time.Time{}
		for i := 0; !due.IsZero() && !due.After(now) && i < maxCatchUpSteps; i++ {
			latest, due = due, sched.Next(due)
		}
		if !latest.IsZero() {
			fire := now.Sub(latest) <= b.cfg.CatchUp
			if !fire {
				b.log.Warn("scheduled prompt missed while tipbot was down: skipped (older than sessions.catch_up)",
					"workspace", ws.Key(), "schedule", s.ID, "due", latest.Format(time.RFC3339), "catch_up", b.cfg.CatchUp.String())
			}
			if _, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
				key, _ := scheduleKey(s.ID)
				raw, err := tx.Record(recSchedule, key)
				if errors.Is(err, ErrNotFound) {
					return false, nil // removed meanwhile
				}
				if err != nil {
					return false, err
				}
				cur := s
				if err := jsonDecode(raw, &cur); err != nil {
					return false, err
				}
				if !cur.LastRun.Before(latest) {
					return false, nil // already handled
				}
				cur.LastRun = latest
				if err := putSchedule(tx, cur); err != nil {
					return false, err
				}
				if fire {
					if _, err := b.openSession(tx, out, ws, cur.Channel, cur.Title, cur.CreatedBy, b.cfg.SessionDuration, cur.ID); err != nil {
						return false, err
					}
				}
				return true, nil
			}); err != nil {
				return time.Time{}, err
			}
		}
		if !due.IsZero() && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	return next, nil
}
