package hook

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pxed/pxed/internal/backoff"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/logsink"
)

// Options tune a Notifier; the zero value is the defaults.
type Options struct {
	Logger *slog.Logger
	// Facts looks up what the catalog knows of an event's machine (its
	// host, profile, inventory). It runs on a hook's worker, not on the
	// servers' path. Nil: the document says what the event says.
	Facts func(events.Event) Facts
	// Queue is how many events each hook may hold before it drops the
	// next; 0: DefaultQueue.
	Queue int
	// Retry says when a POST that failed is sent again.
	Retry Retry
	// Drain bounds how long Close waits for the queues to empty; 0:
	// DefaultDrain.
	Drain time.Duration
	// Now is the clock of the signature's timestamp; time.Now when nil.
	Now func() time.Time
	// Client sends the POSTs; nil: one that follows no redirect (a 303
	// would turn the POST into a GET) with the environment's proxy.
	Client *http.Client
}

// Defaults of Options.
const (
	DefaultQueue = 1024
	DefaultDrain = 5 * time.Second
)

// Retry is how a hook retries: exponential backoff with jitter
// (backoff.Policy). Zero fields take hookRetry's: 12 attempts, waits from
// 1s to 5m, about 14 minutes in all before a document is given up.
type Retry = backoff.Policy

var hookRetry = Retry{Attempts: 12, Base: time.Second, Max: 5 * time.Minute}

// Via is how a hook delivers: a POST to its URL or a run of its command.
type Via uint8

const (
	ViaURL Via = iota
	ViaCommand
)

func (v Via) String() string {
	if v == ViaCommand {
		return "command"
	}
	return "url"
}

// Result is what became of one event at one hook. Every event a hook
// subscribes to ends in exactly one.
type Result uint8

const (
	Delivered Result = iota // the receiver took it (2xx), the command exited 0
	Failed                  // refused for good, attempts used up, exit status not 0
	TimedOut                // the command, or the last attempt of a POST, ran past the timeout
	Dropped                 // the queue was full, or pxed shut down before its turn
	nResults
)

// results drives String: a metric label value each.
var results = [nResults]string{Delivered: "ok", Failed: "failed", TimedOut: "timeout", Dropped: "dropped"}

func (r Result) String() string {
	if r < nResults {
		return results[r]
	}
	return "failed"
}

// Counts are a hook's results so far.
type Counts struct {
	// Results counts each event by what became of it.
	Results [nResults]uint64
	// Retries counts POSTs sent again.
	Retries uint64
	// Queued is how many events wait now.
	Queued int
}

// Notifier delivers events to the configured hooks. It is an
// events.Recorder; New starts one worker per hook and way, which Close
// stops.
type Notifier struct {
	sinks  []*sink
	closed atomic.Bool
	stop   chan struct{} // closed by Close: drain and end
	cancel context.CancelFunc
	wg     sync.WaitGroup
	drain  time.Duration
	log    *slog.Logger
}

// sink is one hook's one way of delivery with its queue and worker.
type sink struct {
	name    string
	via     Via
	topics  uint32 // bit t set: topic t fires it; 0: all
	q       chan events.Event
	deliver func(context.Context, *delivery) Result
	facts   func(events.Event) Facts
	log     *slog.Logger

	results [nResults]atomic.Uint64
	retries atomic.Uint64
}

// delivery is one document on its way.
type delivery struct {
	doc  Document
	body []byte
}

// New returns a Notifier for hooks, its workers running. Hooks are taken
// as config.Validate passed them.
func New(hooks []config.Hook, o Options) *Notifier {
	log := logsink.Or(o.Logger)
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Drain <= 0 {
		o.Drain = DefaultDrain
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{stop: make(chan struct{}), cancel: cancel, drain: o.Drain, log: log}
	for _, h := range hooks {
		if h.Timeout <= 0 {
			h.Timeout = config.Duration(config.DefaultHookTimeout)
		}
		var topics uint32
		for _, t := range h.Topics() {
			topics |= 1 << t
		}
		newSink := func(via Via) *sink {
			s := &sink{name: h.Name, via: via, topics: topics, q: make(chan events.Event, o.Queue),
				facts: o.Facts, log: log.With("hook", h.Name, "via", via.String())}
			n.sinks = append(n.sinks, s)
			return s
		}
		if h.URL != "" {
			s := newSink(ViaURL)
			p := &poster{url: h.URL, secret: []byte(h.Secret), timeout: h.Timeout.D(), retry: o.Retry.Or(hookRetry),
				client: o.Client, now: o.Now, sink: s}
			s.deliver = p.deliver
		}
		if len(h.Command) > 0 {
			s := newSink(ViaCommand)
			r := &runner{argv: h.Command, timeout: h.Timeout.D(), log: s.log}
			s.deliver = r.deliver
		}
	}
	for _, s := range n.sinks {
		n.wg.Go(func() { s.work(ctx, n.stop) })
	}
	return n
}

// Record queues e for every hook whose events include its topic. It never
// waits: an event that finds a queue full is dropped there and counted.
func (n *Notifier) Record(e events.Event) {
	if len(n.sinks) == 0 {
		return
	}
	t := e.Topic()
	if t == events.TopicNone || n.closed.Load() {
		return
	}
	if e.Time.IsZero() {
		// Some emitters leave the time to the Log, which sets it on its
		// own copy.
		e.Time = time.Now()
	}
	for _, s := range n.sinks {
		if s.topics != 0 && s.topics&(1<<t) == 0 {
			continue
		}
		select {
		case s.q <- e:
		default:
			s.results[Dropped].Add(1)
		}
	}
}

// Close stops taking events, lets the queues drain for at most the
// Drain bound, then abandons what is left (counted as dropped) and waits
// for the workers to end.
func (n *Notifier) Close() error {
	if n.closed.Swap(true) {
		return nil
	}
	close(n.stop)
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	t := time.NewTimer(n.drain)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		n.log.Warn("hooks: queues not drained in time, abandoning the rest", "dur", n.drain)
		n.cancel()
		<-done
	}
	n.cancel()
	return nil
}

// Each calls f with every hook's counts, in config order.
func (n *Notifier) Each(f func(hook string, via Via, c Counts)) {
	for _, s := range n.sinks {
		var c Counts
		for r := range c.Results {
			c.Results[r] = s.results[r].Load()
		}
		c.Retries = s.retries.Load()
		c.Queued = len(s.q)
		f(s.name, s.via, c)
	}
}

// work delivers the queue's events in order until stop, then what is
// left, until ctx ends (Close's bound).
func (s *sink) work(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case e := <-s.q:
			s.handle(ctx, e)
		case <-stop:
			for {
				select {
				case e := <-s.q:
					if ctx.Err() != nil {
						s.results[Dropped].Add(1)
						continue
					}
					s.handle(ctx, e)
				default:
					return
				}
			}
		}
	}
}

func (s *sink) handle(ctx context.Context, e events.Event) {
	var f Facts
	if s.facts != nil {
		f = s.facts(e)
	}
	d := &delivery{doc: newDocument(newID(), e.Topic(), e, f)}
	body, err := json.Marshal(d.doc)
	if err != nil {
		// Only an inventory that cannot be JSON could do this; it came
		// in as JSON.
		s.log.Error("hook document not encoded", "mac", d.doc.MAC, "err", err)
		s.results[Failed].Add(1)
		return
	}
	d.body = append(body, '\n')
	r := s.deliver(ctx, d)
	if r == Dropped {
		// Shut down before its turn: Close abandoned it.
		s.log.Warn("hook event abandoned at shutdown", "event", d.doc.Event, "mac", d.doc.MAC, "id", d.doc.ID)
	}
	s.results[r].Add(1)
}
