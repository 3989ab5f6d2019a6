package bot

// SetForgetChunk makes forget-me relink n votes per transaction until
// the returned function restores the default.
func SetForgetChunk(n int) (restore func()) {
	old := forgetChunk
	forgetChunk = n
	return func() { forgetChunk = old }
}
