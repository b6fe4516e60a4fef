package uscc

import "testing"

// TestEnglishNamesComplete: every authority and entity type GB 32100
// defines has an English name, and no other.
func TestEnglishNamesComplete(t *testing.T) {
	for a, au := range authorities {
		if AuthorityNameEn(a) == "" {
			t.Errorf("authority %c (%s) has no English name", a, au.name)
		}
		for ty, name := range au.types {
			if EntityTypeNameEn(a, ty) == "" {
				t.Errorf("entity type %c%c (%s) has no English name", a, ty, name)
			}
		}
		if len(authoritiesEn[a].types) != len(au.types) {
			t.Errorf("authority %c: %d English entity types, %d Chinese", a, len(authoritiesEn[a].types), len(au.types))
		}
	}
	if len(authoritiesEn) != len(authorities) {
		t.Errorf("%d English authorities, %d Chinese", len(authoritiesEn), len(authorities))
	}
}
