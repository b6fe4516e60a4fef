// Package inspection runs 双随机、一公开 random inspections (国办发〔2019〕35号
// (七): the random draw of inspected subjects and of inspectors, combined
// with credit grades so that subjects of better credit are drawn at lower
// ratios; the publication of the results) so that anyone can check a draw.
//
// # The draw, format xinyong-draw/1
//
// A department publishes a Statement first: the task, the subject pool's
// snapshot hash, the supervision class of every pool subject (its
// Classifier) with the ratio of each class, the inspectors and the
// avoidance rules, and which randomness will decide the draw. The
// randomness is fixed only after that publication:
//
//   - source "checkpoint": the transparency log's first signed checkpoint
//     whose tree holds the leaf of the publication's own change-feed entry
//     (so it was signed after the statement was); its value is the signed
//     note text, whole;
//   - source "beacon": a public beacon value (e.g. a pulse of a public
//     randomness beacon, a lottery draw) named in the statement before it
//     exists and entered by the department afterwards; its value is the
//     text as entered, trimmed.
//
// Everything else follows from the published data, by these rules:
//
//	pool hash  = hex SHA-256 of the lines "<subject ID>\t<class>\t<region>\n",
//	             in byte order of subject ID
//	statement  = hex SHA-256 of the statement's JSON (encoding/json of
//	             Statement, fields in declaration order, no indentation)
//	seed       = SHA-256("xinyong-draw/1\n" +
//	                     "statement " + <statement hash> + "\n" +
//	                     "randomness " + <source> + " " + hex SHA-256(<value>) + "\n")
//	rank(x)    = first 8 bytes, big-endian, of HMAC-SHA256(seed, x)
//	per class  = ceil(pool of the class × ratio_bp / 10000) subjects: the
//	             ones with the smallest rank("subject\x00" + ID), ties by ID;
//	             drawn subjects are listed class by class (classes in byte
//	             order), each class by rank
//	inspectors = a queue of the inspectors, first ordered by
//	             rank("inspector\x00" + ID) (ties by ID); for each drawn
//	             subject in list order, take the first per_subject
//	             inspectors of the queue that the avoidance rules allow,
//	             and move them, in the order taken, to the back of the
//	             queue (the least recently sent go first: the load is even).
//	             An inspector is avoided for a subject when own_region is
//	             set and the subject's region lies in the inspector's (the
//	             codes with trailing "00" pairs removed: 330106 lies in
//	             3301, 330100), or when the statement's recent list pairs
//	             them (an assignment of the same department within
//	             recent_months before publication). A subject for which
//	             the queue holds fewer allowed inspectors gets those there
//	             are, and the list says how many are missing.
//
// Drawing k of n by the k smallest keys of a pseudo-random function is a
// uniform random k-subset (every subset equally likely) as long as
// HMAC-SHA256 behaves as one; nobody can choose the seed, since it
// depends on a value that did not exist when everything else was fixed.
// The one party that could influence a checkpoint's root is the
// platform that runs the log (by what it appends before signing); a
// department that does not want to trust it names a public beacon
// instead.
package inspection

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Format names the draw's rules; a change of any rule is a new format.
const Format = "xinyong-draw/1"

// Randomness sources.
const (
	SourceCheckpoint = "checkpoint"
	SourceBeacon     = "beacon"
)

// ClassRatio is one supervision class of a task: its inspection ratio in
// basis points (万分之: 500 is 5 %, 10000 all), how many subjects of the
// pool are in it and how many the draw takes (ceil(pool × ratio / 10000)).
type ClassRatio struct {
	Class   string `json:"class"`
	RatioBP int    `json:"ratio_bp"`
	Pool    int    `json:"pool"`
	Draw    int    `json:"draw"`
}

// Inspector is one of the department's inspectors (执法检查人员) as the
// task names them: an ID of the department's own, a name and the region
// (GB/T 2260) the own-region rule reads.
type Inspector struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
}

// Avoidance are a task's avoidance rules (回避).
type Avoidance struct {
	// OwnRegion: no inspector for a subject of their own region.
	OwnRegion bool `json:"own_region"`
	// RecentMonths: no inspector for a subject they were drawn for in the
	// last N months before publication (0: no such rule).
	RecentMonths int `json:"recent_months"`
}

// Pair is an inspector and a subject they were drawn for recently.
type Pair struct {
	Inspector string `json:"inspector"`
	Subject   string `json:"subject"`
}

// RandomnessRule says, in the statement, which value will decide the draw.
type RandomnessRule struct {
	Source string `json:"source"`
	// Origin is the transparency log's origin (source checkpoint).
	Origin string `json:"origin,omitempty"`
	// Beacon names the public value to come (source beacon): which
	// beacon, which pulse or draw.
	Beacon string `json:"beacon,omitempty"`
}

// Statement is what a department publishes before the randomness exists.
type Statement struct {
	Format      string            `json:"format"`
	Task        string            `json:"task"`
	Dept        string            `json:"dept"`
	Matter      string            `json:"matter"`
	Title       string            `json:"title"`
	Item        string            `json:"item"`
	PublishedAt time.Time         `json:"published_at"`
	Filter      credit.PoolFilter `json:"filter"`
	PoolSize    int               `json:"pool_size"`
	PoolHash    string            `json:"pool_hash"`
	Classes     []ClassRatio      `json:"classes"`
	Inspectors  []Inspector       `json:"inspectors"`
	PerSubject  int               `json:"per_subject"`
	Avoid       Avoidance         `json:"avoid"`
	Recent      []Pair            `json:"recent"`
	Randomness  RandomnessRule    `json:"randomness"`
}

// PoolEntry is one subject of a pool snapshot: its ID (the unified social
// credit code for organisations), supervision class and region.
type PoolEntry struct {
	ID     string `json:"id"`
	Class  string `json:"class"`
	Region string `json:"region,omitempty"`
}

// Randomness is the value that decided a draw.
type Randomness struct {
	Source string `json:"source"`
	// Value is the signed checkpoint note (checkpoint) or the beacon
	// value as entered (beacon).
	Value string `json:"value"`
	// LeafIndex is the log leaf of the publication; the checkpoint's
	// tree holds it (checkpoint).
	LeafIndex int64 `json:"leaf_index,omitempty"`
	// Proof is the publication leaf's inclusion in the checkpoint
	// (checkpoint): its leaf data and the proof's hashes.
	LeafData []byte   `json:"leaf_data,omitempty"`
	Proof    [][]byte `json:"proof,omitempty"`
	// LeafSalt and LeafContent open the leaf's commitment: the content
	// is the log's entry of this task's publication (its ID, tag
	// "published").
	LeafSalt    []byte `json:"leaf_salt,omitempty"`
	LeafContent []byte `json:"leaf_content,omitempty"`
}

// Drawn is one drawn subject.
type Drawn struct {
	Subject string `json:"subject"`
	Class   string `json:"class"`
	// Rank is the subject's rank key (16 hex digits).
	Rank       string   `json:"rank"`
	Inspectors []string `json:"inspectors"`
	// Missing is how many inspectors the avoidance rules left it short of.
	Missing int `json:"missing,omitempty"`
}

// Draw is a task's draw: what decided it and what it gave.
type Draw struct {
	Format        string     `json:"format"`
	StatementHash string     `json:"statement_hash"`
	Randomness    Randomness `json:"randomness"`
	Seed          string     `json:"seed"`
	Subjects      []Drawn    `json:"subjects"`
}

// DrawCount is how many of n subjects a ratio of bp basis points takes:
// ceil(n × bp / 10000).
func DrawCount(n, bp int) int {
	return int((int64(n)*int64(bp) + 9999) / 10000)
}

// PoolHash is the snapshot hash of a pool sorted by ID.
func PoolHash(pool []PoolEntry) (string, error) {
	h := sha256.New()
	var b []byte
	for i, e := range pool {
		if i > 0 && pool[i-1].ID >= e.ID {
			return "", fmt.Errorf("pool entry %d (%s) is not after %s: a pool is in byte order of subject ID, each once", i, e.ID, pool[i-1].ID)
		}
		if strings.ContainsAny(e.ID+e.Class+e.Region, "\t\n") {
			return "", fmt.Errorf("pool entry %s holds a tab or a line break", e.ID)
		}
		b = append(append(append(append(append(append(b[:0], e.ID...), '\t'), e.Class...), '\t'), e.Region...), '\n')
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// StatementHash is the hash of a statement's JSON.
func StatementHash(st *Statement) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Seed is the draw's seed from the statement's hash and the randomness.
func Seed(statementHash string, r Randomness) []byte {
	v := sha256.Sum256([]byte(r.Value))
	sum := sha256.Sum256([]byte(Format + "\nstatement " + statementHash + "\nrandomness " + r.Source + " " + hex.EncodeToString(v[:]) + "\n"))
	return sum[:]
}

// ranker computes rank keys with one HMAC state.
type ranker struct {
	mac hash
	buf []byte
	sum []byte
}

type hash interface {
	Reset()
	Write([]byte) (int, error)
	Sum([]byte) []byte
}

func newRanker(seed []byte) *ranker {
	return &ranker{mac: hmac.New(sha256.New, seed), sum: make([]byte, 0, sha256.Size)}
}

func (r *ranker) rank(prefix, id string) uint64 {
	r.mac.Reset()
	r.buf = append(append(r.buf[:0], prefix...), id...)
	r.mac.Write(r.buf)
	r.sum = r.mac.Sum(r.sum[:0])
	return binary.BigEndian.Uint64(r.sum)
}

const (
	subjectPrefix   = "subject\x00"
	inspectorPrefix = "inspector\x00"
)

// Rank is rank("subject\x00"+id) under seed (exported for tests and
// the verifier's messages).
func Rank(seed []byte, id string) uint64 { return newRanker(seed).rank(subjectPrefix, id) }

type ranked struct {
	key uint64
	idx int32
}

// Run draws subjects and inspectors for st from pool under seed. The
// pool must be the statement's (Verify checks that; Run trusts it).
func Run(st *Statement, pool []PoolEntry, seed []byte) ([]Drawn, error) {
	ratio := make(map[string]int, len(st.Classes))
	for _, c := range st.Classes {
		ratio[c.Class] = c.RatioBP
	}
	keys := make([]uint64, len(pool))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(pool)/20000))
	var wg sync.WaitGroup
	chunk := (len(pool) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(pool))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newRanker(seed)
			for i := lo; i < hi; i++ {
				keys[i] = r.rank(subjectPrefix, pool[i].ID)
			}
		}()
	}
	wg.Wait()

	// Each class's k smallest keys: keys are uniform, so they lie below
	// a threshold a little above k/n of the range; only the subjects
	// below it are sorted (all of the class when too few are).
	classes := make([]string, 0, len(ratio))
	for c := range ratio {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	classOf := make(map[string]int, len(classes))
	for i, c := range classes {
		classOf[c] = i
	}
	size := make([]int, len(classes))
	ci := make([]int32, len(pool))
	for i, e := range pool {
		c, ok := classOf[e.Class]
		if !ok {
			return nil, fmt.Errorf("subject %s is in class %q, for which the statement gives no ratio", e.ID, e.Class)
		}
		ci[i] = int32(c)
		size[c]++
	}
	want := make([]int, len(classes))
	limit := make([]uint64, len(classes))
	cand := make([][]ranked, len(classes))
	for c := range classes {
		want[c] = DrawCount(size[c], ratio[classes[c]])
		frac := (float64(want[c])*1.05 + 64) / float64(max(size[c], 1))
		if frac >= 1 {
			limit[c] = ^uint64(0)
		} else {
			limit[c] = uint64(frac * (1 << 63) * 2)
		}
		cand[c] = make([]ranked, 0, min(size[c], int(float64(size[c])*min(frac, 1))+16))
	}
	for i := range pool {
		if c := ci[i]; keys[i] <= limit[c] {
			cand[c] = append(cand[c], ranked{keys[i], int32(i)})
		}
	}
	byKey := func(a, b ranked) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return strings.Compare(pool[a.idx].ID, pool[b.idx].ID)
	}
	var (
		out  []Drawn
		idxs []int32
	)
	for c, name := range classes {
		rs := cand[c]
		if len(rs) < want[c] { // too few below the threshold: the whole class
			rs = rs[:0]
			for i := range pool {
				if ci[i] == int32(c) {
					rs = append(rs, ranked{keys[i], int32(i)})
				}
			}
		}
		slices.SortFunc(rs, byKey)
		for _, r := range rs[:want[c]] {
			out = append(out, Drawn{Subject: pool[r.idx].ID, Class: name, Rank: fmt.Sprintf("%016x", r.key)})
			idxs = append(idxs, r.idx)
		}
	}
	if err := assign(st, pool, idxs, seed, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RegionKey is a GB/T 2260 code with its trailing "00" pairs removed: the
// prefix every code inside the region starts with.
func RegionKey(r string) string {
	for len(r) >= 2 && strings.HasSuffix(r, "00") {
		r = r[:len(r)-2]
	}
	return r
}

// Avoided says whether the own-region rule keeps inspector ins from a
// subject of region region.
func OwnRegion(ins Inspector, region string) bool {
	k := RegionKey(ins.Region)
	return k != "" && strings.HasPrefix(RegionKey(region), k)
}

// assign gives each drawn subject its inspectors (see the package
// comment).
func assign(st *Statement, pool []PoolEntry, idxs []int32, seed []byte, drawn []Drawn) error {
	m := len(st.Inspectors)
	if st.PerSubject <= 0 || m == 0 {
		for i := range drawn {
			drawn[i].Inspectors = []string{}
			drawn[i].Missing = max(st.PerSubject, 0)
		}
		return nil
	}
	r := newRanker(seed)
	type ringEntry struct {
		key uint64
		ins Inspector
	}
	ring := make([]ringEntry, m)
	for i, ins := range st.Inspectors {
		ring[i] = ringEntry{r.rank(inspectorPrefix, ins.ID), ins}
	}
	slices.SortFunc(ring, func(a, b ringEntry) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ins.ID, b.ins.ID)
	})
	recent := make(map[Pair]bool, len(st.Recent))
	if st.Avoid.RecentMonths > 0 {
		for _, p := range st.Recent {
			recent[p] = true
		}
	}
	ins := make([]Inspector, m)
	home := make([]string, m) // the inspectors' region keys
	queue := make([]int32, m)
	for i, e := range ring {
		ins[i], home[i], queue[i] = e.ins, RegionKey(e.ins.Region), int32(i)
	}
	taken := make([]int, 0, st.PerSubject)
	moved := make([]int32, 0, st.PerSubject)
	for i := range drawn {
		d := &drawn[i]
		d.Inspectors = make([]string, 0, st.PerSubject)
		region := RegionKey(pool[idxs[i]].Region)
		taken = taken[:0]
		for j := 0; j < m && len(taken) < st.PerSubject; j++ {
			in := &ins[queue[j]]
			if h := home[queue[j]]; st.Avoid.OwnRegion && h != "" && strings.HasPrefix(region, h) {
				continue
			}
			if len(recent) > 0 && recent[Pair{in.ID, d.Subject}] {
				continue
			}
			taken = append(taken, j)
			d.Inspectors = append(d.Inspectors, in.ID)
		}
		d.Missing = st.PerSubject - len(d.Inspectors)
		// The ones taken go to the back of the queue, in the order taken.
		if len(taken) > 0 {
			moved = moved[:0]
			w, t := taken[0], 0
			for r := taken[0]; r < m; r++ {
				if t < len(taken) && r == taken[t] {
					moved = append(moved, queue[r])
					t++
					continue
				}
				queue[w] = queue[r]
				w++
			}
			copy(queue[w:], moved)
		}
	}
	return nil
}

// Compare says how two lists of drawn subjects differ, first difference
// first; nil when they are the same.
func Compare(got, want []Drawn) error {
	for i := 0; i < min(len(got), len(want)); i++ {
		g, w := got[i], want[i]
		switch {
		case g.Subject != w.Subject || g.Class != w.Class:
			return fmt.Errorf("drawn subject #%d: the file says %s (class %s), the draw gives %s (class %s)", i+1, g.Subject, g.Class, w.Subject, w.Class)
		case g.Rank != w.Rank:
			return fmt.Errorf("drawn subject #%d (%s): the file gives rank %s, the draw %s", i+1, g.Subject, g.Rank, w.Rank)
		case !slices.Equal(g.Inspectors, w.Inspectors) || g.Missing != w.Missing:
			return fmt.Errorf("drawn subject #%d (%s): the file assigns inspectors %v, the draw %v", i+1, g.Subject, g.Inspectors, w.Inspectors)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("the file lists %d drawn subjects, the draw gives %d", len(got), len(want))
	}
	return nil
}

// Plan fills a statement's class counts from the pool (sorted by ID) and
// the ratios, and its pool size and hash. Every class of the pool needs a
// ratio; a ratio for a class with no subjects is kept with a pool of 0.
func Plan(st *Statement, pool []PoolEntry, ratios map[string]int) error {
	counts := make(map[string]int)
	for _, e := range pool {
		if _, ok := ratios[e.Class]; !ok {
			return fmt.Errorf("subject %s is in class %q, for which no ratio is given", e.ID, e.Class)
		}
		counts[e.Class]++
	}
	st.Classes = st.Classes[:0]
	for c, bp := range ratios {
		if bp < 0 || bp > 10000 {
			return fmt.Errorf("class %q: ratio %d is not between 0 and 10000 basis points", c, bp)
		}
		if c == "" || strings.ContainsAny(c, "\t\n") {
			return fmt.Errorf("class %q: a class is a non-empty name without tabs or line breaks", c)
		}
		st.Classes = append(st.Classes, ClassRatio{Class: c, RatioBP: bp, Pool: counts[c], Draw: DrawCount(counts[c], bp)})
	}
	slices.SortFunc(st.Classes, func(a, b ClassRatio) int { return strings.Compare(a.Class, b.Class) })
	st.PoolSize = len(pool)
	var err error
	st.PoolHash, err = PoolHash(pool)
	return err
}
