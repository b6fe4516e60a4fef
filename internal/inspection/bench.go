package inspection

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// BenchPool is a synthetic register-sized pool of n subjects in four
// classes A–D and 99 counties, sorted by ID.
func BenchPool(n int) []PoolEntry {
	pool := make([]PoolEntry, n)
	classes := []string{"A", "B", "C", "D"}
	for i := range pool {
		pool[i] = PoolEntry{ID: fmt.Sprintf("91%06dMA%08d", 330100+i%50, i), Class: classes[i%7%4], Region: fmt.Sprintf("33%02d%02d", 1+i%11, 1+i%9)}
	}
	slices.SortFunc(pool, func(a, b PoolEntry) int { return strings.Compare(a.ID, b.ID) })
	return pool
}

// BenchTask is the statement of the benchmark's task over pool: ratios
// 3/5/10/20 % (classes A–D, as 国办发〔2019〕35号 (七) grades them), 200
// inspectors in the pool's counties, two per subject, own-region
// avoidance.
func BenchTask(pool []PoolEntry) (*Statement, error) {
	st := &Statement{Format: Format, Task: "bench", Dept: "bench", Matter: "daily_supervision", Title: "bench", Item: "bench",
		PerSubject: 2, Avoid: Avoidance{OwnRegion: true, RecentMonths: 12}, Recent: []Pair{}, Randomness: RandomnessRule{Source: SourceBeacon, Beacon: "bench"}}
	for i := range 200 {
		st.Inspectors = append(st.Inspectors, Inspector{ID: fmt.Sprintf("E%04d", i), Name: "inspector", Region: fmt.Sprintf("33%02d%02d", 1+i%11, 1+i%9)})
	}
	for i := 0; i < len(pool) && len(st.Recent) < 1000; i += 997 {
		st.Recent = append(st.Recent, Pair{Inspector: fmt.Sprintf("E%04d", i%200), Subject: pool[i].ID})
	}
	return st, Plan(st, pool, map[string]int{"A": 300, "B": 500, "C": 1000, "D": 2000})
}

// BenchResult is one run of the draw benchmark.
type BenchResult struct {
	Pool     int
	Drawn    int
	Draw     time.Duration // the draw (ranks, selection, inspectors)
	Baseline time.Duration // a plain sort of the same IDs
	// DrawCPU and BaselineCPU are the CPU time the same runs took (both
	// cores for the draw), 0 where it is not read.
	DrawCPU, BaselineCPU time.Duration
}

// Ratio is the draw's time over the baseline's.
func (r BenchResult) Ratio() float64 { return float64(r.Draw) / float64(r.Baseline) }

// Bench draws from a synthetic pool of n subjects and sorts the same IDs
// as the baseline, best of runs each, in the same process.
func Bench(n, runs int) (BenchResult, error) {
	pool := BenchPool(n)
	st, err := BenchTask(pool)
	if err != nil {
		return BenchResult{}, err
	}
	res := BenchResult{Pool: n}
	ids := make([]string, n)
	for r := range max(runs, 1) {
		start, c0 := time.Now(), cpuTime()
		drawn, err := Run(st, pool, Seed("bench", Randomness{Source: SourceBeacon, Value: fmt.Sprint(r)}))
		d, dc := time.Since(start), cpuTime()-c0
		if err != nil {
			return res, err
		}
		res.Drawn = len(drawn)
		for i, e := range pool { // a fixed scramble: sorting sorted input is no baseline
			ids[(int64(i)*7919)%int64(n)] = e.ID
		}
		start, c0 = time.Now(), cpuTime()
		slices.Sort(ids)
		b, bc := time.Since(start), cpuTime()-c0
		if r == 0 || d < res.Draw {
			res.Draw, res.DrawCPU = d, dc
		}
		if r == 0 || b < res.Baseline {
			res.Baseline, res.BaselineCPU = b, bc
		}
	}
	return res, nil
}
