package uscc

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Generator produces valid codes for tests, demos and load generation. The
// same seed always yields the same sequence, so a failing test or a demo
// data set can be reproduced. A Generator is not safe for concurrent use.
type Generator struct {
	rng *rand.Rand
}

// pcgStream is the fixed second PCG word; the seed alone selects the
// sequence, which is all a test-data generator needs.
const pcgStream = 0x9e3779b97f4a7c15

// NewGenerator returns a Generator whose output is determined by seed.
func NewGenerator(seed int64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(uint64(seed), pcgStream))}
}

// weightedPair is an authority/type pair with its share in RandomUSCC.
type weightedPair struct {
	authority, entityType byte
	weight                int
}

// randomPairs approximates the real population: enterprises, individual
// businesses and farmers' cooperatives (91, 92, 93) are the great majority
// of registered subjects; the rest are spread over the other authorities.
var randomPairs = []weightedPair{
	{'9', '1', 50}, {'9', '2', 25}, {'9', '3', 5},
	{'1', '1', 2}, {'1', '2', 4}, {'1', '3', 1},
	{'5', '1', 2}, {'5', '2', 3}, {'5', '3', 1},
	{'3', '1', 1}, {'3', '2', 1}, {'7', '1', 1},
	{'8', '1', 2}, {'N', '2', 1}, {'Y', '1', 1},
}

var randomPairsTotal = func() (n int) {
	for _, p := range randomPairs {
		n += p.weight
	}
	return n
}()

// USCC returns a valid code for the given authority (position 1), entity
// type (position 2) and 6-digit region, with a random organisation code
// carrying a correct GB 11714 check digit. It panics when the pair is not in
// the GB 32100 table or the region is not 6 digits: asking for an invalid
// code from a valid-code generator is a programming error.
func (g *Generator) USCC(authority, entityType byte, region string) string {
	if EntityTypeName(authority, entityType) == "" {
		panic(fmt.Sprintf("uscc: Generator.USCC: unknown authority/type %c%c", authority, entityType))
	}
	if len(region) != 6 || !allDigits(region) {
		panic(fmt.Sprintf("uscc: Generator.USCC: region %q is not 6 digits", region))
	}
	for {
		b := make([]byte, 0, 18)
		b = append(b, authority, entityType)
		b = append(b, region...)
		b = g.orgBody(b, authority)
		oc, _ := orgCheckChar(string(b[8:16]))
		b = append(b, oc)
		cc, _ := usccCheckChar(string(b))
		b = append(b, cc)
		// A random body can, very rarely, repeat one character throughout;
		// that would be rejected as a placeholder, so draw again.
		if s := string(b); !isPlaceholder(s) {
			return s
		}
	}
}

// orgBody appends the 8 body characters of an organisation code. Since the
// 2015 reform, market regulators assign new bodies starting with "MA";
// older subjects kept their all-digit organisation code. Bodies use only
// the 31 GB 32100 characters, since anything else cannot appear in a USCC.
func (g *Generator) orgBody(b []byte, authority byte) []byte {
	n := 8
	if authority == '9' && g.rng.IntN(2) == 0 {
		b = append(b, 'M', 'A')
		n = 6
		for range n {
			b = append(b, codeChars[g.rng.IntN(len(codeChars))])
		}
		return b
	}
	for range n {
		b = append(b, byte('0'+g.rng.IntN(10)))
	}
	return b
}

// RandomUSCC returns a valid code with a realistic authority/type pair
// (weighted toward 91, 92 and 93) and a region from Regions.
func (g *Generator) RandomUSCC() string {
	p := g.pair()
	r := regions[g.rng.IntN(len(regions))]
	return g.USCC(p.authority, p.entityType, r.Code)
}

// pair draws an authority/type pair by weight.
func (g *Generator) pair() weightedPair {
	n := g.rng.IntN(randomPairsTotal)
	p := randomPairs[len(randomPairs)-1]
	for _, q := range randomPairs {
		if n < q.weight {
			p = q
			break
		}
		n -= q.weight
	}
	return p
}

// RandomUSCCIn is RandomUSCC registered in region.
func (g *Generator) RandomUSCCIn(region string) string {
	p := g.pair()
	return g.USCC(p.authority, p.entityType, region)
}

// CityOf returns the city-level code of a county-level region ("350102"
// → "350100") when the table holds that city, else region itself.
func CityOf(region string) string {
	if len(region) == 6 {
		if city := region[:4] + "00"; regionNames[city] != "" {
			return city
		}
	}
	return region
}

// RandomRegion returns a region code from Regions.
func (g *Generator) RandomRegion() string {
	return regions[g.rng.IntN(len(regions))].Code
}

// ResidentID returns a valid resident ID number for the region, birth date
// (taken in birth's own location) and sex, with a random sequence number.
// It panics when region is not 6 digits or the year has not 4 digits.
func (g *Generator) ResidentID(region string, birth time.Time, male bool) string {
	if len(region) != 6 || !allDigits(region) {
		panic(fmt.Sprintf("uscc: Generator.ResidentID: region %q is not 6 digits", region))
	}
	y, m, d := birth.Date()
	if y < 1000 || y > 9999 {
		panic(fmt.Sprintf("uscc: Generator.ResidentID: year %d has not 4 digits", y))
	}
	// Position 17 is odd for men and even for women (GB 11643).
	sex := 2 * g.rng.IntN(5)
	if male {
		sex++
	}
	s := fmt.Sprintf("%s%04d%02d%02d%02d%d", region, y, int(m), d, g.rng.IntN(100), sex)
	return s + string(idCheckChar(s))
}
