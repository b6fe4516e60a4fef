package web

import "testing"

// TestMessagesNotShadowed: a key defined in two parts of the catalogue
// keeps only one of its texts, by the order files are initialised in, and
// the other part's page shows the wrong words (a form's 联系电话 where its
// 联系人 was meant). Every part's words are the catalogue's.
func TestMessagesNotShadowed(t *testing.T) {
	parts := map[string]map[string]map[string]string{
		"portal": portalMessages, "publish": publishMessages, "sanction": sanctionMessages, "commitments": cmMessages,
		"names": nameMessages, "reports": reportMessages, "workflow": wfMessages,
	}
	for part, m := range parts {
		for lang, words := range m {
			for k, want := range words {
				if got := messages[lang][k]; got != want {
					t.Errorf("%s message %s (%s) %q is shadowed by %q from another part", part, k, lang, want, got)
				}
			}
		}
	}
}
