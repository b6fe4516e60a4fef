package pii

// LegacySeal seals the way values were sealed before keys were named
// (nonce || ciphertext, no header), for tests of what older databases hold.
func LegacySeal(s *Sealer, id string) ([]byte, error) {
	k := s.ks()[0]
	nonce := make([]byte, k.aead.NonceSize())
	for i := range nonce {
		nonce[i] = byte(i * 37)
	}
	return k.aead.Seal(nonce, nonce, []byte(normalise(id)), nil), nil
}
