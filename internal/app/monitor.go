package app

import (
	"github.com/xinyong/xinyong/internal/monitor"
)

// buildMonitor wires the city credit monitoring (城市信用状况监测) over the
// store, with the sanction service's feedback deadline.
func (a *App) buildMonitor() error {
	m, err := monitor.New(monitor.Config{Store: a.Store, Catalog: a.Catalog, FeedbackDue: a.Sanction.FeedbackDue(), Now: a.Now})
	if err != nil {
		return err
	}
	a.Monitor = m
	return nil
}
