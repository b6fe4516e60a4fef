package evaluation

import "github.com/xinyong/xinyong/internal/publish"

// MemoWindow is the window in carries for File[i] from a file copy's memo.
func (in Input) MemoWindow(i int) (publish.Window, bool) {
	if in.memo == nil {
		return publish.Window{}, false
	}
	return publish.ParseWindow(in.memo[i])
}

// SetRefreshChunk sets how many copies RefreshMemos rewrites at a time
// and returns the former value.
func SetRefreshChunk(n int) int {
	old := refreshChunk
	refreshChunk = n
	return old
}
