package main

import (
	"context"
	"fmt"

	eventsv1 "k8s.io/api/events/v1"
)

// EventSeries describes knapp's events that became series: client-go's
// event recorder folds an event into an earlier one with the same type,
// reason, action and object (not the same note) within six minutes,
// PATCHes the count at once, and PATCHes the final count once the series
// has been quiet for six minutes. Those PATCHes are among knapp's writes.
type EventSeries struct {
	Count    int      `json:"count"`
	Examples []string `json:"examples,omitempty"`
}

func (s *session) eventSeries(ctx context.Context) (EventSeries, error) {
	var out EventSeries
	list := &eventsv1.EventList{}
	if err := s.c.List(ctx, list); err != nil {
		return out, err
	}
	for _, e := range list.Items {
		if e.Series == nil {
			continue
		}
		out.Count++
		if len(out.Examples) < 5 {
			out.Examples = append(out.Examples, fmt.Sprintf("%s %s/%s: %s %q x%d",
				e.Regarding.Kind, e.Regarding.Namespace, e.Regarding.Name, e.Reason, e.Note, e.Series.Count))
		}
	}
	return out, nil
}
