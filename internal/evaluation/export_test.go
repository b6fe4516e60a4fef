package evaluation

import "github.com/xinyong/xinyong/internal/publish"

// MemoWindow is the window in carries for File[i] from a file copy's memo.
func (in Input) MemoWindow(i int) (publish.Window, bool) {
	if in.windows == nil {
		return publish.Window{}, false
	}
	return in.windows[i].w, in.windows[i].ok
}
