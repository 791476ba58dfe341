package lease

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The embedded store is an append-only journal of lease records in
// DATA_DIR/leases.journal. Every change appends one record; a batch of
// concurrent changes shares one write and one fdatasync (group commit), and
// no Commit returns before its record is on disk. Loading replays the
// journal; a torn or corrupt tail (what a crash or a full disk may leave) is
// cut off, so the file always loads. When the journal grows well past the
// live leases, it is rewritten (compacted) to a new file that replaces the
// old one atomically. Compaction does not hold up commits: the writer copies
// the lease map and writes and syncs the copy to leases.journal.tmp in a
// background goroutine while commits go on appending to
// the old journal, and the writer then appends the records committed
// meanwhile to the new file, syncs it and renames it into place. Records
// replace whole leases by address, so replaying those later records over a
// copy taken after they began gives the same leases as the old journal.
//
// Record: u32 payload length, u32 CRC-32C of payload, payload (little endian).
// Payload: u8 version(1), 4-byte IPv4, u8 state, i64 expiry (unix ns),
// u8+MAC, u8+client id, u8+host name.

const (
	journalName  = "leases.journal"
	lockName     = "lock"
	journalMagic = "PXEDJNL1"
	recVersion   = 1
	maxPayload   = 1 + 4 + 1 + 8 + 3*(1+255)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Journal is the durable embedded Store.
type Journal struct {
	dir  string
	now  func() time.Time
	lock *os.File

	reqs chan *commitReq
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.RWMutex
	leases map[netip.Addr]Lease

	// Owned by the writer goroutine.
	f          *os.File
	size       int64 // bytes of valid journal
	alloc      int64 // length of the file: size plus zeros written ahead
	noPrealloc int64 // do not preallocate again before size passes this
	records    int   // records in the journal
	maxBatch   int
	// While a compaction runs (compacted != nil): the records committed
	// since its copy was taken, to append to the new file.
	compacted    chan compaction
	since        []byte
	sinceRecords int
	// pauses of the last compaction, for tests and docs/performance.md
	lastCompaction CompactionStats
}

// CompactionStats says how long the last compaction may have held up
// commits: Copy is the copy of the lease map (commits wait for it only to
// update the map after their sync), Swap the append of the records committed
// meanwhile, sync and rename in the writer; Total is from start to end,
// during which commits went on.
type CompactionStats struct {
	Leases           int
	Copy, Swap       time.Duration
	Total            time.Duration
	RecordsMeanwhile int
}

type compaction struct {
	f       *os.File // the new journal, synced; nil on error
	size    int64
	records int
	err     error
	start   time.Time
	copied  time.Duration
}

type commitReq struct {
	l   Lease
	err chan error
}

// OpenJournal opens (creating if needed) the journal in dir and takes the
// directory's lock so that no second pxed serves the same leases.
func OpenJournal(dir string, now func() time.Time) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("data directory %s is in use by another pxed: %w", dir, err)
	}
	j := &Journal{dir: dir, now: now, lock: lock, reqs: make(chan *commitReq, 4096), done: make(chan struct{}), maxBatch: 1024}
	if err := j.load(); err != nil {
		lock.Close()
		return nil, err
	}
	j.wg.Add(1)
	go j.writer()
	return j, nil
}

// load replays the journal, cuts off a damaged tail and leaves j.f open for appending.
func (j *Journal) load() error {
	path := filepath.Join(j.dir, journalName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return fmt.Errorf("opening lease journal: %w", err)
	}
	leases, valid, records, err := readJournal(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("reading lease journal %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if valid == 0 {
		// New (or unusable from its first byte): start with the header.
		if err := f.Truncate(0); err != nil {
			f.Close()
			return err
		}
		if _, err := f.WriteAt([]byte(journalMagic), 0); err != nil {
			f.Close()
			return fmt.Errorf("writing lease journal header: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		syncDir(j.dir)
		valid = int64(len(journalMagic))
	} else if st.Size() > valid {
		// A torn or corrupt tail: what was not fully written was never acknowledged.
		if err := f.Truncate(valid); err != nil {
			f.Close()
			return fmt.Errorf("cutting damaged tail of lease journal: %w", err)
		}
	}
	if _, err := f.Seek(valid, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	j.f, j.size, j.alloc, j.records, j.leases = f, valid, valid, records, leases
	return nil
}

// ReadJournalDir reads the leases of the journal in dir without locking it,
// for `pxed leases` while a server runs. A damaged tail is ignored.
func ReadJournalDir(dir string) ([]Lease, error) {
	f, err := os.Open(filepath.Join(dir, journalName))
	if err != nil {
		return nil, fmt.Errorf("opening lease journal: %w", err)
	}
	defer f.Close()
	leases, _, _, err := readJournal(f)
	if err != nil {
		return nil, err
	}
	return sortedLeases(leases), nil
}

// readJournal replays records from the start of r and returns the leases, the
// length of the valid prefix and the number of records in it. A file that is
// not a journal at all is an error; damage after a valid prefix is not.
func readJournal(r io.ReaderAt) (map[netip.Addr]Lease, int64, int, error) {
	leases := map[netip.Addr]Lease{}
	head := make([]byte, len(journalMagic))
	if n, _ := r.ReadAt(head, 0); n == 0 {
		return leases, 0, 0, nil // empty file
	} else if n < len(head) || string(head) != journalMagic {
		if n < len(head) && string(head[:n]) == journalMagic[:n] {
			return leases, 0, 0, nil // header itself torn: a new journal
		}
		return nil, 0, 0, errors.New("not a pxed lease journal (bad header); move it aside to start empty")
	}
	off := int64(len(journalMagic))
	br := bufio.NewReaderSize(io.NewSectionReader(r, off, 1<<62), 64<<10)
	var hdr [8]byte
	buf := make([]byte, maxPayload)
	records := 0
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			break
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if n == 0 || n > maxPayload {
			break
		}
		p := buf[:n]
		if _, err := io.ReadFull(br, p); err != nil {
			break
		}
		if crc32.Checksum(p, castagnoli) != sum {
			break
		}
		l, err := decodeLease(p)
		if err != nil {
			break
		}
		leases[l.IP] = l
		records++
		off += 8 + int64(n)
	}
	return leases, off, records, nil
}

func appendRecord(b []byte, l Lease) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, recVersion)
	ip := l.IP.As4()
	b = append(b, ip[:]...)
	b = append(b, byte(l.State))
	b = binary.LittleEndian.AppendUint64(b, uint64(l.Expires.UnixNano()))
	b = appendShort(b, l.MAC)
	b = appendShort(b, l.ClientID)
	b = appendShort(b, []byte(l.Hostname))
	p := b[start+8:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(p)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(p, castagnoli))
	return b
}

func appendShort(b, v []byte) []byte {
	if len(v) > 255 {
		v = v[:255]
	}
	b = append(b, byte(len(v)))
	return append(b, v...)
}

func decodeLease(p []byte) (Lease, error) {
	bad := errors.New("malformed lease record")
	if len(p) < 1+4+1+8 || p[0] != recVersion {
		return Lease{}, bad
	}
	var l Lease
	l.IP = netip.AddrFrom4([4]byte(p[1:5]))
	l.State = State(p[5])
	if l.State < Bound || l.State > Declined {
		return Lease{}, bad
	}
	l.Expires = time.Unix(0, int64(binary.LittleEndian.Uint64(p[6:14]))).UTC()
	rest := p[14:]
	var fields [3][]byte
	for i := range fields {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return Lease{}, bad
		}
		n := int(rest[0])
		fields[i] = rest[1 : 1+n]
		rest = rest[1+n:]
	}
	if len(rest) != 0 {
		return Lease{}, bad
	}
	if len(fields[0]) > 0 {
		l.MAC = net.HardwareAddr(append([]byte(nil), fields[0]...))
	}
	if len(fields[1]) > 0 {
		l.ClientID = append([]byte(nil), fields[1]...)
	}
	l.Hostname = string(fields[2])
	return l, nil
}

// Commit queues l for the next group commit and waits until it is durable.
func (j *Journal) Commit(ctx context.Context, l Lease) error {
	if !l.IP.Is4() {
		return fmt.Errorf("lease address %v is not IPv4", l.IP)
	}
	req := &commitReq{l: l, err: make(chan error, 1)}
	select {
	case j.reqs <- req:
	case <-j.done:
		return errors.New("lease store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the outcome is waited for even if ctx ends, so a caller
	// never mistakes a durable lease for a failed one.
	return <-req.err
}

func (j *Journal) Get(_ context.Context, ip netip.Addr) (Lease, bool, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	l, ok := j.leases[ip]
	return l, ok, nil
}

func (j *Journal) All(context.Context) ([]Lease, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return sortedLeases(j.leases), nil
}

// Close finishes queued commits, closes the journal and releases the lock.
// A compaction still running is waited for and abandoned.
func (j *Journal) Close() error {
	close(j.done)
	j.wg.Wait()
	if j.compacted != nil {
		if c := <-j.compacted; c.f != nil {
			c.f.Close()
			os.Remove(filepath.Join(j.dir, journalName+".tmp"))
		}
		j.compacted = nil
	}
	err := j.f.Close()
	j.lock.Close()
	return err
}

// LastCompaction returns the pauses of the last compaction that completed.
// Call it from the goroutine that committed (after Commit returned).
func (j *Journal) LastCompaction() CompactionStats {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.lastCompaction
}

// writer is the one goroutine that appends to the journal. It takes every
// request queued since its last write as one batch: one write, one fdatasync.
func (j *Journal) writer() {
	defer j.wg.Done()
	batch := make([]*commitReq, 0, j.maxBatch)
	buf := make([]byte, 0, 64<<10)
	for {
		batch = batch[:0]
		select {
		case c := <-j.compacted:
			j.finishCompaction(c)
			continue
		case r := <-j.reqs:
			batch = append(batch, r)
			// Let the goroutines that are ready run before the batch is
			// taken: those serving requests queue their leases, and the
			// batch grows. With one processor (GOMAXPROCS=1) the writer
			// otherwise took batches of about 8 and, when its sync
			// returned, waited behind the serving loops for its turn: at
			// 10,000 leases/s from perfdhcp an ACK took 50 ms on average
			// and 0.8 % were lost; with the yield 5.5 ms and none, and
			// 14,000/s were served whole (bench/dhcp).
			runtime.Gosched()
		case <-j.done:
			// Serve what is already queued, then stop.
			for {
				select {
				case r := <-j.reqs:
					j.writeBatch(append(batch[:0], r), buf)
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < j.maxBatch {
			select {
			case r := <-j.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		buf = j.writeBatch(batch, buf)
		j.maybeCompact()
	}
}

func (j *Journal) writeBatch(batch []*commitReq, buf []byte) []byte {
	now := j.now()
	buf = buf[:0]
	overlay := make(map[netip.Addr]Lease, len(batch))
	accepted := batch[:0:0]
	j.mu.RLock()
	for _, r := range batch {
		prev, ok := overlay[r.l.IP]
		if !ok {
			prev, ok = j.leases[r.l.IP]
		}
		if ok && conflicts(prev, r.l, now) {
			r.err <- ErrConflict
			continue
		}
		overlay[r.l.IP] = r.l
		buf = appendRecord(buf, r.l)
		accepted = append(accepted, r)
	}
	j.mu.RUnlock()
	if len(accepted) == 0 {
		return buf
	}
	err := j.appendDurably(buf)
	if err == nil {
		j.mu.Lock()
		for ip, l := range overlay {
			j.leases[ip] = l
		}
		j.mu.Unlock()
		j.records += len(accepted)
		if j.compacted != nil {
			j.since = append(j.since, buf...)
			j.sinceRecords += len(accepted)
		}
	}
	for _, r := range accepted {
		r.err <- err
	}
	return buf
}

// appendDurably writes b at the end of the journal and syncs it. On failure
// (a full disk, an I/O error) it cuts the file back so that a half-written
// batch is not mistaken for acknowledged leases later.
func (j *Journal) appendDurably(b []byte) error {
	end := j.size + int64(len(b))
	if end > j.alloc && end > j.noPrealloc {
		j.preallocate(end)
	}
	if _, err := j.f.WriteAt(b, j.size); err != nil {
		j.cutBack()
		return fmt.Errorf("writing lease journal: %w", err)
	}
	if err := unix.Fdatasync(int(j.f.Fd())); err != nil {
		j.cutBack()
		return fmt.Errorf("syncing lease journal: %w", err)
	}
	j.size = end
	return nil
}

// cutBack truncates the file to its valid records after a failed append.
func (j *Journal) cutBack() {
	j.f.Truncate(j.size)
	j.alloc = j.size
}

// preallocChunk is how far ahead of its records the journal file is
// extended with zeros. An append inside the file's length changes no
// metadata, so its fdatasync flushes the data alone instead of committing
// the file system's journal too: on ext4 that halved the kernel CPU time of
// a commit (bench/dhcp). Loading reads the zeros as the end of the records
// and cuts them off.
const preallocChunk = 1 << 20

// preallocate extends the file with zeros to the chunk boundary past end.
// On failure (a nearly full disk) it leaves the file as it was and does not
// try again before another chunk of records has been written.
func (j *Journal) preallocate(end int64) {
	to := (end + preallocChunk - 1) / preallocChunk * preallocChunk
	zeros := make([]byte, to-max(j.alloc, j.size))
	if _, err := j.f.WriteAt(zeros, max(j.alloc, j.size)); err != nil {
		j.f.Truncate(max(j.alloc, j.size))
		j.noPrealloc = end + preallocChunk
		return
	}
	j.alloc = to
}

// maybeCompact starts rewriting the journal with one record per lease once
// it holds four times as many records as leases (and at least 4096).
func (j *Journal) maybeCompact() {
	if j.compacted != nil {
		return // one at a time
	}
	j.mu.RLock()
	live := len(j.leases)
	j.mu.RUnlock()
	if j.records < 4096 || j.records < 4*live {
		return
	}
	start := time.Now()
	j.compacted = make(chan compaction, 1)
	j.since, j.sinceRecords = j.since[:0], 0
	go func(ch chan<- compaction) {
		// The copy is taken here, not in the writer: the writer keeps
		// writing and syncing, and waits only to apply a batch to the map
		// while the copy holds the read lock. Every batch from now on goes
		// to since too, so the copy may include some of them or not.
		j.mu.RLock()
		all := make([]Lease, 0, len(j.leases))
		for _, l := range j.leases {
			all = append(all, l)
		}
		j.mu.RUnlock()
		copied := time.Since(start)
		f, size, err := writeSnapshot(filepath.Join(j.dir, journalName+".tmp"), all)
		ch <- compaction{f: f, size: size, records: len(all), err: err, start: start, copied: copied}
	}(j.compacted)
}

// writeSnapshot writes a complete journal of leases to path and syncs it.
func writeSnapshot(path string, leases []Lease) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o640)
	if err != nil {
		return nil, 0, err
	}
	fail := func(err error) (*os.File, int64, error) {
		f.Close()
		os.Remove(path)
		return nil, 0, err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	w.WriteString(journalMagic)
	size := int64(len(journalMagic))
	rec := make([]byte, 0, 8+maxPayload)
	for _, l := range leases {
		rec = appendRecord(rec[:0], l)
		w.Write(rec)
		size += int64(len(rec))
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return fail(err)
	}
	return f, size, nil
}

// finishCompaction runs in the writer once the snapshot is on disk: it
// appends what was committed meanwhile, syncs, and renames the new journal
// into place. On any failure the old journal, complete, stays in use, and
// compaction is tried again after as many records again.
func (j *Journal) finishCompaction(c compaction) {
	j.compacted = nil
	start := time.Now()
	path := filepath.Join(j.dir, journalName)
	tmp := path + ".tmp"
	err := c.err
	if err == nil {
		if _, err = c.f.WriteAt(j.since, c.size); err == nil {
			err = unix.Fdatasync(int(c.f.Fd()))
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			c.f.Close()
			os.Remove(tmp)
		}
	}
	if err != nil {
		j.mu.RLock()
		j.records = len(j.leases)
		j.mu.RUnlock()
		j.since = j.since[:0]
		return
	}
	syncDir(j.dir)
	j.f.Close()
	j.f, j.size, j.records = c.f, c.size+int64(len(j.since)), c.records+j.sinceRecords
	j.alloc, j.noPrealloc = j.size, 0
	j.mu.Lock()
	j.lastCompaction = CompactionStats{
		Leases: c.records, Copy: c.copied, Swap: time.Since(start),
		Total: time.Since(c.start), RecordsMeanwhile: j.sinceRecords,
	}
	j.mu.Unlock()
	if cap(j.since) > 1<<20 {
		j.since = nil // do not keep a large buffer for the next time
	}
	j.since, j.sinceRecords = j.since[:0], 0
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
