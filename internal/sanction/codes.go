package sanction

// Fast pre-checks of codes for the hit check's hot path. A code that
// passes is still validated by internal/uscc where it matters; these only
// let the common case (a well-formed code) skip the full check.

// usccWeights are 3^(i-1) mod 31 for positions 1-17 (GB 32100).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue maps a code character to its value, -1 for characters outside
// the 31-character set.
var usccValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		t[c] = int8(i)
	}
	return
}()

// usccChecksumOK reports whether s is 18 code characters whose check
// character is right.
func usccChecksumOK(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue[s[i]]
		if v < 0 {
			return false
		}
		sum += int(v) * usccWeights[i]
	}
	c := (31 - sum%31) % 31
	return usccValue[s[17]] == int8(c)
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentChecksumOK reports whether s (17 digits and a digit or X) has the
// right GB 11643 check character.
func residentChecksumOK(s string) bool {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * idWeights[i]
	}
	c := (12 - sum%11) % 11
	last := s[17]
	if c == 10 {
		return last == 'X' || last == 'x'
	}
	return int(last-'0') == c
}
