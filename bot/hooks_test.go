package bot

// SetForgetChunk makes forget-me relink n votes per transaction until
// the returned function restores the default.
func SetForgetChunk(n int) (restore func()) {
	old := forgetChunk
	forgetChunk = n
	return func() { forgetChunk = old }
}

// SetForgetTips makes forget-me delete at most n tips, and at most work
// (forgetCost), per transaction until the returned function restores the
// defaults.
func SetForgetTips(n, work int) (restore func()) {
	oldN, oldWork := forgetTipChunk, forgetWork
	forgetTipChunk, forgetWork = n, work
	return func() { forgetTipChunk, forgetWork = oldN, oldWork }
}
