// Command tipbot runs the tipbot chat bot on Slack, Discord or a local
// terminal chat (the shell), and exports, backs up and checks its data and
// configuration.
//
// Usage:
//
//	tipbot                        run from tipbot.yaml if present; the shell when no platform is enabled
//	tipbot run [-config FILE]     run the configured adapters
//	tipbot shell [-config FILE] [-db FILE]
//	tipbot export [-db FILE] [-format jsonl|csv] [-workspace ID]
//	tipbot export -path NAME [-format md|csv|jsonl] [-workspace ID]
//	tipbot dashboard-link [-config FILE] -workspace ID
//	tipbot backup [-db FILE] -o OUT
//	tipbot check [-config FILE] [-db FILE]
//	tipbot salvage -db FILE -o NEW
//	tipbot erase-workspace [-db FILE] -workspace ID [-yes]
//	tipbot check-config [-config FILE]
//	tipbot version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/tipbot/tipbot/store"
	_ "time/tzdata" // time zones work on machines without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(store.GCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(store.MemoryLimit)
	}
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes of run.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// env is what a verb may use of the process: its streams and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	lookup func(string) (string, bool) // environment variables
}

// verb is one sub-command of tipbot.
type verb struct {
	name  string
	usage string // flags and arguments, for the usage text
	help  string // what it does, one line
	run   func(ctx context.Context, e *env, args []string) error
}

// verbs lists tipbot's sub-commands in the order usage shows them. Adding
// a verb is adding a line here.
var verbs []verb

func init() {
	verbs = []verb{
		{"run", "[-config FILE]", "run the configured adapters (Slack, Discord; the shell when none is enabled)", cmdRun},
		{"shell", "[-config FILE] [-db FILE]", "chat with the bot in the terminal, without any token", cmdShell},
		{"export", "[-db FILE] [-format jsonl|csv] [-workspace ID] | -path NAME [-format md|csv|jsonl]", "write all tips, or one training path as a handout, to standard output", cmdExport},
		{"report", "[-db FILE] [-period P] [-workspace ID]", "print the engagement report", cmdReport},
		{"dashboard-link", "[-config FILE] -workspace ID", "print a personal dashboard link (needs http.addr)", cmdDashboardLink},
		{"backup", "[-db FILE] -o OUT", "write a consistent copy of the database", cmdBackup},
		{"check", "[-config FILE] [-db FILE]", "check the database file for damage (exit status 0 when sound)", cmdCheck},
		{"salvage", "-db FILE -o NEW", "copy every record of a damaged database that can still be read into a new file", cmdSalvage},
		{"erase-workspace", "[-db FILE] -workspace ID [-yes]", "erase everything of one workspace (asks unless -yes)", cmdEraseWorkspace},
		{"check-config", "[-config FILE]", "validate a configuration, naming the wrong key or value", cmdCheckConfig},
		{"version", "", "print the version", cmdVersion},
	}
}

// errUsage means a usage message was already printed.
var errUsage = errors.New("usage")

// run runs tipbot with the command-line arguments (without the program
// name) and returns the process exit code: 0 on success, 1 on failure, 2 on
// a usage error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, lookup: os.LookupEnv}
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) int {
	name := "run"
	if len(args) > 0 {
		name, args = args[0], args[1:]
		switch name {
		case "help", "-h", "-help", "--help":
			usage(e.stdout)
			return exitOK
		case "-version", "--version":
			name = "version"
		}
	}
	for _, v := range verbs {
		if v.name != name {
			continue
		}
		err := v.run(ctx, e, args)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			return exitUsage
		default:
			printError(e.stderr, err)
			return exitError
		}
	}
	fmt.Fprintf(e.stderr, "tipbot: unknown command %q\n\n", name)
	usage(e.stderr)
	return exitUsage
}

// printError prints each line of err prefixed with "tipbot: ", so that the
// several problems of a configuration read one per line.
func printError(w io.Writer, err error) {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(w, "tipbot: %s\n", line)
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "tipbot captures tips shared in Slack, Discord or a terminal chat.\n\nUsage:\n")
	fmt.Fprintf(w, "  tipbot\n      run from tipbot.yaml if present; with no platform enabled, open the shell\n")
	for _, v := range verbs {
		fmt.Fprintf(w, "  %s\n      %s\n", strings.TrimSpace("tipbot "+v.name+" "+v.usage), v.help)
	}
	fmt.Fprintf(w, "\nRun \"tipbot COMMAND -h\" for the flags of a command.\n")
}

// flags returns a flag set for a verb that prints its errors and usage on
// stderr.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("tipbot "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	for _, v := range verbs {
		if v.name == name {
			fs.Usage = func() {
				fmt.Fprintf(e.stderr, "Usage: tipbot %s %s\n  %s\n", v.name, v.usage, v.help)
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// parse parses a verb's flags and refuses positional arguments.
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// configFlag declares -config on a verb.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration `FILE` (default "+defaultConfigFile+" if present)")
}

// dbFlag declares -db on a verb.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "", "database `FILE` (default store.path of the configuration: tipbot.db)")
}

// loadConfig loads the file named by -config, or tipbot.yaml when it
// exists, or else the defaults.
func (e *env) loadConfig(path string) (Config, error) {
	if path != "" {
		return LoadConfigFile(path, e.lookup)
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return LoadConfigFile(defaultConfigFile, e.lookup)
	}
	return DefaultConfig(e.lookup)
}

// logger returns the process logger: text on stderr.
func (e *env) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := e.flags("run")
	configPath := configFlag(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig(*configPath)
	if err != nil {
		return err
	}
	return serve(ctx, e, cfg, false)
}

func cmdShell(ctx context.Context, e *env, args []string) error {
	fs := e.flags("shell")
	configPath := configFlag(fs)
	dbPath := dbFlag(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *dbPath != "" {
		cfg.Store.Path = *dbPath
	}
	return serve(ctx, e, cfg, true)
}

func cmdCheckConfig(ctx context.Context, e *env, args []string) error {
	fs := e.flags("check-config")
	configPath := configFlag(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	path := *configPath
	if path == "" {
		path = defaultConfigFile
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no %s here; name the file with -config FILE", defaultConfigFile)
		}
	}
	cfg, err := LoadConfigFile(path, e.lookup)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "OK: %s\n", path)
	var adapters []string
	for _, p := range sections() {
		if p.enabled(cfg) {
			label, _ := p.summary(cfg)
			adapters = append(adapters, label)
		}
	}
	if len(adapters) == 0 {
		adapters = append(adapters, "none: tipbot opens the shell")
	}
	fmt.Fprintf(e.stdout, "  adapters: %s\n  store:    %s\n  locale:   %s, time zone %s\n",
		strings.Join(adapters, ", "), cfg.Store.Path, cfg.Core.Locale, cfg.Core.Location)
	if cfg.HTTP.Addr != "" {
		fmt.Fprintf(e.stdout, "  http:     %s\n", cfg.HTTP.Addr)
	}
	return nil
}

// version is set at build time with -ldflags "-X main.version=v1.2.3"; when
// empty, the module version recorded by the Go toolchain is used.
var version = ""

// versionString describes the build: the version, the commit and its date
// (from the version control data go build records), the Go version and
// the platform, e.g. "tipbot v1.2.3, commit 8ca8106abcde (2026-12-07T00:11:16Z),
// go1.26.0 linux/amd64". A build without version control data (go run,
// -buildvcs=false) says so rather than print "(devel)" alone.
func versionString() string {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(version, info)
}

func describeBuild(v string, info *debug.BuildInfo) string {
	var rev, at string
	modified := false
	if info != nil {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	s := "tipbot " + v
	if rev != "" {
		s += ", commit " + rev[:min(12, len(rev))]
		if at != "" {
			s += " (" + at + ")"
		}
		if modified {
			s += " with local changes"
		}
	} else {
		s += ", no commit recorded (built without version control data)"
	}
	return s + ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	if err := e.parse(e.flags("version"), args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, versionString())
	return nil
}
