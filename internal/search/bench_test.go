package search

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
)

var (
	benchOnce  sync.Once
	benchIndex *Index
	benchNames []string
)

// benchSetup builds an index of one million generated organisations once
// per process (only benchmarks call it).
func benchSetup(b *testing.B) {
	benchOnce.Do(func() {
		names := gen.NewNames(1)
		places := []string{"福州", "厦门", "宁德", "泉州", "北京", "上海", "深圳", "杭州", ""}
		benchIndex = New()
		const n = 1_000_000
		batch := make([]credit.SubjectName, 0, 10000)
		for i := range n {
			name := names.Company(places[i%len(places)])
			benchNames = append(benchNames, name)
			batch = append(batch, credit.SubjectName{ID: fmt.Sprintf("S%07d", i), Kind: credit.Organisation, Name: name})
			if len(batch) == cap(batch) {
				benchIndex.Put(batch...)
				batch = batch[:0]
			}
		}
	})
	b.ResetTimer()
}

func benchQueries(chars int) []string {
	rng := rand.New(rand.NewPCG(9, uint64(chars)))
	qs := make([]string, 1024)
	for i := range qs {
		rs := []rune(benchNames[rng.IntN(len(benchNames))])
		at := rng.IntN(len(rs) - chars + 1)
		qs[i] = string(rs[at : at+chars])
	}
	return qs
}

// BenchmarkSearch times index queries of 1–4 characters at 1M subjects;
// BenchmarkScan is the baseline in the same run: a substring scan of every
// name in memory (what LIKE '%q%' does, without the database around it).
func BenchmarkSearch(b *testing.B) {
	benchSetup(b)
	for chars := 1; chars <= 4; chars++ {
		qs := benchQueries(chars)
		b.Run(fmt.Sprintf("chars=%d", chars), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				benchIndex.Search(qs[i%len(qs)], 20)
			}
		})
	}
}

func BenchmarkScan(b *testing.B) {
	benchSetup(b)
	for chars := 1; chars <= 4; chars++ {
		qs := benchQueries(chars)
		b.Run(fmt.Sprintf("chars=%d", chars), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				q, n := qs[i%len(qs)], 0
				for _, name := range benchNames {
					if strings.Contains(name, q) {
						if n++; n == 20 {
							break
						}
					}
				}
			}
		})
	}
}
