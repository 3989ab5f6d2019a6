package bot

import "errors"

// ErrRefused marks an error of a Chat call that the platform refused for good (channel gone, bot not in the
// channel, person unreachable): retrying cannot succeed. Adapters wrap such errors so that errors.Is(err,
// ErrRefused) holds; other errors (network, 5xx) are retried by the core.
var ErrRefused = errors.New("refused by the platform")
