package sqlstore

// SetEvalCopyPage sets how many parts a query of ScanEvalFileCopies reads
// until the returned function restores it.
func SetEvalCopyPage(n int) (restore func()) {
	old := evalCopyPage
	evalCopyPage = n
	return func() { evalCopyPage = old }
}
